namespace NewsBot.Core.Retrieval;

/// <summary>Reciprocal-rank fusion: each list contributes 1/(k + rank) for every item it ranks (rank 1 = best).</summary>
public static class ReciprocalRankFusion
{
    public const int DefaultK = 60;

    public static Dictionary<TKey, double> Fuse<TKey>(IEnumerable<IReadOnlyList<TKey>> rankedLists, int k = DefaultK) where TKey : notnull
    {
        var scores = new Dictionary<TKey, double>();
        foreach (var list in rankedLists)
        {
            for (int i = 0; i < list.Count; i++)
            {
                var s = 1.0 / (k + i + 1);
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
