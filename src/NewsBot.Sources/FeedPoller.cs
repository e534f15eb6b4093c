using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using NewsBot.Sources.Feeds;
using NewsBot.Sources.Http;

namespace NewsBot.Sources;

/// <summary>
/// Polls registered feeds: a conditional GET from the feed's stored validators (ETag,
/// Last-Modified), the items not seen before in this version (the ingestion pipeline marks items seen after
/// committing them; a corrected item is a new version), and the feed's new state saved when the enumeration
/// ends — also when it fails or the caller stops early. New validators are kept only when every item was read.
/// </summary>
public sealed partial class FeedPoller : IFeedPoller
{
    readonly WebReader _web;
    readonly IFeedStore _store;
    readonly TimeProvider _time;
    readonly ILogger<FeedPoller> _logger;

    internal FeedPoller(WebReader web, IFeedStore store, TimeProvider time, ILogger<FeedPoller> logger)
    {
        _web = web;
        _store = store;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceItem> PollAsync(FeedRecord feed, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(feed);
        var startedAt = _time.GetUtcNow();
        var state = new PollState();
        try
        {
            if (!UrlCanonicalizer.IsHttpUrl(feed.Url, out var url))
            {
                state.Error = $"{feed.Url} is not an http(s) URL";
                yield return new FailedItem(feed.Url, state.Error);
                yield break;
            }

            var content = await _web.FetchAsync(url, feed.Trusted, new ConditionalValidators(feed.ETag, feed.LastModified), ct).ConfigureAwait(false);
            state.ETag = content.Fetch.ETag;
            state.LastModified = content.Fetch.LastModified;
            switch (content.Kind)
            {
                case WebContentKind.NotModified:
                    _logger.LogDebug("Feed {Url} not modified", feed.Url);
                    state.Succeeded = true;
                    state.AllItemsRead = true;
                    yield break;
                case WebContentKind.Feed:
                    state.Succeeded = true;
                    state.Title = content.Feed!.Title;
                    break;
                case WebContentKind.Page or WebContentKind.PlainText:
                    state.Error = $"{feed.Url} is no longer an RSS or Atom feed (it returned a web page)";
                    yield return new FailedItem(feed.Url, state.Error);
                    yield break;
                default:
                    state.Error = content.Error ?? $"{feed.Url} could not be read";
                    yield return new FailedItem(feed.Url, state.Error);
                    yield break;
            }

            int fresh = 0, failed = 0;
            if (content.Feed.Entries.Count + content.Feed.Errors.Count == 0) state.Skips.Add("the feed has no items");
            await foreach (var item in _web.FeedItemsAsync(feed.Url, content.Url, content.Feed, feed.Trusted, IsSeenAsync, ct).ConfigureAwait(false))
            {
                fresh++;
                if (item is FailedItem f)
                {
                    failed++;
                    state.Skips.Add(f.Error.StartsWith(feed.Url + ": ", StringComparison.Ordinal) ? f.Error[(feed.Url.Length + 2)..] : f.Error);
                }
                yield return item;
            }
            state.AllItemsRead = failed == 0;
            state.Skipped = failed;
            _logger.LogInformation("Feed {Url}: {Items} items, {New} new", feed.Url, content.Feed.Entries.Count + content.Feed.Errors.Count, fresh);
        }
        finally
        {
            // Saved whatever happened (success, failure, an early stop by the caller). Not tied to ct,
            // so that a poll stopped while reading items still records its validators; a poll cancelled
            // before the feed answered (shutdown) is not a failure of the feed and records nothing.
            if (state.Succeeded || state.Error is not null || !ct.IsCancellationRequested)
                await SaveStateAsync(feed, state, startedAt).ConfigureAwait(false);
        }

        async ValueTask<bool> IsSeenAsync(Feeds.FeedEntry entry, CancellationToken token)
        {
            var key = WebReader.SeenKey(entry);
            if (await _store.IsItemSeenAsync(feed.Url, key, token).ConfigureAwait(false)) return true;
            // seen before upgrading, under its id alone: taken as this version (no page fetched again, nothing
            // deleted comes back); a later correction changes the key and is read
            if (entry.SharesLink) return false; // its old keys were shared with other items: read it once more
            var legacy = WebReader.ItemId(entry);
            return legacy != key && await _store.MoveSeenItemAsync(feed.Url, legacy, key, token).ConfigureAwait(false);
        }
    }

    sealed class PollState
    {
        public bool Succeeded { get; set; }
        public string? Error { get; set; }
        public string? ETag { get; set; }
        public string? LastModified { get; set; }
        public string? Title { get; set; }
        /// <summary>Every item was read (none failed, the caller did not stop early): only then may the next poll ask "modified since?".</summary>
        public bool AllItemsRead { get; set; }
        public int Skipped { get; set; }
        public List<string> Skips { get; } = [];

        /// <summary>The reasons, alike ones counted together ("2× item has no text…"), the first three, each kept short.</summary>
        public string? Why()
        {
            if (Skips.Count == 0) return null;
            var groups = Skips.Select(s => ItemNumber().Replace(s, "item")).GroupBy(s => s, StringComparer.Ordinal)
                .Select(g => (g.Count() > 1 ? $"{g.Count()}× " : "") + TextNormalizer.Truncate(g.Key, 160)).ToList();
            return string.Join("; ", groups.Take(3)) + (groups.Count > 3 ? $"; and {groups.Count - 3} other reasons" : "");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\bitem \d+\b")] private static partial System.Text.RegularExpressions.Regex ItemNumber();

    async Task SaveStateAsync(FeedRecord feed, PollState state, DateTimeOffset startedAt)
    {
        try
        {
            // Re-read the record so that counters the pipeline updated meanwhile (ItemsIngested) are kept.
            var current = await _store.GetFeedAsync(feed.Url, CancellationToken.None).ConfigureAwait(false) ?? feed;
            var updated = state.Succeeded
                ? current with
                {
                    // a poll stopped part-way, or with items that failed, keeps the previous validators: the next
                    // poll then gets the feed again (not a 304) and reads the items still missing
                    ETag = state.AllItemsRead ? state.ETag : current.ETag,
                    LastModified = state.AllItemsRead ? state.LastModified : current.LastModified,
                    LastPolledAt = startedAt,
                    LastSuccessAt = startedAt,
                    LastError = null,
                    ConsecutiveFailures = 0,
                    Title = string.IsNullOrWhiteSpace(state.Title) ? current.Title : state.Title,
                    LastPollSkipped = state.Skipped,
                    LastPollSkippedWhy = state.Why(),
                }
                : current with
                {
                    LastPolledAt = startedAt,
                    LastError = state.Error ?? "the poll stopped before the feed was read",
                    ConsecutiveFailures = current.ConsecutiveFailures + 1,
                };
            await _store.UpdateFeedAsync(updated, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "Could not save the state of feed {Url}", feed.Url);
        }
    }

    /// <inheritdoc />
    public async Task<FeedProbe> ProbeAsync(string url, bool trusted, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(url) || !UrlCanonicalizer.IsHttpUrl(url, out var uri))
            return new FeedProbe(false, null, $"'{url}' is not an http(s) URL");
        var content = await _web.FetchAsync(uri, trusted, null, ct).ConfigureAwait(false);
        switch (content.Kind)
        {
            case WebContentKind.Feed:
                var title = content.Feed!.Title ?? uri.Host;
                return new FeedProbe(true, title, null);
            case WebContentKind.Page:
                var advertised = Html.HtmlArticleExtractor.Extract(content.Text!, content.Url).FeedLinks;
                var hint = advertised.Count > 0
                    ? $"; the page names a feed: {advertised[0]} — add that URL instead"
                    : "; look for an RSS or Atom link on the site";
                return new FeedProbe(false, null, $"{url} is a web page, not an RSS or Atom feed{hint}");
            case WebContentKind.PlainText:
                return new FeedProbe(false, null, $"{url} is a plain-text document, not an RSS or Atom feed");
            default:
                return new FeedProbe(false, null, content.Error ?? $"{url} could not be read");
        }
    }
}
