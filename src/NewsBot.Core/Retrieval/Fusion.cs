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
