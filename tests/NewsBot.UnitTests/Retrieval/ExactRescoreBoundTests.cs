using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The exact re-scoring of the dense leg reads a candidate's half-precision row only where the int8 bound says it can
/// still enter the exact top k (BENCHMARKS.md §2.2.9). The bound must hold for every row and query, whatever the
/// vectors' shape and size, and a search with it must return exactly what re-scoring every candidate returns: the same
/// rows, scores and order, with duplicates and ties at the k-th place, filters, and heap or mapped rows.
/// </summary>
[Collection(DenseScanSettings.Name)]
public sealed class ExactRescoreBoundTests
{
    static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>
    /// Shaped like sentence embeddings (<see cref="BinaryQuantisationTests.Clustered"/>, 384 dimensions), with many rows
    /// repeating another exactly (the bench draws vectors from a pool) or nearly (a few components moved by a rounding's worth).
    /// </summary>
    static float[][] Clustered(int n, int topics, Random rng)
    {
        var rows = BinaryQuantisationTests.Clustered(n, topics, rng.Next());
        for (int i = 1; i < n; i++)
        {
            double kind = rng.NextDouble();
            if (kind < 0.15) rows[i] = rows[rng.Next(i)];
            else if (kind < 0.3)
            {
                var v = (float[])rows[rng.Next(i)].Clone();
                for (int j = 0; j < 4; j++) v[rng.Next(v.Length)] += (float)Gaussian(rng) * 1e-4f;
                rows[i] = v;
            }
        }
        return rows;
    }

    static InMemoryHybridIndex Build(float[][] vectors)
    {
        var x = new InMemoryHybridIndex(vectors[0].Length);
        for (int i = 0; i < vectors.Length; i++) x.Add(i + 1, "a" + i / 4, "Outlet " + i % 3, 1_700_000_000_000L + i, vectors[i], [], []);
        return x;
    }

    static float[] Near(float[] v, Random rng, float noise)
    {
        var q = v.Select(x => x + noise * (float)Gaussian(rng) / MathF.Sqrt(v.Length)).ToArray();
        VectorMath.NormalizeInPlace(q);
        return q;
    }

    static double L1(float[] q) => q.Sum(x => Math.Abs((double)x));

    /// <summary>Vector families the bound must hold for: embedding-like, uniform, heavy-tailed, tiny (half's subnormal range), large.</summary>
    public static TheoryData<string, int> Families => new()
    {
        { "clustered", 384 }, { "uniform", 384 }, { "uniform", 100 }, { "outlier", 384 }, { "tiny", 384 }, { "large", 384 }, { "uniform", 37 },
    };

    static float[] Row(string family, int dim, Random rng) => family switch
    {
        "uniform" => Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(),
        // one component far above the rest: the scale is set by it, the others round coarsely
        "outlier" => Enumerable.Range(0, dim).Select(i => i == rng.Next(dim) ? 40f : (float)Gaussian(rng) * 0.05f).ToArray(),
        "tiny" => Enumerable.Range(0, dim).Select(_ => (float)(Gaussian(rng) * 3e-6)).ToArray(),
        "large" => Enumerable.Range(0, dim).Select(_ => (float)(Gaussian(rng) * 300)).ToArray(),
        _ => throw new ArgumentException(family),
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void The_exact_score_lies_within_the_bound_of_the_int8_estimate_for_every_row_and_query(string family, int dim)
    {
        var rng = new Random(dim * 31 + family.Length);
        var rows = family == "clustered" ? Clustered(1_500, 12, rng) : Enumerable.Range(0, 1_500).Select(_ => Row(family, dim, rng)).ToArray();
        var index = Build(rows);
        double factor = InMemoryHybridIndex.RescoreErrorFactor(dim);
        double worst = 0;
        for (int t = 0; t < 40; t++)
        {
            // queries near stored rows and unrelated ones, unit length as the embedder's and not (a raw float vector)
            var q = t % 2 == 0 ? Near(rows[rng.Next(rows.Length)], rng, 0.5f) : Enumerable.Range(0, dim).Select(_ => (float)Gaussian(rng)).ToArray();
            double l1 = L1(q);
            for (int slot = 0; slot < rows.Length; slot++)
            {
                var (estimate, bound) = index.RescoreEstimate(slot, q, l1, factor);
                Assert.True(double.IsFinite(bound), $"no bound for slot {slot}");
                double error = Math.Abs(index.ExactScore(slot, q) - estimate);
                Assert.True(error <= bound, $"slot {slot}: |exact − estimate| = {error} > bound {bound}");
                worst = Math.Max(worst, error / bound);
            }
        }
        // the bound is a worst case; it is not vacuous either: the real errors use a fair part of it somewhere
        Assert.True(worst > 0.01, $"largest error only {worst:P2} of the bound");
    }

    [Fact]
    public void A_zero_row_or_a_row_too_large_for_half_precision_gets_no_bound_and_is_always_read()
    {
        var rows = new[] { new float[8], Enumerable.Repeat(1e6f, 8).ToArray(), Enumerable.Repeat(0.3f, 8).ToArray() };
        var index = Build(rows);
        var q = Enumerable.Repeat(0.5f, 8).ToArray();
        double factor = InMemoryHybridIndex.RescoreErrorFactor(8);
        Assert.Equal(double.PositiveInfinity, index.RescoreEstimate(0, q, L1(q), factor).Bound);
        Assert.Equal(double.PositiveInfinity, index.RescoreEstimate(1, q, L1(q), factor).Bound);
        Assert.True(double.IsFinite(index.RescoreEstimate(2, q, L1(q), factor).Bound));
    }

    [Fact]
    public void The_float_int8_product_is_the_scalar_sum()
    {
        var rng = new Random(5);
        foreach (int dim in new[] { 1, 15, 16, 17, 100, 384, 1024 })
        {
            var bytes = Enumerable.Range(0, dim).Select(_ => (byte)rng.Next(256)).ToArray();
            var q = Enumerable.Range(0, dim).Select(_ => (float)Gaussian(rng)).ToArray();
            double expected = 0, magnitude = 0;
            for (int i = 0; i < dim; i++)
            {
                expected += (bytes[i] - 128) * (double)q[i];
                magnitude += Math.Abs((bytes[i] - 128) * (double)q[i]);
            }
            Assert.InRange(Int8Kernels.DotFloat(bytes, q), expected - dim * 1.2e-7 * magnitude, expected + dim * 1.2e-7 * magnitude);
        }
    }

    static HybridQuery Dense(float[] q, int perLeg, SearchFilter? filter = null)
        => new() { Dense = q, Sparse = SparseVector.Empty, Top = perLeg, CandidatesPerLeg = perLeg, Mode = RetrievalMode.Dense, Filter = filter ?? new SearchFilter() };

    static List<(long Row, float Score, int? Rank)> Run(InMemoryHybridIndex index, HybridQuery query, bool bound)
    {
        InMemoryHybridIndex.UseRescoreBound = bound;
        try
        {
            return [.. index.Search(query, 60).Select(c => (c.RowId, c.DenseScore, c.DenseRank))];
        }
        finally
        {
            InMemoryHybridIndex.UseRescoreBound = true;
        }
    }

    /// <summary>Queries near stored rows, stored rows themselves (ties with their duplicates) and unrelated ones, at several k and with filters.</summary>
    void AssertSameAsRescoringAll(InMemoryHybridIndex index, float[][] rows, Random rng, int queries)
    {
        long readsBefore = index.RescoreReadsOfIndex, boundReads = 0, allReads = 0;
        for (int t = 0; t < queries; t++)
        {
            var q = (t % 4) switch
            {
                0 => rows[rng.Next(rows.Length)], // a stored row: exact ties with its duplicates
                1 => Near(rows[rng.Next(rows.Length)], rng, 0.2f),
                2 => Near(rows[rng.Next(rows.Length)], rng, 1.5f),
                _ => Enumerable.Range(0, rows[0].Length).Select(_ => (float)Gaussian(rng)).ToArray(),
            };
            int perLeg = (t % 3) switch { 0 => 10, 1 => 50, _ => 60 };
            SearchFilter? filter = (t % 5) switch
            {
                3 => new SearchFilter { Outlets = ["Outlet 1"] },
                4 => new SearchFilter { ArticleIds = [.. Enumerable.Range(0, 200).Select(i => "a" + rng.Next(rows.Length / 4))] },
                _ => null,
            };
            var query = Dense(q, perLeg, filter);
            long r0 = index.RescoreReadsOfIndex;
            var all = Run(index, query, bound: false);
            long r1 = index.RescoreReadsOfIndex;
            var bounded = Run(index, query, bound: true);
            allReads += r1 - r0;
            boundReads += index.RescoreReadsOfIndex - r1;
            Assert.Equal(all, bounded);
        }
        Assert.True(index.RescoreReadsOfIndex > readsBefore);
        // the bound must skip reads, else it only costs
        Assert.True(boundReads < allReads * 0.9, $"the bound read {boundReads} rows against {allReads}");
    }

    [Fact]
    public void A_heap_index_returns_with_the_bound_exactly_what_rescoring_every_candidate_returns()
    {
        var rng = new Random(11);
        var rows = Clustered(6_000, 40, rng);
        AssertSameAsRescoringAll(Build(rows), rows, rng, 400);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_mapped_index_returns_with_the_bound_exactly_what_rescoring_every_candidate_returns(bool inPlace)
    {
        var rng = new Random(inPlace ? 12 : 13);
        var rows = Clustered(6_000, 40, rng);
        var path = Path.Combine(Path.GetTempPath(), $"newsbot-rescore-{Guid.NewGuid():N}.snapshot");
        using (var file = File.Create(path)) Build(rows).WriteTo(file, new SnapshotHeader("db", "m", 1, 1, 0));
        var index = InMemoryHybridIndex.Open(path).Index;
        // rows added since the snapshot are re-scored from the heap, the rest from the file
        for (int i = 0; i < 300; i++) index.Add(rows.Length + i + 1, "late" + i, null, null, rows[rng.Next(rows.Length)], [], []);
        InMemoryHybridIndex.F16InPlaceBytes = inPlace ? long.MaxValue : 0;
        try
        {
            AssertSameAsRescoringAll(index, rows, rng, 300);
        }
        finally
        {
            InMemoryHybridIndex.F16InPlaceBytes = InMemoryHybridIndex.DefaultF16InPlaceBytes;
            index.Dispose();
            File.Delete(path);
        }
    }

    [Fact]
    public void Candidates_tied_across_the_kth_place_are_kept_by_slot_with_or_without_the_bound()
    {
        // 400 copies of one row and others near it: the top 50 of 200 candidates is a tie of exact scores
        var rng = new Random(3);
        var one = Clustered(1, 1, rng)[0];
        var rows = Enumerable.Range(0, 2_000).Select(i => i % 5 == 0 ? one : Near(one, rng, 0.4f)).ToArray();
        var index = Build(rows);
        var all = Run(index, Dense(one, 50), bound: false);
        var bounded = Run(index, Dense(one, 50), bound: true);
        Assert.Equal(all, bounded);
        Assert.Equal(50, all.Count);
        Assert.All(all, hit => Assert.Equal(all[0].Score, hit.Score));
    }
}
