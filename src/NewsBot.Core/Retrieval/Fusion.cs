using NewsBot.Core.Model;

namespace NewsBot.Core.Retrieval;

/// <summary>Reciprocal-rank fusion: each list contributes weight/(k + rank) for every item it ranks (rank 1 = best).</summary>
public static class ReciprocalRankFusion
{
    /// <summary>Chosen on the eval sets (see BENCHMARKS.md): a small k lets each leg's top ranks count most.</summary>
    public const int DefaultK = 10;

    public static Dictionary<TKey, double> Fuse<TKey>(IEnumerable<IReadOnlyList<TKey>> rankedLists, int k = DefaultK, IReadOnlyList<double>? weights = null) where TKey : notnull
    {
        var scores = new Dictionary<TKey, double>();
        int leg = 0;
        foreach (var list in rankedLists)
        {
            double w = weights is null ? 1.0 : weights[leg];
            leg++;
            for (int i = 0; i < list.Count; i++)
            {
                var s = w / (k + i + 1);
                scores[list[i]] = scores.TryGetValue(list[i], out var prev) ? prev + s : s;
            }
        }
        return scores;
    }
}

/// <summary>A candidate of one leg (dense or lexical): the key its index knows it by, and the leg's score.</summary>
public readonly record struct LegCandidate<TKey>(TKey Key, float Score);

/// <summary>A fused candidate: its RRF score and, per leg, its rank (1 = best) and score when that leg found it.</summary>
public readonly record struct FusedCandidate<TKey>(TKey Key, double Score, int? DenseRank, float? DenseScore, int? LexicalRank, float? LexicalScore);

/// <summary>
/// The one fusion of a hybrid search, used by every index (embedded and Qdrant), so that the same legs give the same
/// order everywhere: each leg is ranked by score, equal scores by <c>tieBreak</c> (which every index must define on
/// the same chunk identity: article id, then position); the legs are fused by <see cref="ReciprocalRankFusion"/> with
/// the query's weights; equal fused scores are ordered by dense rank, then lexical rank (no two candidates share both).
/// A single leg (Dense or Lexical mode, or a query without terms) gets the same rank-based score, weight/(k + rank).
/// </summary>
public static class HybridFusion
{
    public static List<FusedCandidate<TKey>> Fuse<TKey>(
        List<LegCandidate<TKey>> dense, List<LegCandidate<TKey>> lexical, HybridQuery query, int k, IComparer<TKey> tieBreak) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(query);
        Rank(dense, tieBreak);
        Rank(lexical, tieBreak);
        var scores = ReciprocalRankFusion.Fuse<TKey>([Keys(dense), Keys(lexical)], k, [query.DenseWeight, query.LexicalWeight]);
        var byKey = new Dictionary<TKey, FusedCandidate<TKey>>(scores.Count);
        for (int i = 0; i < dense.Count; i++)
            byKey[dense[i].Key] = new(dense[i].Key, scores[dense[i].Key], i + 1, dense[i].Score, null, null);
        for (int i = 0; i < lexical.Count; i++)
        {
            var key = lexical[i].Key;
            byKey[key] = byKey.TryGetValue(key, out var d)
                ? d with { LexicalRank = i + 1, LexicalScore = lexical[i].Score }
                : new(key, scores[key], null, null, i + 1, lexical[i].Score);
        }
        return byKey.Values
            .OrderByDescending(c => c.Score)
            .ThenBy(c => c.DenseRank ?? int.MaxValue)
            .ThenBy(c => c.LexicalRank ?? int.MaxValue)
            .Take(Math.Max(0, query.Top))
            .ToList();
    }

    /// <summary>Orders a leg best first; equal scores by <paramref name="tieBreak"/> (a stable sort of a short list).</summary>
    static void Rank<TKey>(List<LegCandidate<TKey>> leg, IComparer<TKey> tieBreak)
    {
        var ordered = leg.OrderByDescending(c => c.Score).ThenBy(c => c.Key, tieBreak).ToList();
        leg.Clear();
        leg.AddRange(ordered);
    }

    static List<TKey> Keys<TKey>(List<LegCandidate<TKey>> leg) => leg.ConvertAll(c => c.Key);
}

/// <summary>
/// A gentle preference for recent articles, applied after fusion by every index in the same way:
/// score × (1 + weight × 2^(−age / halfLife)). Undated articles get no boost.
/// </summary>
public static class RecencyBoost
{
    public static double Factor(DateTimeOffset? published, DateTimeOffset now, double weight, double halfLifeDays)
    {
        if (weight <= 0 || published is null || halfLifeDays <= 0) return 1.0;
        var ageDays = Math.Max(0, (now - published.Value).TotalDays);
        return 1.0 + weight * Math.Pow(2, -ageDays / halfLifeDays);
    }
}
