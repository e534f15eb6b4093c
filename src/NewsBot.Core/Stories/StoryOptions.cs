using System.ComponentModel.DataAnnotations;

namespace NewsBot.Core.Stories;

/// <summary>
/// How the online story clusterer decides (configuration section <c>Stories</c>). The defaults were tuned on
/// the dev part of <c>eval/stories</c> (see BENCHMARKS.md); a false merge is worse than a split, so they lean
/// towards opening a new story.
/// </summary>
public sealed class StoryOptions
{
    public const string SectionName = "Stories";

    /// <summary>A story takes new articles while they are at most this many days from its span.</summary>
    [Range(0.0, 365.0)]
    public double ActiveDays { get; set; } = 3;

    /// <summary>The score an article needs to join a story (cosine of title+lead vectors plus the bonuses below).</summary>
    [Range(0.0, 2.0)]
    public double JoinThreshold { get; set; } = 0.72;

    /// <summary>Weight of the share of the article's names that the story also names.</summary>
    [Range(0.0, 1.0)]
    public double EntityWeight { get; set; } = 0.25;

    /// <summary>Bonus per shared number (years, counts, scores), up to two.</summary>
    [Range(0.0, 1.0)]
    public double NumberWeight { get; set; } = 0.03;

    /// <summary>Score lost per day between the article and the story's span.</summary>
    [Range(0.0, 1.0)]
    public double DayPenalty { get; set; } = 0.03;

    /// <summary>Without a single shared name, an article joins only at this cosine or above.</summary>
    [Range(0.0, 1.0)]
    public double NoEntityCosine { get; set; } = 0.85;

    /// <summary>A second story merges into the chosen one when the article scores this much with it too...</summary>
    [Range(0.0, 2.0)]
    public double MergeThreshold { get; set; } = 0.80;

    /// <summary>...and the two stories' centroids are at least this similar.</summary>
    [Range(-1.0, 1.0)]
    public double MergeCentroidCosine { get; set; } = 0.70;

    /// <summary>Articles considered by the title election: the headline nearest the centroid wins.</summary>
    [Range(1, 1000)]
    public int TitleCandidates { get; set; } = 50;
}
