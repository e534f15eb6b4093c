using NewsBot.Core.Model;

namespace NewsBot.Core.Ports;

/// <summary>What a source produced for one input: an article, or a failure with a reason.</summary>
public abstract record SourceItem(string Input);

public sealed record ExtractedItem(string Input, ExtractedArticle Article) : SourceItem(Input);

public sealed record FailedItem(string Input, string Error) : SourceItem(Input);

/// <summary>
/// Turns an operator's input — a file, a folder, a web page URL or a feed URL — into articles.
/// Never throws for bad input: every problem becomes a <see cref="FailedItem"/> with a clear reason.
/// </summary>
public interface IArticleSource
{
    IAsyncEnumerable<SourceItem> ReadAsync(string input, CancellationToken ct = default);
}

/// <summary>Result of checking that a URL is a readable feed.</summary>
public sealed record FeedProbe(bool Ok, string? Title, string? Error);

/// <summary>Polls registered feeds: conditional GET, per-feed state, items not seen before.</summary>
public interface IFeedPoller
{
    /// <summary>
    /// Fetches the feed (If-None-Match / If-Modified-Since from its state), yields the items not seen
    /// before (fetching the linked page when an item carries only a summary), and saves the feed's new
    /// state (validators, last poll, last error) in the feed store when the enumeration ends.
    /// </summary>
    IAsyncEnumerable<SourceItem> PollAsync(FeedRecord feed, CancellationToken ct = default);

    /// <summary>Fetches a URL and checks that it is an RSS or Atom feed (untrusted URLs pass the SSRF guard).</summary>
    Task<FeedProbe> ProbeAsync(string url, bool trusted, CancellationToken ct = default);
}

/// <summary>A feed listed in an OPML file.</summary>
public sealed record OpmlFeed(string Url, string? Title);

public interface IOpmlReader
{
    /// <summary>Reads the feeds of an OPML file; throws <see cref="FormatException"/> with a clear message when it is not OPML.</summary>
    IReadOnlyList<OpmlFeed> Read(string path);
}
