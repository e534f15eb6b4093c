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
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(lexical);
        Rank(dense, tieBreak);
        Rank(lexical, tieBreak);
        // The RRF sums of ReciprocalRankFusion.Fuse, computed over arrays (the dense leg's contributions first, then the
        // lexical leg's added, in that order, so the doubles are the same to the bit) instead of LINQ, a score dictionary
        // and a dictionary of records: fusion was a tenth of a hybrid search's own cost outside its legs (BENCHMARKS.md §2.2.5).
        var fused = new FusedCandidate<TKey>[dense.Count + lexical.Count];
        var at = new Dictionary<TKey, int>(fused.Length);
        int n = 0;
        double wd = query.DenseWeight, wl = query.LexicalWeight;
        for (int i = 0; i < dense.Count; i++)
        {
            var key = dense[i].Key;
            double s = wd / (k + i + 1);
            if (at.TryGetValue(key, out int j)) fused[j] = fused[j] with { Score = fused[j].Score + s, DenseRank = i + 1, DenseScore = dense[i].Score };
            else
            {
                at[key] = n;
                fused[n++] = new(key, s, i + 1, dense[i].Score, null, null);
            }
        }
        for (int i = 0; i < lexical.Count; i++)
        {
            var key = lexical[i].Key;
            double s = wl / (k + i + 1);
            if (at.TryGetValue(key, out int j)) fused[j] = fused[j] with { Score = fused[j].Score + s, LexicalRank = i + 1, LexicalScore = lexical[i].Score };
            else
            {
                at[key] = n;
                fused[n++] = new(key, s, null, null, i + 1, lexical[i].Score);
            }
        }
        // no two candidates share both ranks, so the order is total and an unstable sort gives the one order
        Array.Sort(fused, 0, n, FusedOrder<TKey>.Instance);
        int top = Math.Min(n, Math.Max(0, query.Top));
        var result = new List<FusedCandidate<TKey>>(top);
        for (int i = 0; i < top; i++) result.Add(fused[i]);
        return result;
    }

    /// <summary>Higher fused score first; equal scores by dense rank, then lexical rank (a missing rank last).</summary>
    sealed class FusedOrder<TKey> : IComparer<FusedCandidate<TKey>>
    {
        public static readonly FusedOrder<TKey> Instance = new();

        public int Compare(FusedCandidate<TKey> x, FusedCandidate<TKey> y)
        {
            int c = y.Score.CompareTo(x.Score);
            if (c != 0) return c;
            c = (x.DenseRank ?? int.MaxValue).CompareTo(y.DenseRank ?? int.MaxValue);
            return c != 0 ? c : (x.LexicalRank ?? int.MaxValue).CompareTo(y.LexicalRank ?? int.MaxValue);
        }
    }

    /// <summary>
    /// Orders a leg best first; equal scores by <paramref name="tieBreak"/>, then by the order given (a stable sort, as
    /// the LINQ ordering it replaced; legs are a few dozen candidates, usually sorted by score already).
    /// </summary>
    static void Rank<TKey>(List<LegCandidate<TKey>> leg, IComparer<TKey> tieBreak)
    {
        if (leg.Count < 2) return;
        var order = new (LegCandidate<TKey> Item, int At)[leg.Count];
        for (int i = 0; i < order.Length; i++) order[i] = (leg[i], i);
        Array.Sort(order, (a, b) =>
        {
            int c = b.Item.Score.CompareTo(a.Item.Score);
            if (c == 0) c = tieBreak.Compare(a.Item.Key, b.Item.Key);
            return c != 0 ? c : a.At.CompareTo(b.At);
        });
        for (int i = 0; i < order.Length; i++) leg[i] = order[i].Item;
    }
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
