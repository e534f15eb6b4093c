namespace NewsBot.Core.Model;

/// <summary>
/// What every consumer needs to name and link an article: its id, headline, outlet, author, date and link.
/// The one article reference shared by search hits, citations, ingest results, stories and digests.
/// </summary>
public sealed record ArticleRef
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public string? Outlet { get; init; }
    public string? Author { get; init; }
    public DateTimeOffset? Published { get; init; }
    public required string Url { get; init; }
}
