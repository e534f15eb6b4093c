using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using Xunit;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>
/// Feeds over real HTTP on 127.0.0.1: items read from a feed URL (pages fetched for summary-only
/// items), FeedPoller's conditional GET, seen items, saved state and failures, and ProbeAsync.
/// </summary>
public sealed class FeedIntegrationTests : IAsyncLifetime
{
    const string ConditionalETag = "\"v1\"";
    const string ConditionalLastModified = "Tue, 05 Mar 2024 10:00:00 GMT";

    LoopbackServer _server = null!;
    readonly SourcesHost _host = new();
    volatile bool _flakyFails = true;
    volatile bool _laterPagePublished;
    volatile bool _corrected;

    static string ArticlePage(string title, string author, string sentence) => $"""
        <html><head><title>{title} - Riverside Chronicle</title><meta property="og:site_name" content="Riverside Chronicle">
        <meta name="author" content="{author}"></head><body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>
        {string.Concat(Enumerable.Range(1, 4).Select(i => $"<p>{sentence} This is paragraph {i} of the full story on the page.</p>"))}
        </article><footer>© Riverside Chronicle</footer></body></html>
        """;

    static string SummaryFeed(string origin) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0"><channel><title>Riverside Chronicle</title><link>{origin}/</link>
          <item><title>Bridge toll scrapped</title><link>{origin}/articles/1?utm_source=rss</link>
            <pubDate>Wed, 06 Mar 2024 08:00:00 GMT</pubDate><description>The toll is gone.</description></item>
          <item><title>Page that vanished</title><link>{origin}/articles/missing</link><guid isPermaLink="false">missing-1</guid>
            <description>&lt;p&gt;Only this summary survives: the market moved to the old station.&lt;/p&gt;</description></item>
          <item><title>Rowing club wins</title><link>/articles/3</link><guid>{origin}/articles/3</guid>
            <author>sports@riverside.example (Ines Moll)</author><description>A short teaser.</description></item>
        </channel></rss>
        """;

    static readonly string LongContent = string.Join(" ", Enumerable.Repeat("The regional assembly debated the water plan for hours before approving it late at night.", 8));

    static string FullContentFeed(string origin) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>Assembly Watch</title>
          <entry><title>Water plan approved</title><link href="{origin}/articles/full"/><id>tag:assembly,2024:1</id>
            <updated>2024-03-07T21:00:00Z</updated><author><name>Ola Nyberg</name></author>
            <content type="html">&lt;p&gt;{LongContent}&lt;/p&gt;</content></entry>
        </feed>
        """;

    const string BrokenFeed = """
        <rss version="2.0"><channel><title>Fragile</title>
          <item><title>Fine item</title><link>/articles/1</link><description>ok</description></item>
          <item><title>Broken <i>item</title><link>/articles/3</link></item>
        </channel></rss>
        """;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/articles/1", () => Results.Content(ArticlePage("Bridge toll scrapped", "Hana Berg", "Drivers no longer pay to cross the river bridge after the council scrapped the toll."), "text/html"));
            app.MapGet("/articles/3", () => Results.Content(ArticlePage("Rowing club wins", "Page Author", "The rowing club won the regional eights final by two lengths on a cold Sunday."), "text/html"));
            app.MapGet("/articles/missing", () => Results.NotFound());
            app.MapGet("/articles/full", () => Results.Content(ArticlePage("Should not be fetched", "x", "x"), "text/html"));
            app.MapGet("/feeds/summary.xml", (HttpContext c) => Results.Content(SummaryFeed(LoopbackServer.Origin(c)), "application/rss+xml"));
            app.MapGet("/feeds/full.xml", (HttpContext c) => Results.Content(FullContentFeed(LoopbackServer.Origin(c)), "application/atom+xml"));
            app.MapGet("/feeds/broken.xml", () => Results.Content(BrokenFeed, "text/xml"));
            app.MapGet("/feeds/sitemap.xml", () => Results.Content("<?xml version=\"1.0\"?><urlset><url><loc>/a</loc></url></urlset>", "application/xml"));
            app.MapGet("/feeds/flaky.xml", (HttpContext c) => _flakyFails ? Results.StatusCode(500) : Results.Content(SummaryFeed(LoopbackServer.Origin(c)), "application/rss+xml"));
            app.MapGet("/feeds/conditional.xml", (HttpContext c) =>
            {
                if (c.Request.Headers.IfNoneMatch == ConditionalETag) return Results.StatusCode(304);
                c.Response.Headers.ETag = ConditionalETag;
                c.Response.Headers.LastModified = ConditionalLastModified;
                return Results.Content(SummaryFeed(LoopbackServer.Origin(c)), "application/rss+xml");
            });
            // one item's page is not there yet (404, and the item has no summary to fall back on)
            app.MapGet("/articles/later", () => _laterPagePublished
                ? Results.Content(ArticlePage("Ferry timetable announced", "Ada Lind", "The new ferry will leave the harbour every forty minutes from May."), "text/html")
                : Results.NotFound());
            app.MapGet("/feeds/gap.xml", (HttpContext c) =>
            {
                if (c.Request.Headers.IfNoneMatch == "\"g1\"") return Results.StatusCode(304);
                c.Response.Headers.ETag = "\"g1\"";
                return Results.Content($"""
                    <rss version="2.0"><channel><title>Harbour News</title>
                      <item><title>Ferry timetable announced</title><link>{LoopbackServer.Origin(c)}/articles/later</link></item>
                      <item><title>Bridge toll scrapped</title><link>{LoopbackServer.Origin(c)}/articles/1</link><description>The toll is gone.</description></item>
                    </channel></rss>
                    """, "application/rss+xml");
            });
            // the publisher corrects an item under the same guid and link
            app.MapGet("/feeds/corrected.xml", (HttpContext c) => Results.Content($"""
                <rss version="2.0"><channel><title>Harbour News</title>
                  <item><title>{(_corrected ? "Ferry fares rise by 5 percent" : "Ferry fares rise by 50 percent")}</title><guid>ferry-fares-1</guid>
                    <link>{LoopbackServer.Origin(c)}/articles/fares</link>
                    <description>{string.Join(" ", Enumerable.Repeat(_corrected ? "Correction: fares rise by 5 percent, not 50 as first reported, the ferry company said." : "Fares rise by 50 percent next month, the ferry company said.", 6))}</description></item>
                </channel></rss>
                """, "application/rss+xml"));
            app.MapGet("/with-feed-link", () => Results.Content(
                "<html><head><title>Home</title><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feeds/summary.xml\"></head><body><p>Welcome to the home page of a small town paper.</p></body></html>", "text/html"));
        });
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _server.DisposeAsync();
    }

    FeedRecord Feed(string path) => new() { Url = _server.Url(path).ToString(), AddedAt = DateTimeOffset.UtcNow };

    static ExtractedArticle Article(SourceItem item) => item is FailedItem f ? throw new Xunit.Sdk.XunitException(f.Error) : ((ExtractedItem)item).Article;

    [Fact]
    public async Task Feed_url_with_summary_only_items_fetches_each_linked_page_and_falls_back_to_the_summary_when_it_cannot()
    {
        var feedUrl = _server.Url("/feeds/summary.xml").ToString();

        var items = await _host.ReadAsync(feedUrl);

        Assert.Equal(3, items.Count);
        var bridge = Article(items[0]);
        Assert.Equal("Bridge toll scrapped", bridge.Title);
        Assert.Equal(SourceKind.FeedItem, bridge.Kind);
        Assert.Equal("Riverside Chronicle", bridge.Outlet);                      // the feed's title
        Assert.Equal(_server.Url("/articles/1").ToString(), bridge.SourceKey);   // canonicalized link, utm_source dropped
        Assert.Equal(feedUrl, bridge.FeedUrl);
        Assert.StartsWith(_server.Url("/articles/1?utm_source=rss") + "#v=", bridge.FeedItemId); // no guid: the link (and a fingerprint)
        Assert.Equal(new DateTimeOffset(2024, 3, 6, 8, 0, 0, TimeSpan.Zero), bridge.Published); // from the feed
        Assert.Equal("Hana Berg", bridge.Author);                                // from the page (the item has none)
        Assert.Equal(4, bridge.Paragraphs.Count);                                // the page's text, not the 4-word summary
        Assert.DoesNotContain(bridge.Paragraphs, p => p.Contains("Home"));

        var vanished = Article(items[1]);                                       // page 404: the summary is kept, nothing lost
        Assert.Equal(["Only this summary survives: the market moved to the old station."], vanished.Paragraphs);
        Assert.StartsWith("missing-1#v=", vanished.FeedItemId);

        var rowing = Article(items[2]);
        Assert.Equal("Ines Moll", rowing.Author);                                // the item's author wins over the page's
        Assert.StartsWith(_server.Url("/articles/3") + "#v=", rowing.FeedItemId);  // guid
        Assert.Contains(rowing.Paragraphs, p => p.Contains("eights final"));
        Assert.Equal(1, _server.CountRequests("/articles/missing"));
    }

    [Fact]
    public async Task Item_with_substantial_content_is_used_as_it_is_without_fetching_its_page()
    {
        var items = await _host.ReadAsync(_server.Url("/feeds/full.xml").ToString());

        var article = Article(Assert.Single(items));
        Assert.Equal("Water plan approved", article.Title);
        Assert.Equal("Assembly Watch", article.Outlet);
        Assert.Equal("Ola Nyberg", article.Author);
        Assert.StartsWith("tag:assembly,2024:1#v=", article.FeedItemId);
        Assert.Equal(LongContent, Assert.Single(article.Paragraphs));
        Assert.Equal(0, _server.CountRequests("/articles/full"));
    }

    [Fact]
    public async Task Feed_with_one_broken_item_yields_a_failure_for_it_and_the_good_item()
    {
        var items = await _host.ReadAsync(_server.Url("/feeds/broken.xml").ToString());

        Assert.Equal(2, items.Count);
        Assert.Equal("Fine item", Article(items[0]).Title);
        var failed = Assert.IsType<FailedItem>(items[1]);
        Assert.Contains("item 2", failed.Error);
        Assert.Contains("malformed XML", failed.Error);
    }

    [Fact]
    public async Task Xml_that_is_not_a_feed_is_one_clear_failure()
    {
        var failed = Assert.IsType<FailedItem>(Assert.Single(await _host.ReadAsync(_server.Url("/feeds/sitemap.xml").ToString())));

        Assert.Contains("neither a web page nor an RSS/Atom feed", failed.Error);
        Assert.Contains("<urlset>", failed.Error);
    }

    [Fact]
    public async Task Poller_sends_validators_on_the_second_poll_and_a_304_yields_nothing()
    {
        var feed = Feed("/feeds/conditional.xml");
        await _host.Store.AddFeedAsync(feed);

        var first = await _host.PollAsync(feed);
        Assert.Equal(3, first.Count);
        var saved = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Equal(ConditionalETag, saved.ETag);
        Assert.Equal(ConditionalLastModified, saved.LastModified);
        Assert.Equal("Riverside Chronicle", saved.Title);
        Assert.NotNull(saved.LastSuccessAt);
        Assert.Null(saved.LastError);

        var second = await _host.PollAsync(saved);

        Assert.Empty(second);
        var request = _server.Requests.Last(r => r.Path == "/feeds/conditional.xml");
        Assert.Equal(ConditionalETag, request.IfNoneMatch);
        Assert.Equal(ConditionalLastModified, request.IfModifiedSince);
        var afterNotModified = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Equal(ConditionalETag, afterNotModified.ETag); // validators kept
        Assert.Equal(0, afterNotModified.ConsecutiveFailures);
        Assert.True(afterNotModified.LastPolledAt >= saved.LastPolledAt);
    }

    [Fact]
    public async Task Poller_skips_items_the_store_has_seen()
    {
        var feed = Feed("/feeds/summary.xml");
        await _host.Store.AddFeedAsync(feed);
        var all = await _host.PollAsync(feed);
        await _host.Store.MarkItemSeenAsync(feed.Url, Article(all[0]).FeedItemId!);
        await _host.Store.MarkItemSeenAsync(feed.Url, Article(all[1]).FeedItemId!);
        var pagesBefore = _server.CountRequests("/articles/1");

        var items = await _host.PollAsync((await _host.Store.GetFeedAsync(feed.Url))!);

        Assert.Equal("Rowing club wins", Article(Assert.Single(items)).Title);
        Assert.Equal(pagesBefore, _server.CountRequests("/articles/1")); // a seen item's page is not fetched again

        // everything marked seen (as the pipeline does after committing): the next poll brings nothing
        foreach (var item in items) await _host.Store.MarkItemSeenAsync(feed.Url, Article(item).FeedItemId!);
        Assert.Empty(await _host.PollAsync((await _host.Store.GetFeedAsync(feed.Url))!));
    }

    [Fact]
    public async Task Items_seen_before_the_upgrade_under_their_id_alone_stay_seen_until_corrected()
    {
        var feed = Feed("/feeds/corrected.xml");
        await _host.Store.AddFeedAsync(feed);
        await _host.Store.MarkItemSeenAsync(feed.Url, "ferry-fares-1"); // how earlier versions remembered it

        Assert.Empty(await _host.PollAsync(feed));
        _corrected = true;
        Assert.Equal("Ferry fares rise by 5 percent", Article(Assert.Single(await _host.PollAsync(feed))).Title);
    }

    [Fact]
    public async Task An_item_the_publisher_corrects_under_the_same_guid_is_read_again()
    {
        var feed = Feed("/feeds/corrected.xml");
        await _host.Store.AddFeedAsync(feed);
        var first = Article(Assert.Single(await _host.PollAsync(feed)));
        await _host.Store.MarkItemSeenAsync(feed.Url, first.FeedItemId!);
        Assert.Empty(await _host.PollAsync(feed)); // unchanged: skipped

        _corrected = true;
        var again = Article(Assert.Single(await _host.PollAsync(feed)));

        Assert.Equal("Ferry fares rise by 5 percent", again.Title);
        Assert.Equal(first.SourceKey, again.SourceKey); // the same article, so ingestion updates it
        Assert.NotEqual(first.FeedItemId, again.FeedItemId);
    }

    [Fact]
    public async Task Poller_keeps_the_old_validators_when_an_item_failed_so_the_next_poll_reads_it_again()
    {
        var feed = Feed("/feeds/gap.xml");
        await _host.Store.AddFeedAsync(feed);
        var first = await _host.PollAsync(feed);
        Assert.IsType<FailedItem>(first[0]); // the page is not there yet
        foreach (var item in first.OfType<ExtractedItem>()) await _host.Store.MarkItemSeenAsync(feed.Url, item.Article.FeedItemId!);
        var saved = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Null(saved.ETag); // with "g1" stored, the next poll would get a 304 and never see the item again

        _laterPagePublished = true;
        var second = await _host.PollAsync(saved);

        Assert.Equal("Ferry timetable announced", Article(Assert.Single(second)).Title);
        Assert.Equal("\"g1\"", (await _host.Store.GetFeedAsync(feed.Url))!.ETag); // every item read: now it may ask
    }

    [Fact]
    public async Task Poller_records_failures_then_resets_them_on_success()
    {
        var feed = Feed("/feeds/flaky.xml");
        await _host.Store.AddFeedAsync(feed);

        var failed = Assert.IsType<FailedItem>(Assert.Single(await _host.PollAsync(feed)));
        Assert.Contains("HTTP 500", failed.Error);
        var afterOne = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Equal(1, afterOne.ConsecutiveFailures);
        Assert.Contains("HTTP 500", afterOne.LastError);
        Assert.Null(afterOne.LastSuccessAt);
        Assert.NotNull(afterOne.LastPolledAt);

        await _host.PollAsync(afterOne);
        Assert.Equal(2, (await _host.Store.GetFeedAsync(feed.Url))!.ConsecutiveFailures);

        _flakyFails = false;
        Assert.Equal(3, (await _host.PollAsync((await _host.Store.GetFeedAsync(feed.Url))!)).Count);
        var recovered = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Equal(0, recovered.ConsecutiveFailures);
        Assert.Null(recovered.LastError);
        Assert.NotNull(recovered.LastSuccessAt);
    }

    [Fact]
    public async Task Poller_stopped_after_the_first_item_saves_its_state_but_not_the_validators()
    {
        var feed = Feed("/feeds/conditional.xml");
        await _host.Store.AddFeedAsync(feed);

        await foreach (var _ in _host.Poller.PollAsync(feed)) break; // Ctrl+C, or the worker shutting down

        var saved = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Equal(0, _server.CountRequests("/articles/3")); // the rest was not read
        Assert.NotNull(saved.LastPolledAt);
        Assert.Null(saved.ETag); // so the next poll is not answered 304 with the rest still unread…
        Assert.Equal(3, (await _host.PollAsync(saved)).Count); // …and reads them
        Assert.Equal(ConditionalETag, (await _host.Store.GetFeedAsync(feed.Url))!.ETag);
    }

    [Fact]
    public async Task Poller_keeps_counters_the_pipeline_updated_meanwhile()
    {
        var feed = Feed("/feeds/full.xml");
        await _host.Store.AddFeedAsync(feed);
        await _host.Store.UpdateFeedAsync(feed with { ItemsIngested = 41 }); // e.g. the pipeline counted an earlier item

        await _host.PollAsync(feed); // the caller passes the stale record

        Assert.Equal(41, (await _host.Store.GetFeedAsync(feed.Url))!.ItemsIngested);
    }

    [Fact]
    public async Task Untrusted_feed_on_loopback_is_refused_by_the_poller()
    {
        var feed = Feed("/feeds/summary.xml") with { Trusted = false, AddedBy = "telegram:42" };
        await _host.Store.AddFeedAsync(feed);

        var failed = Assert.IsType<FailedItem>(Assert.Single(await _host.PollAsync(feed)));

        Assert.Contains("loopback address", failed.Error);
        Assert.Equal(0, _server.CountRequests("/feeds/summary.xml"));
        Assert.Equal(1, (await _host.Store.GetFeedAsync(feed.Url))!.ConsecutiveFailures);
    }

    [Fact]
    public async Task Probe_accepts_a_feed_and_explains_what_else_it_found()
    {
        var ok = await _host.Poller.ProbeAsync(_server.Url("/feeds/full.xml").ToString(), trusted: true);
        Assert.True(ok.Ok);
        Assert.Equal("Assembly Watch", ok.Title);
        Assert.Null(ok.Error);

        var page = await _host.Poller.ProbeAsync(_server.Url("/with-feed-link").ToString(), trusted: true);
        Assert.False(page.Ok);
        Assert.Contains("is a web page, not an RSS or Atom feed", page.Error);
        Assert.Contains(_server.Url("/feeds/summary.xml").ToString(), page.Error); // the advertised feed, as a hint

        var missing = await _host.Poller.ProbeAsync(_server.Url("/articles/missing").ToString(), trusted: true);
        Assert.False(missing.Ok);
        Assert.Contains("HTTP 404", missing.Error);

        var notUrl = await _host.Poller.ProbeAsync("file:///etc/passwd", trusted: false);
        Assert.False(notUrl.Ok);
        Assert.Contains("not an http(s) URL", notUrl.Error);

        var refused = await _host.Poller.ProbeAsync(_server.Url("/feeds/full.xml").ToString(), trusted: false);
        Assert.False(refused.Ok);
        Assert.StartsWith("refused: 127.0.0.1 is a loopback address", refused.Error);
    }
}
