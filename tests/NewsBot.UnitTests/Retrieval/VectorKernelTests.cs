using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

public class VectorKernelTests
{
    static float[] RandomUnit(Random rng, int dim)
    {
        var v = new float[dim];
        for (int i = 0; i < dim; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    [Theory]
    [InlineData(384)]
    [InlineData(37)] // not a multiple of the vector width: the scalar tail must run
    [InlineData(200)] // one 128-wide step, one 64-wide step and a tail
    public void Int8_dot_product_approximates_the_float_dot_product(int dim)
    {
        var rng = new Random(1);
        for (int t = 0; t < 50; t++)
        {
            var a = RandomUnit(rng, dim);
            var b = RandomUnit(rng, dim);
            var qa = new byte[dim];
            var qb = new sbyte[dim];
            var sa = Int8Kernels.QuantizeStored(a, qa);
            var sb = Int8Kernels.QuantizeQuery(b, qb, out var offset);
            var approx = Int8Kernels.Dot(qa, qb, offset) * sa * sb;
            var exact = VectorMath.Dot(a, b);
            Assert.InRange(approx, exact - 0.03f, exact + 0.03f);
            // the kernel equals the plain integer dot product of the signed values, exactly
            int plain = 0;
            for (int i = 0; i < dim; i++) plain += (qa[i] - 128) * qb[i];
            Assert.Equal(plain, Int8Kernels.Dot(qa, qb, offset));
        }
    }

    [Fact]
    public void Quantisation_scale_uses_the_magnitude_of_negative_extremes()
    {
        // regression guard: MaxMagnitude returns the signed element (-0.9 here); the scale must be positive
        var v = new float[] { 0.1f, -0.9f, 0.3f, 0.2f };
        var q = new sbyte[4];
        var scale = Int8Kernels.Quantize(v, q);
        Assert.True(scale > 0);
        Assert.Equal(-127, q[1]);
    }

    [Fact]
    public void TopK_keeps_the_highest_scores_best_first()
    {
        var rng = new Random(7);
        var scores = Enumerable.Range(0, 1000).Select(i => (i, (float)rng.NextDouble())).ToList();
        var top = new TopK(10);
        foreach (var (i, s) in scores) top.Add(i, s);
        var expected = scores.OrderByDescending(x => x.Item2).Take(10).Select(x => x.i).ToList();
        Assert.Equal(expected, top.ToSortedList().Select(x => x.Id).ToList());
    }

    [Fact]
    public void In_memory_dense_search_recall_at_10_matches_exact_search()
    {
        var rng = new Random(42);
        const int dim = 64, n = 40_000; // above the parallel threshold
        var index = new InMemoryHybridIndex(dim);
        var vectors = new float[n][];
        for (int i = 0; i < n; i++)
        {
            vectors[i] = RandomUnit(rng, dim);
            index.Add(i + 1, "a" + i, null, null, vectors[i], SparseVector.Empty);
        }
        double hits = 0;
        const int queries = 20;
        for (int q = 0; q < queries; q++)
        {
            var query = RandomUnit(rng, dim);
            var exact = Enumerable.Range(0, n).OrderByDescending(i => VectorMath.Dot(vectors[i], query)).Take(10).Select(i => (long)(i + 1)).ToHashSet();
            var found = index.Search(new HybridQuery { Dense = query, Sparse = SparseVector.Empty, Top = 10, CandidatesPerLeg = 10, Mode = RetrievalMode.Dense }, 60);
            hits += found.Count(f => exact.Contains(f.RowId));
        }
        Assert.True(hits / (queries * 10) >= 0.99, $"recall@10 {hits / (queries * 10)}");
    }

    [Fact]
    public void Lexical_leg_ranks_rare_term_matches_first_and_fusion_rewards_agreement()
    {
        var index = new InMemoryHybridIndex(4);
        var enc = NewsBot.Core.Text.LexicalEncoder.Default;
        index.Add(1, "a", null, null, [1, 0, 0, 0], enc.EncodeDocument("The Konotop strike damaged flats"));
        index.Add(2, "b", null, null, [0, 1, 0, 0], enc.EncodeDocument("A strike by dock workers"));
        index.Add(3, "c", null, null, [0, 0, 1, 0], enc.EncodeDocument("Football results from the weekend"));
        var q = new HybridQuery { Dense = [0.9f, 0.1f, 0, 0], Sparse = enc.EncodeQuery("Konotop strike"), Top = 3 };
        var r = index.Search(q with { Mode = RetrievalMode.Lexical }, 60);
        Assert.Equal(1, r[0].RowId);
        Assert.Equal(2, r.Count); // the football chunk shares no term
        var fused = index.Search(q, 60);
        Assert.Equal(1, fused[0].RowId);
        Assert.Equal(1, fused[0].DenseRank);
        Assert.Equal(1, fused[0].LexicalRank);
    }

    [Fact]
    public void Reciprocal_rank_fusion_and_recency_boost_follow_their_formulas()
    {
        var fused = ReciprocalRankFusion.Fuse<string>([["a", "b"], ["b", "c"]], k: 60);
        Assert.Equal(1.0 / 61, fused["a"], 10);
        Assert.Equal(1.0 / 62 + 1.0 / 61, fused["b"], 10);
        var now = new DateTimeOffset(2025, 1, 10, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(1.5, RecencyBoost.Factor(now.AddDays(-7), now, weight: 1, halfLifeDays: 7), 6);
        Assert.Equal(1.0, RecencyBoost.Factor(null, now, 1, 7));
        Assert.Equal(1.0, RecencyBoost.Factor(now, now, 0, 7));
    }

    [Fact]
    public void Leg_weights_decide_between_a_dense_only_and_a_lexical_only_match()
    {
        var index = new InMemoryHybridIndex(4);
        var enc = NewsBot.Core.Text.LexicalEncoder.Default;
        index.Add(1, "dense-match", null, null, [1, 0, 0, 0], enc.EncodeDocument("an unrelated text about gardening"));
        index.Add(2, "word-match", null, null, [0, 1, 0, 0], enc.EncodeDocument("Thistlewaite"));
        // one candidate per leg: the dense leg finds row 1 only, the lexical leg row 2 only
        var q = new HybridQuery { Dense = [1, 0, 0, 0], Sparse = enc.EncodeQuery("Thistlewaite"), Top = 1, CandidatesPerLeg = 1 };
        var lexicalHalf = index.Search(q with { LexicalWeight = 0.5 }, 10);
        Assert.Equal(1, lexicalHalf[0].RowId);
        Assert.Equal(1.0 / 11, lexicalHalf[0].Score, 10);
        var denseHalf = index.Search(q with { DenseWeight = 0.5 }, 10);
        Assert.Equal(2, denseHalf[0].RowId);
        Assert.Equal(1.0 / 11, denseHalf[0].Score, 10);
    }
}
