using NewsBot.Core.Retrieval;

namespace NewsBot.Core.Stories;

/// <summary>What to do with an article: join <see cref="JoinStoryId"/> (null = open a new story), and fold <see cref="Merge"/> into it.</summary>
public sealed record StoryDecision(string? JoinStoryId, double Score, IReadOnlyList<string> Merge)
{
    public static readonly StoryDecision New = new(null, 0, []);
}

/// <summary>
/// The online story clusterer (pure: features in, decision out), after Miranda et al., "Multilingual Clustering of
/// Streaming News" (EMNLP 2018): an article is compared with every story active around its time by the cosine of
/// its title+lead embedding with the story centroid, plus the share of its names and numbers the story shares,
/// less a penalty per day away from the story's span; it joins the best story above a threshold, else opens a
/// new one. Where Miranda learn the weights (a rank SVM over TF-IDF similarities), these are hand-set and tuned on
/// a labelled dev set. A false merge costs more than a split, so a story naming none of the article's names needs
/// a near-identical text, and stories merge only when the article fits both well and their centroids agree.
/// </summary>
public sealed class StoryClusterer(StoryOptions options)
{
    public StoryOptions Options => options;

    public StoryDecision Decide(ArticleFeatures article, IReadOnlyList<StoryProfile> candidates)
    {
        var scored = new List<(StoryProfile Story, double Score)>();
        foreach (var c in candidates)
        {
            if (c.Count <= 0) continue;
            var s = Score(article, c);
            if (s is { } value) scored.Add((c, value));
        }
        if (scored.Count == 0) return StoryDecision.New;
        scored.Sort((a, b) => b.Score.CompareTo(a.Score));
        var (best, bestScore) = scored[0];
        if (bestScore < options.JoinThreshold) return StoryDecision.New;
        var bestCentroid = best.Centroid();
        var merge = new List<string>();
        foreach (var (other, score) in scored.Skip(1))
        {
            if (score < options.MergeThreshold) break;
            if (VectorMath.Cosine(bestCentroid, other.Centroid()) >= options.MergeCentroidCosine && SharesName(best, other))
                merge.Add(other.Id);
        }
        return new StoryDecision(best.Id, bestScore, merge);
    }

    /// <summary>The article's score with a story, or null when it cannot join it (too far in time, no name in common and not near-identical).</summary>
    public double? Score(ArticleFeatures article, StoryProfile story)
    {
        double gapDays = GapDays(article.Time, story);
        if (gapDays > options.ActiveDays) return null;
        double cosine = article.Vector.Length == story.Sum.Length && article.Vector.Length > 0 ? VectorMath.Cosine(article.Vector, story.Sum) : 0;
        if (float.IsNaN((float)cosine)) cosine = 0;
        // even every bonus could not lift it to the threshold: done without reading the story's names
        if (cosine + options.EntityWeight + 2 * options.NumberWeight < options.JoinThreshold) return null;
        int shared = article.Entities.Count(story.Entities.ContainsKey);
        if (shared == 0 && cosine < options.NoEntityCosine) return null;
        // the share of the smaller name set that the other holds (overlap coefficient), so that a short article
        // naming two of a story's names counts as much as a long one naming eight
        double entityShare = article.Entities.Count == 0 || story.Entities.Count == 0
            ? 0
            : shared / (double)Math.Max(2, Math.Min(article.Entities.Count, story.Entities.Count));
        int sharedNumbers = article.Numbers.Count(story.Numbers.ContainsKey);
        return cosine + options.EntityWeight * Math.Min(1, entityShare) + options.NumberWeight * Math.Min(2, sharedNumbers) - options.DayPenalty * gapDays;
    }

    static double GapDays(DateTimeOffset t, StoryProfile story)
    {
        if (story.First > story.Last) return 0;
        if (t < story.First) return (story.First - t).TotalDays;
        if (t > story.Last) return (t - story.Last).TotalDays;
        return 0;
    }

    static bool SharesName(StoryProfile a, StoryProfile b) => a.Entities.Keys.Any(b.Entities.ContainsKey) || (a.Entities.Count == 0 && b.Entities.Count == 0);

    /// <summary>
    /// The most representative headline: the article whose vector is nearest the story's centroid
    /// (ties: the earliest).
    /// </summary>
    public static ArticleFeatures Representative(IReadOnlyList<ArticleFeatures> members)
    {
        if (members.Count == 1) return members[0];
        var centroid = StoryProfile.FromMembers("", members).Centroid();
        ArticleFeatures best = members[0];
        double bestScore = double.MinValue;
        foreach (var m in members.OrderBy(m => m.Time).ThenBy(m => m.ArticleId, StringComparer.Ordinal))
        {
            double s = m.Vector.Length == centroid.Length ? VectorMath.Cosine(m.Vector, centroid) : 0;
            if (s > bestScore + 1e-6)
            {
                bestScore = s;
                best = m;
            }
        }
        return best;
    }
}
