using NewsBot.Core.Model;

namespace NewsBot.Core.Stories;

/// <summary>
/// A story: the coverage of one event across outlets. Articles are in publication order
/// (undated ones by ingestion time); <see cref="Outlets"/> are distinct, in order of first coverage.
/// </summary>
public sealed record Story
{
    public required string Id { get; init; }
    /// <summary>The most representative headline of the story's articles.</summary>
    public required string Title { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public required IReadOnlyList<ArticleRef> Articles { get; init; }
    public IReadOnlyList<string> Outlets { get; init; } = [];
}
