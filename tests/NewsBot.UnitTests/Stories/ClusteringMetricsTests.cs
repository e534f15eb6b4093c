using NewsBot.Core.Stories;

namespace NewsBot.UnitTests.Stories;

public class ClusteringMetricsTests
{
    static Dictionary<string, string> Map(params string[] pairs) => pairs.Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public void A_perfect_clustering_scores_one()
    {
        var gold = Map("a=1", "b=1", "c=2");
        Assert.Equal(PrecisionRecall.Of(1, 1), ClusteringMetrics.Pairwise(gold, Map("a=x", "b=x", "c=y")));
        Assert.Equal(PrecisionRecall.Of(1, 1), ClusteringMetrics.BCubed(gold, Map("a=x", "b=x", "c=y")));
    }

    [Fact]
    public void A_false_merge_costs_precision_and_a_split_costs_recall()
    {
        var gold = Map("a=1", "b=1", "c=2", "d=2");
        // everything merged: 6 predicted pairs, 2 of them right
        var merged = ClusteringMetrics.Pairwise(gold, Map("a=x", "b=x", "c=x", "d=x"));
        Assert.Equal(2 / 6.0, merged.Precision, 9);
        Assert.Equal(1, merged.Recall);
        // everything split: no predicted pair
        var split = ClusteringMetrics.Pairwise(gold, Map("a=1", "b=2", "c=3", "d=4"));
        Assert.Equal(1, split.Precision);
        Assert.Equal(0, split.Recall);
        Assert.Equal(0, split.F1);
        // BCubed of the merge: each item's cluster of 4 holds 2 of its gold story
        var b = ClusteringMetrics.BCubed(gold, Map("a=x", "b=x", "c=x", "d=x"));
        Assert.Equal(0.5, b.Precision, 9);
        Assert.Equal(1, b.Recall, 9);
        Assert.Equal(2 * 0.5 / 1.5, b.F1, 9);
    }
}
