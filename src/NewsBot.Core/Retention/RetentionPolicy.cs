namespace NewsBot.Core.Retention;

/// <summary>
/// How long articles stay (<c>Storage:RetainDays</c>, unset: forever) and whether a pruned article's text stays in its
/// tombstone (<c>Storage:KeepArticleText</c>). An article's age is its published time, else (no date in the source) the
/// time it was first ingested: the published time is what a reader means by "older than 180 days", and the ingestion
/// time is the only date every article has.
/// </summary>
public sealed record RetentionPolicy(int? RetainDays = null, bool KeepArticleText = false)
{
    public static RetentionPolicy KeepEverything { get; } = new();

    /// <summary>Articles dated before this leave the index; null when everything is kept.</summary>
    public DateTimeOffset? Cutoff(DateTimeOffset now) => RetainDays is { } days ? now - TimeSpan.FromDays(days) : null;
}
