using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The fusion over arrays against the LINQ fusion it replaced (kept here as the reference): the same candidates, the
/// same fused scores to the bit, ranks and leg scores, in the same order, for legs with tied scores, shared and
/// repeated keys, weights and tops of every kind.
/// </summary>
public class HybridFusionTests
{
    /// <summary>The fusion as it was before BENCHMARKS.md §2.2.5: stable LINQ ranking, RRF dictionary, stable ordering.</summary>
    static List<FusedCandidate<int>> Reference(List<LegCandidate<int>> dense, List<LegCandidate<int>> lexical, HybridQuery query, int k, IComparer<int> tieBreak)
    {
        dense = dense.OrderByDescending(c => c.Score).ThenBy(c => c.Key, tieBreak).ToList();
        lexical = lexical.OrderByDescending(c => c.Score).ThenBy(c => c.Key, tieBreak).ToList();
        var scores = ReciprocalRankFusion.Fuse<int>([dense.ConvertAll(c => c.Key), lexical.ConvertAll(c => c.Key)], k, [query.DenseWeight, query.LexicalWeight]);
        var byKey = new Dictionary<int, FusedCandidate<int>>();
        for (int i = 0; i < dense.Count; i++)
            byKey[dense[i].Key] = new(dense[i].Key, scores[dense[i].Key], i + 1, dense[i].Score, null, null);
        for (int i = 0; i < lexical.Count; i++)
        {
            var key = lexical[i].Key;
            byKey[key] = byKey.TryGetValue(key, out var d)
                ? d with { LexicalRank = i + 1, LexicalScore = lexical[i].Score }
                : new(key, scores[key], null, null, i + 1, lexical[i].Score);
        }
        return byKey.Values.OrderByDescending(c => c.Score).ThenBy(c => c.DenseRank ?? int.MaxValue)
            .ThenBy(c => c.LexicalRank ?? int.MaxValue).Take(Math.Max(0, query.Top)).ToList();
    }

    /// <summary>Ties broken by a key order that is not the keys' own (as article id, then position, is not the slot order).</summary>
    sealed class Scrambled : IComparer<int>
    {
        public int Compare(int x, int y) => ((x * 7919) % 101).CompareTo((y * 7919) % 101) is var c && c != 0 ? c : x.CompareTo(y);
    }

    static List<LegCandidate<int>> Leg(Random rng, int count, int keys, bool repeats)
    {
        var leg = new List<LegCandidate<int>>();
        var used = new HashSet<int>();
        while (leg.Count < count)
        {
            int key = rng.Next(keys);
            if (!repeats && !used.Add(key)) continue;
            // scores on a coarse grid, so that many are tied
            leg.Add(new(key, rng.Next(6) / 5f));
        }
        return leg;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a key twice in one leg: its contributions add up and its last rank stays, as before
    public void Fusion_over_arrays_gives_the_reference_fusion_exactly(bool repeats)
    {
        var rng = new Random(repeats ? 7 : 3);
        var tieBreak = new Scrambled();
        for (int round = 0; round < 500; round++)
        {
            var dense = Leg(rng, rng.Next(0, 45), 60, repeats);
            var lexical = Leg(rng, rng.Next(0, 45), 60, repeats);
            var query = new HybridQuery
            {
                Dense = [], Sparse = SparseVector.Empty, Top = rng.Next(-1, 60),
                DenseWeight = rng.Next(3) switch { 0 => 1.0, 1 => 0.7, _ => 0 }, LexicalWeight = rng.Next(3) switch { 0 => 1.0, 1 => 1.3, _ => 0 },
            };
            int k = rng.Next(2) == 0 ? ReciprocalRankFusion.DefaultK : 60;
            var expected = Reference([.. dense], [.. lexical], query, k, tieBreak);
            var actual = HybridFusion.Fuse([.. dense], [.. lexical], query, k, tieBreak);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Equal_fused_scores_are_ordered_by_dense_rank_then_lexical_rank()
    {
        // a at dense rank 1 only, b at lexical rank 1 only: equal weights give equal scores, the dense rank decides
        var fused = HybridFusion.Fuse([new LegCandidate<int>(1, 0.9f)], [new LegCandidate<int>(2, 3.5f)],
            new HybridQuery { Dense = [], Sparse = SparseVector.Empty, Top = 10 }, 10, Comparer<int>.Default);
        Assert.Equal([1, 2], fused.Select(c => c.Key));
        Assert.Equal(fused[0].Score, fused[1].Score);
        Assert.Equal((1, (int?)null), (fused[0].DenseRank!.Value, fused[0].LexicalRank));
        Assert.Equal(((int?)null, 1), (fused[1].DenseRank, fused[1].LexicalRank!.Value));
    }
}
