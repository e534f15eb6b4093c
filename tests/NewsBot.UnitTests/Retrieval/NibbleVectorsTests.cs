using System.Runtime.Intrinsics.X86;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>Tests that change the dense scan's static settings run one at a time (they would change each other's scans).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DenseScanSettings
{
    public const string Name = "Dense scan settings";
}

/// <summary>
/// The 4-bit copy of the mapped vectors (<see cref="NibbleVectors"/>) that ranks the binary pass's candidates before
/// int8: every kernel gives the scalar loop's sum, the levels hold each component to within half a step, and a mapped
/// index that uses them finds what the exact int8 scan finds; the lexical leg of a hybrid search run beside the dense
/// parts gives the same lists as each leg alone.
/// </summary>
[Collection(DenseScanSettings.Name)]
public sealed class NibbleVectorsTests : IDisposable
{
    readonly string _path = Path.Combine(Path.GetTempPath(), $"newsbot-nibbles-{Guid.NewGuid():N}.snapshot");

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(384)]
    [InlineData(200)]  // half a row of padding
    [InlineData(1000)] // rows not a multiple of 64 bytes wide in the data, 512 bytes a row
    public void Every_kernel_gives_the_scalar_sum(int dim)
    {
        var rng = new Random(dim);
        int rowBytes = NibbleVectors.RowBytesFor(dim);
        Assert.Equal(0, rowBytes % 64);
        Assert.True(rowBytes * 2 >= dim);
        for (int t = 0; t < 50; t++)
        {
            var row = new byte[rowBytes];
            rng.NextBytes(row);
            var low = new sbyte[rowBytes];
            var high = new sbyte[rowBytes];
            for (int i = 0; i < rowBytes; i++)
            {
                low[i] = (sbyte)rng.Next(-127, 128);
                high[i] = (sbyte)rng.Next(-127, 128);
            }
            if (t == 0) // the extremes: every level 15 against every query byte ±127
            {
                Array.Fill(row, (byte)0xFF);
                Array.Fill(low, (sbyte)127);
                Array.Fill(high, (sbyte)-127);
            }
            int expected = 0;
            for (int i = 0; i < rowBytes; i++) expected += (row[i] & 15) * low[i] + (row[i] >> 4) * high[i];
            Assert.Equal(expected, NibbleVectors.DotScalar(row, low, high, 0));
            Assert.Equal(expected - 77, NibbleVectors.Dot(row, low, high, 77));
            if (Avx2.IsSupported) Assert.Equal(expected, NibbleVectors.Dot256(row, low, high));
            if (Avx512BW.IsSupported) Assert.Equal(expected, NibbleVectors.Dot512(row, low, high));
        }
    }

    [Theory]
    [InlineData(384)] // the 192-byte rows of the kernel with the query in registers
    [InlineData(200)] // any other width: the per-row loop
    public void Scoring_many_rows_at_once_gives_each_rows_own_score(int dim)
    {
        var rng = new Random(dim + 1);
        const int count = 3_000;
        var int8 = new byte[count * dim];
        rng.NextBytes(int8);
        var scales = Enumerable.Range(0, count).Select(_ => 0.001f + (float)rng.NextDouble() * 0.01f).ToArray();
        var center = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.05f).ToArray();
        using var nibbles = NibbleVectors.Build(count, dim, scales, center, (from, dest) => int8.AsSpan(from * dim, dest.Length).CopyTo(dest));
        var q = nibbles.Prepare(Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray());
        var slots = Enumerable.Range(0, 700).Select(_ => rng.Next(count)).ToArray(); // unordered, repeats allowed
        foreach (int ahead in new[] { 0, 8, 1000 })
        {
            var scores = new float[slots.Length + 5];
            Array.Fill(scores, float.NaN);
            nibbles.ScoreMany(slots, q, scores, ahead);
            for (int j = 0; j < slots.Length; j++) Assert.Equal(nibbles.Score(slots[j], q), scores[j]);
            Assert.True(float.IsNaN(scores[slots.Length])); // nothing written past the slots
        }
        Assert.Throws<ArgumentException>(() => nibbles.ScoreMany(slots, q, new float[10], 8));
    }

    [Fact]
    public void Each_level_is_within_half_a_step_of_its_component_and_the_padding_is_zero()
    {
        var rng = new Random(3);
        const int dim = 300;
        int rowBytes = NibbleVectors.RowBytesFor(dim);
        var center = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
        var inverse = Enumerable.Range(0, dim).Select(_ => 1 / (0.02f + (float)rng.NextDouble() * 0.1f)).ToArray();
        var vector = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var int8 = new byte[dim];
        float scale = Int8Kernels.QuantizeStored(vector, int8);
        var row = new byte[rowBytes];
        float step = NibbleVectors.Encode(int8, scale, center, inverse, new float[dim], row);
        Assert.True(step > 0);
        float largest = 0;
        for (int j = 0; j < 2 * rowBytes; j++)
        {
            int level = (j < rowBytes ? row[j] & 15 : row[j - rowBytes] >> 4) - 8;
            if (j >= dim)
            {
                Assert.Equal(0, level);
                continue;
            }
            float w = ((int8[j] - 128) * scale - center[j]) * inverse[j];
            Assert.InRange(level, -7, 7);
            Assert.True(MathF.Abs(level * step - w) <= step / 2 + 1e-5f, $"component {j}: level {level} × {step} for {w}");
            largest = MathF.Max(largest, MathF.Abs(level));
        }
        Assert.Equal(7, largest); // the largest component sets the step
    }

    [Fact]
    public void A_cancelled_build_stops_between_blocks_of_vectors()
    {
        const int dim = 128, count = 10_000;
        var scales = Enumerable.Repeat(0.01f, count).ToArray();
        var center = new float[dim];
        using var cancel = new CancellationTokenSource();
        int reads = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => NibbleVectors.Build(count, dim, scales, center, (first, dest) =>
        {
            Array.Fill(dest, (byte)(128 + first % 7));
            if (dest.Length > dim && ++reads == 1) cancel.Cancel(); // the first block of the encoding pass
        }, cancel.Token));
        Assert.Equal(1, reads); // the second block was never read

        var built = NibbleVectors.Build(count, dim, scales, center, (first, dest) => Array.Fill(dest, (byte)(128 + first % 7)));
        Assert.Equal(count, built.Count);
        built.Dispose();
    }

    /// <summary>A mapped index of <paramref name="n"/> chunks around a common offset (as sentence embeddings are), with a few terms each.</summary>
    InMemoryHybridIndex MappedIndex(int n, out float[][] vectors, Random rng)
    {
        const int dim = 384;
        var offset = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
        vectors = Enumerable.Range(0, n).Select(_ =>
        {
            var v = offset.Select(o => o + (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
            VectorMath.NormalizeInPlace(v);
            return v;
        }).ToArray();
        var heap = new InMemoryHybridIndex(dim);
        for (int i = 0; i < n; i++)
        {
            uint[] terms = [(uint)(i % 97), (uint)(100 + i % 13), (uint)(200 + i % 1009)];
            heap.Add(i + 1, "a" + i / 3, "Outlet " + i % 2, 1_700_000_000_000L + i, vectors[i], terms, [1f + i % 5, 0.5f, 2f]);
        }
        using (var file = File.Create(_path)) heap.WriteTo(file, new SnapshotHeader("db", "m", 1, 1, 0));
        return InMemoryHybridIndex.Open(_path).Index;
    }

    [Fact]
    public void A_mapped_index_ranking_candidates_by_the_nibbles_finds_what_the_int8_scan_finds()
    {
        var rng = new Random(5);
        int threshold = InMemoryHybridIndex.NibbleThreshold, keep = InMemoryHybridIndex.NibbleKeep;
        try
        {
            InMemoryHybridIndex.NibbleThreshold = 0;
            InMemoryHybridIndex.NibbleKeep = 600; // a few times the 200 re-scored from half precision, as at 1M
            using var mapped = MappedIndex(40_003, out var vectors, rng);
            Assert.True(mapped.ScansBinaryCodes);
            mapped.WaitForCodeBlocks();
            Assert.True(mapped.HasNibbles);
            double found = 0;
            const int queries = 20;
            for (int t = 0; t < queries; t++)
            {
                var q = vectors[rng.Next(vectors.Length)].Select(x => x + (float)(rng.NextDouble() - 0.5) * 0.05f).ToArray();
                var filter = t % 2 == 0 ? new SearchFilter() : new SearchFilter { Outlets = ["outlet 1"] };
                var query = new HybridQuery { Dense = q, Sparse = SparseVector.Empty, Top = 10, CandidatesPerLeg = 10, Mode = RetrievalMode.Dense, Filter = filter };
                var withNibbles = mapped.Search(query, 60).Select(f => f.RowId).ToList();
                List<long> exact;
                try
                {
                    InMemoryHybridIndex.UseBinaryCodes = false;
                    exact = mapped.Search(query, 60).Select(f => f.RowId).ToList();
                }
                finally
                {
                    InMemoryHybridIndex.UseBinaryCodes = true;
                }
                Assert.Equal(10, withNibbles.Count);
                if (t % 2 == 1) Assert.All(withNibbles, id => Assert.Equal(1, (id - 1) % 2)); // the filter holds
                found += withNibbles.Intersect(exact).Count() / 10.0;
            }
            Assert.True(found / queries >= 0.98, $"recall@10 against the int8 scan {found / queries}");

            // without the nibbles (every binary candidate read in int8) the same index agrees as well: the test's data is
            // not what makes the recall above
            InMemoryHybridIndex.UseNibbles = false;
            var q0 = vectors[0];
            var plain = mapped.Search(new HybridQuery { Dense = q0, Sparse = SparseVector.Empty, Top = 10, Mode = RetrievalMode.Dense }, 60);
            Assert.Equal(1, plain[0].RowId);
        }
        finally
        {
            InMemoryHybridIndex.UseNibbles = true;
            InMemoryHybridIndex.NibbleThreshold = threshold;
            InMemoryHybridIndex.NibbleKeep = keep;
        }
    }

    [Fact]
    public void The_4_bit_copy_waits_after_the_first_search_unless_someone_waits_for_the_copies()
    {
        // what is tried: a first search (as a cold `ask` makes) starts the background copies; the code blocks come, the
        // 4-bit copy holds back for NibbleDelay (here far longer than the test) and is built at once when waited for
        var rng = new Random(9);
        int threshold = InMemoryHybridIndex.NibbleThreshold;
        var delay = InMemoryHybridIndex.NibbleDelay;
        try
        {
            InMemoryHybridIndex.NibbleThreshold = 0;
            InMemoryHybridIndex.NibbleDelay = TimeSpan.FromHours(1);
            using var mapped = MappedIndex(40_003, out var vectors, rng);
            var query = new HybridQuery { Dense = vectors[3], Sparse = SparseVector.Empty, Top = 10, Mode = RetrievalMode.Dense };
            Assert.Equal(4, mapped.Search(query, 60)[0].RowId);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!mapped.HasCodeBlocks && DateTime.UtcNow < deadline) Thread.Sleep(10);
            Assert.True(mapped.HasCodeBlocks);
            Thread.Sleep(200);
            Assert.False(mapped.HasNibbles);
            mapped.WaitForCodeBlocks();
            Assert.True(mapped.HasNibbles);
            Assert.Equal(4, mapped.Search(query, 60)[0].RowId);
        }
        finally
        {
            InMemoryHybridIndex.NibbleThreshold = threshold;
            InMemoryHybridIndex.NibbleDelay = delay;
        }
    }

    [Fact]
    public void The_lexical_leg_run_beside_the_dense_parts_gives_the_lists_of_each_leg_alone()
    {
        var rng = new Random(8);
        using var mapped = MappedIndex(40_003, out var vectors, rng);
        Assert.True(mapped.SlotCount >= 32_768); // the size from which the legs run in parallel
        mapped.WaitForCodeBlocks();
        for (int t = 0; t < 10; t++)
        {
            var q = vectors[rng.Next(vectors.Length)];
            var sparse = new SparseVector([(uint)rng.Next(97), (uint)(200 + rng.Next(1009))], [1f, 1.5f]);
            var hybrid = mapped.Search(new HybridQuery { Dense = q, Sparse = sparse, Top = 40, CandidatesPerLeg = 40 }, 60);
            var dense = mapped.Search(new HybridQuery { Dense = q, Sparse = sparse, Top = 40, CandidatesPerLeg = 40, Mode = RetrievalMode.Dense }, 60);
            var lexical = mapped.Search(new HybridQuery { Dense = q, Sparse = sparse, Top = 40, CandidatesPerLeg = 40, Mode = RetrievalMode.Lexical }, 60);
            Assert.Contains(hybrid, c => c.LexicalRank is not null);
            Assert.Contains(hybrid, c => c.DenseRank is not null);
            foreach (var c in hybrid)
            {
                if (c.DenseRank is { } d) Assert.Equal(dense.OrderBy(x => x.DenseRank).ElementAt(d - 1).RowId, c.RowId);
                if (c.LexicalRank is { } l) Assert.Equal(lexical.OrderBy(x => x.LexicalRank).ElementAt(l - 1).RowId, c.RowId);
            }
        }
    }
}
