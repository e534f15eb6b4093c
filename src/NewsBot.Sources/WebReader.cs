using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using NewsBot.Sources.Feeds;
using NewsBot.Sources.Html;
using NewsBot.Sources.Http;
using NewsBot.Sources.Text;

namespace NewsBot.Sources;

/// <summary>What a download turned out to be.</summary>
internal enum WebContentKind
{
    Failed,
    NotModified,
    Page,
    Feed,
    PlainText,
}

/// <summary>A downloaded document, classified by sniffing its bytes (not only its Content-Type).</summary>
internal sealed record WebContent(WebContentKind Kind, FetchResult Fetch, string? Text = null, ParsedFeed? Feed = null, string? Error = null)
{
    public Uri Url => Fetch.FinalUrl ?? Fetch.RequestedUrl;
}

/// <summary>
/// Downloads URLs and reads them as web pages, feeds or plain-text articles; turns feed items into
/// articles (fetching the linked page when an item carries only a summary). Shared by
/// <see cref="ArticleSource"/> and <see cref="FeedPoller"/>.
/// </summary>
internal sealed class WebReader(SafeHttpFetcher fetcher, ILogger<WebReader> logger)
{
    /// <summary>Feed content with at least this many words is used as it is; shorter items get their page fetched.</summary>
    public const int SubstantialWords = 80;

    /// <summary>Downloads <paramref name="url"/> and classifies it.</summary>
    public async Task<WebContent> FetchAsync(Uri url, bool trusted, ConditionalValidators? validators, CancellationToken ct)
    {
        var fetch = await fetcher.FetchAsync(url, trusted, validators, ct).ConfigureAwait(false);
        if (!fetch.Ok) return new WebContent(WebContentKind.Failed, fetch, Error: fetch.Error);
        if (fetch.NotModified) return new WebContent(WebContentKind.NotModified, fetch);
        var finalUrl = fetch.FinalUrl ?? url;
        if (fetch.Body.Length == 0)
            return new WebContent(WebContentKind.Failed, fetch, Error: $"{finalUrl} returned an empty document");
        if (ContentDecoder.DescribeBinary(fetch.Body) is { } binary)
            return new WebContent(WebContentKind.Failed, fetch, Error: $"unsupported content at {finalUrl}: {binary}, not a web page or feed (content type {fetch.MediaType ?? "not given"})");

        var decoded = ContentDecoder.Decode(fetch.Body, fetch.Charset, sniffMarkup: true);
        if (decoded.Uncertain) // garbage is worse than nothing: say so rather than store mojibake
            return new WebContent(WebContentKind.Failed, fetch, Error: $"{finalUrl} was not read: {decoded.Reason} (the server declares no charset)");
        var text = decoded.Text;
        var root = FeedParser.RootElementName(text);
        if (FeedParser.FormatOf(root) is not null)
        {
            FeedParseResult parsed;
            try
            {
                parsed = FeedParser.Parse(text, finalUrl);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Unexpected error parsing the feed at {Url}", finalUrl);
                parsed = new FeedParseResult(null, $"the feed could not be parsed ({ex.GetType().Name}: {ex.Message})");
            }
            return parsed.Feed is { } feed
                ? new WebContent(WebContentKind.Feed, fetch, text, feed)
                : new WebContent(WebContentKind.Failed, fetch, Error: $"{finalUrl}: {parsed.Error}");
        }
        var media = fetch.MediaType ?? "";
        bool htmlType = media is "text/html" or "application/xhtml+xml";
        if (string.Equals(root, "html", StringComparison.OrdinalIgnoreCase) || htmlType || (root is not null && LooksLikeHtml(text)))
            return new WebContent(WebContentKind.Page, fetch, text);
        if (media is "text/plain" or "text/markdown" or "text/x-markdown" || (media.Length == 0 && root is null))
            return new WebContent(WebContentKind.PlainText, fetch, text);
        return new WebContent(WebContentKind.Failed, fetch, Error: root is not null
            ? $"{finalUrl} is neither a web page nor an RSS/Atom feed (XML with root element <{root}>)"
            : $"unsupported content type {media} at {finalUrl} (expected a web page or an RSS/Atom feed)");
    }

    static bool LooksLikeHtml(string text)
    {
        var head = text.Length > 4096 ? text[..4096] : text;
        return head.Contains("<body", StringComparison.OrdinalIgnoreCase) || head.Contains("<head", StringComparison.OrdinalIgnoreCase)
               || head.Contains("<p>", StringComparison.OrdinalIgnoreCase) || head.Contains("<div", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><see cref="PageItem"/>, with an unexpected extraction error turned into a failure (bad input never throws).</summary>
    public static SourceItem SafePageItem(string input, WebContent content, ILogger logger)
    {
        try
        {
            return PageItem(input, content);
        }
        catch (HtmlTooDeepException ex)
        {
            return new FailedItem(input, $"could not extract {content.Url}: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Unexpected error extracting {Url}", content.Url);
            return new FailedItem(input, $"could not extract {content.Url}: unexpected {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>The article of a downloaded page (or plain-text document); a failure when it has no readable text.</summary>
    public static SourceItem PageItem(string input, WebContent content)
    {
        var url = content.Url;
        if (content.Kind == WebContentKind.PlainText)
        {
            var parsed = ArticleTextParser.Parse(content.Text!, markdown: content.Fetch.MediaType is "text/markdown" or "text/x-markdown");
            // the document's own url: line names the article, as a page's <link rel="canonical"> does below
            var key = ArticleSource.CanonicalOrNull(parsed.Url) ?? UrlCanonicalizer.Canonicalize(url);
            return parsed.Paragraphs.Count == 0
                ? new FailedItem(input, $"no article text found at {url}")
                : new ExtractedItem(input, new ExtractedArticle(key, key, parsed.Title, parsed.Author, parsed.Outlet ?? HostOf(url), parsed.Published, parsed.Paragraphs, SourceKind.Page));
        }
        var page = HtmlArticleExtractor.Extract(content.Text!, url);
        var sourceKey = page.CanonicalUrl ?? UrlCanonicalizer.Canonicalize(url);
        if (page.Paragraphs.Count == 0)
            return new FailedItem(input, $"no article text found on {url} (the page may need JavaScript, be behind a paywall, or be an index page)");
        return new ExtractedItem(input, new ExtractedArticle(sourceKey, sourceKey, page.Title, page.Author, page.Outlet, page.Published, page.Paragraphs, SourceKind.Page));
    }

    /// <summary>Items of a parsed feed, in feed order: articles for good items, failures for broken ones.</summary>
    public async IAsyncEnumerable<SourceItem> FeedItemsAsync(
        string feedUrl, Uri fetchedFrom, ParsedFeed feed, bool trusted, Func<FeedEntry, CancellationToken, ValueTask<bool>>? skip,
        [EnumeratorCancellation] CancellationToken ct)
    {
        var errors = feed.Errors.ToDictionary(e => e.Index);
        int count = feed.Entries.Count + feed.Errors.Count;
        var byIndex = feed.Entries.ToDictionary(e => e.Index);
        for (int index = 1; index <= count; index++)
        {
            ct.ThrowIfCancellationRequested();
            if (errors.TryGetValue(index, out var error))
            {
                yield return new FailedItem(error.Link ?? $"{feedUrl} (item {index})", $"{feedUrl}: {error.Error}");
                continue;
            }
            if (!byIndex.TryGetValue(index, out var entry)) continue;
            if (skip is not null && await skip(entry, ct).ConfigureAwait(false)) continue;
            yield return await SafeFeedItemAsync(feedUrl, fetchedFrom, feed, entry, trusted, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The id under which a feed item is remembered: its guid/id, else its link, else a hash of its title and text.</summary>
    public static string ItemId(FeedEntry entry) =>
        entry.Id ?? entry.Link?.ToString() ?? "sha256:" + Hashing.Sha256Hex(FeedItemIdentity.Fingerprint(entry));

    /// <summary>
    /// What a poll remembers of an item: its id and a fingerprint of its title and text, so that an item the
    /// publisher corrects under the same link or guid is read again (and updated) rather than skipped as seen.
    /// Items that share their link with others are marked ("+own"): before they had keys of their own they were all
    /// written over one article, so a data directory from then has them seen but lost; the new key reads them once.
    /// </summary>
    public static string SeenKey(FeedEntry entry)
    {
        var id = ItemId(entry);
        var key = id.StartsWith("sha256:", StringComparison.Ordinal)
            ? id // already a fingerprint of title and text
            : $"{id}#v={Hashing.Sha256Hex(FeedItemIdentity.Fingerprint(entry))[..16]}";
        return entry.SharesLink ? key + "+own" : key;
    }

    async Task<SourceItem> SafeFeedItemAsync(string feedUrl, Uri fetchedFrom, ParsedFeed feed, FeedEntry entry, bool trusted, CancellationToken ct)
    {
        try
        {
            return await FeedItemAsync(feedUrl, fetchedFrom, feed, entry, trusted, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One strange item must not sink the feed.
            logger.LogWarning(ex, "Unexpected error reading item {Index} of {Feed}", entry.Index, feedUrl);
            return new FailedItem(entry.Link?.ToString() ?? $"{feedUrl} (item {entry.Index})", $"{feedUrl}: item {entry.Index} could not be read: unexpected {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// One feed item as an article: its own content when substantial (≥ <see cref="SubstantialWords"/>
    /// words), else the linked page; the summary when the page cannot be read.
    /// </summary>
    public async Task<SourceItem> FeedItemAsync(string feedUrl, Uri fetchedFrom, ParsedFeed feed, FeedEntry entry, bool trusted, CancellationToken ct)
    {
        var input = entry.Link?.ToString() ?? $"{feedUrl} (item {entry.Index})";
        var content = Paragraphs(entry.Content);
        var summary = Paragraphs(entry.Summary);
        var best = Words(content) >= Words(summary) ? content : summary;
        string? author = entry.Author;
        DateTimeOffset? published = entry.Published;
        string? pageTitle = null, pageOutlet = null;
        IReadOnlyList<string> paragraphs = best;

        // an item that shares its page with others (permalinks "page#post-3") has its own text only in the feed
        if (Words(content) < SubstantialWords && entry.Link is { } link && !(entry.SharesLink && best.Count > 0))
        {
            var page = await FetchAsync(link, trusted, null, ct).ConfigureAwait(false);
            string? problem = page.Error;
            if (page.Kind is WebContentKind.Page or WebContentKind.PlainText)
            {
                switch (SafePageItem(input, page, logger))
                {
                    case ExtractedItem { Article: var a } when Words(a.Paragraphs) >= Words(best):
                        paragraphs = a.Paragraphs;
                        author ??= a.Author;
                        published ??= a.Published;
                        pageTitle = NullIfEmpty(a.Title);
                        pageOutlet = a.Outlet;
                        problem = null;
                        break;
                    case ExtractedItem:
                        problem = "the page has less text than the feed";
                        break;
                    case FailedItem f:
                        problem = f.Error;
                        break;
                }
            }
            else if (page.Kind == WebContentKind.Feed)
            {
                problem = $"{link} is a feed, not an article page";
            }
            if (problem is not null)
            {
                if (best.Count == 0)
                    return new FailedItem(input, $"{feedUrl}: item {entry.Index} has no text in the feed, and its page could not be read: {problem}");
                logger.LogInformation("Using the feed's summary for {Link}: {Problem}", link, problem);
            }
        }

        if (paragraphs.Count == 0)
            return new FailedItem(input, $"{feedUrl}: item {entry.Index} has no text and no link to read it from");

        var sourceKey = entry.Link is { } l ? entry.LinkKey ?? UrlCanonicalizer.Canonicalize(l) : $"urn:feed:{feedUrl}#{entry.Id ?? ItemId(entry)}";
        // the link users follow: the canonical URL, with the item's #fragment when that is what tells it apart
        var url = entry.Link is not { } link2 ? feedUrl
            : entry.SharesLink && link2.Fragment.Length > 1 ? $"{UrlCanonicalizer.Canonicalize(link2)}{link2.Fragment}"
            : UrlCanonicalizer.Canonicalize(link2);
        var outlet = NullIfEmpty(feed.Title) ?? pageOutlet ?? HostOf(fetchedFrom);
        var article = new ExtractedArticle(sourceKey, url, entry.Title ?? pageTitle ?? "", author, outlet, published, paragraphs, SourceKind.FeedItem)
        {
            FeedUrl = feedUrl,
            FeedItemId = SeenKey(entry),
        };
        return new ExtractedItem(input, article);
    }

    /// <summary>The paragraphs of a feed text; a "…" or "[more]" with no letter or digit is no text.</summary>
    static List<string> Paragraphs(FeedText? text)
    {
        if (text is null || string.IsNullOrWhiteSpace(text.Value)) return [];
        var paragraphs = text.IsHtml
            ? HtmlArticleExtractor.FragmentToParagraphs(text.Value)
            : ArticleTextParser.RemoveFooter(TextNormalizer.SplitParagraphs(text.Value, lineIsParagraph: false));
        return paragraphs.Any(p => p.Any(char.IsLetterOrDigit)) ? paragraphs : [];
    }

    static int Words(IReadOnlyList<string> paragraphs) => paragraphs.Sum(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    static string HostOf(Uri url) => url.Host.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? url.Host[4..] : url.Host;
}
