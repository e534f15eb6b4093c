namespace NewsBot.Core.Stories;

public sealed record PrecisionRecall(double Precision, double Recall, double F1)
{
    public static PrecisionRecall Of(double p, double r) => new(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r));
}

/// <summary>
/// Agreement of a predicted clustering with gold labels: pairwise precision/recall (over pairs of items put
/// together) and BCubed precision/recall (per item, the share of its predicted cluster that is in its gold
/// cluster, and the reverse; Bagga and Baldwin 1998, Amigó et al. 2009). Items are matched by key.
/// A few lines of counting, so no library.
/// </summary>
public static class ClusteringMetrics
{
    /// <summary>Pairwise scores; with no predicted pair precision is 1, with no gold pair recall is 1.</summary>
    public static PrecisionRecall Pairwise(IReadOnlyDictionary<string, string> gold, IReadOnlyDictionary<string, string> predicted)
    {
        var keys = gold.Keys.Where(predicted.ContainsKey).Order(StringComparer.Ordinal).ToList();
        long both = 0, inPredicted = 0, inGold = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            for (int j = i + 1; j < keys.Count; j++)
            {
                bool g = gold[keys[i]] == gold[keys[j]];
                bool p = predicted[keys[i]] == predicted[keys[j]];
                if (g) inGold++;
                if (p) inPredicted++;
                if (g && p) both++;
            }
        }
        return PrecisionRecall.Of(inPredicted == 0 ? 1 : both / (double)inPredicted, inGold == 0 ? 1 : both / (double)inGold);
    }

    public static PrecisionRecall BCubed(IReadOnlyDictionary<string, string> gold, IReadOnlyDictionary<string, string> predicted)
    {
        var keys = gold.Keys.Where(predicted.ContainsKey).ToList();
        if (keys.Count == 0) return PrecisionRecall.Of(0, 0);
        double precision = 0, recall = 0;
        foreach (var k in keys)
        {
            var samePredicted = keys.Where(o => predicted[o] == predicted[k]).ToList();
            var sameGold = keys.Where(o => gold[o] == gold[k]).ToList();
            precision += samePredicted.Count(o => gold[o] == gold[k]) / (double)samePredicted.Count;
            recall += sameGold.Count(o => predicted[o] == predicted[k]) / (double)sameGold.Count;
        }
        return PrecisionRecall.Of(precision / keys.Count, recall / keys.Count);
    }
}
