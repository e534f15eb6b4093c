using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using NewsBot.IntegrationTests.Index;
using NewsBot.Sqlite;
using Xunit;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>
/// Feeds as they really are, end to end: served over HTTP on 127.0.0.1, read by the sources adapter, ingested by the
/// real pipeline into a real SQLite data directory with the real MiniLM embedder. Items that share a page stay
/// separate articles; DOCTYPEs, UTF-16 without a BOM, KOI8-R, Base64 and media:description are read; what cannot be
/// read says why.
/// </summary>
[Collection(IndexContractCollection.Name)]
public sealed class FeedIngestionTests(ContractEmbedderFixture embed) : IAsyncLifetime
{
    static readonly string[] Notes =
    [
        "Planted the tomato seedlings in the greenhouse today; the soil was still cold in the morning.",
        "A heron stood on the weir for an hour, ignoring the cyclists crossing the bridge above it.",
        "The library moved its local history room to the second floor, next to the map collection.",
        "Our choir rehearsed the spring programme in the old church, whose organ is being restored.",
        "Snow fell on the hills overnight and the ferry to the island was cancelled until noon.",
        "The bakery on Mill Street started selling rye bread again after its oven was repaired.",
        "A volunteer group cleared plastic waste from three kilometres of the northern beach.",
        "The museum lent two paintings to a gallery abroad for an exhibition on coastal light.",
        "Night trains between the capital and the border towns return in June, the operator said.",
    ];

    readonly string _dir = Directory.CreateTempSubdirectory("newsbot-feeds-").FullName;
    readonly SourcesHost _host = new();
    LoopbackServer _server = null!;
    SqliteDatabase _db = null!;
    SqliteArticleIndex _index = null!;
    SqliteArticleStore _store = null!;
    IngestionPipeline _pipeline = null!;
    volatile bool _corrected;

    static string Notebook(string origin) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0"><channel><title>Town Notebook</title><link>{origin}/notebook</link>
        {string.Concat(Notes.Select((n, i) => $"<item><title>Notebook entry {i + 1}</title><link>{origin}/notebook#entry-{i + 1}</link><description>{n}</description></item>"))}
        </channel></rss>
        """;

    string LiveBlog(string origin) => $"""
        <rss version="2.0"><channel><title>Election Live</title>
          <item><title>Polls open</title><link>{origin}/live</link><guid isPermaLink="false">live-1</guid>
            <description>Polling stations opened at seven across the region with short queues at most schools.</description></item>
          <item><title>Turnout at noon</title><link>{origin}/live</link><guid isPermaLink="false">live-2</guid>
            <description>{(_corrected ? "Turnout reached twenty-nine percent by noon, slightly lower than four years ago, officials corrected." : "Turnout reached thirty-one percent by noon, higher than four years ago, officials said.")}</description></item>
          <item><title>First results</title><link>{origin}/live</link><guid isPermaLink="false">live-3</guid>
            <description>The first district declared shortly after ten in the evening, with the incumbent clearly ahead.</description></item>
        </channel></rss>
        """;

    static string Ellipsis(string origin) => $"""
        <rss version="2.0"><channel><title>Teasers</title>
          <item><title>Gone story</title><link>{origin}/gone</link><description>…</description></item>
        </channel></rss>
        """;

    /// <summary>A feed of the corpus, its example links pointed at this server (their pages are 404: the feed's text is used).</summary>
    static byte[] Corpus(string name, string origin)
    {
        var bytes = File.ReadAllBytes(Path.Combine(CorpusFolder(), name));
        var latin1 = Encoding.Latin1.GetString(bytes); // every byte one char: the ASCII links are replaced in place
        return Encoding.Latin1.GetBytes(System.Text.RegularExpressions.Regex.Replace(latin1, @"https://[a-z]+\.example", origin));
    }

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/notebook.xml", (HttpContext c) => Results.Content(Notebook(LoopbackServer.Origin(c)), "application/rss+xml"));
            app.MapGet("/live.xml", (HttpContext c) => Results.Content(LiveBlog(LoopbackServer.Origin(c)), "application/rss+xml"));
            app.MapGet("/ellipsis.xml", (HttpContext c) => Results.Content(Ellipsis(LoopbackServer.Origin(c)), "application/rss+xml"));
            app.MapGet("/gone", () => Results.NotFound());
            app.MapGet("/corpus/{name}", (HttpContext c, string name) => Results.Bytes(Corpus(name, LoopbackServer.Origin(c)), "text/xml"));
            app.MapGet("/utf16.xml", (HttpContext c) => Results.Bytes(Encoding.BigEndianUnicode.GetBytes($"""
                <?xml version="1.0" encoding="UTF-16"?>
                <rss version="2.0"><channel><title>Harbour Gazette</title>
                <item><title>Ferry timetable changes</title><link>{LoopbackServer.Origin(c)}/gone</link>
                <description>The harbour ferry will run every twenty minutes from Monday, the operator said.</description></item>
                </channel></rss>
                """), "application/rss+xml"));
        });
        _db = new SqliteDatabase(_dir);
        _index = new SqliteArticleIndex(_db);
        _store = new SqliteArticleStore(_db);
        _pipeline = new IngestionPipeline(_host.Source, _store, _index, _host.Store, embed.Embedder, new Chunker(HeuristicTokenCounter.Instance),
            LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System, TestLog.For<IngestionPipeline>());
    }

    public async Task DisposeAsync()
    {
        _index.Dispose();
        _host.Dispose();
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    async Task<List<IngestItemResult>> Ingest(string path)
    {
        var list = new List<IngestItemResult>();
        await foreach (var r in _pipeline.IngestAsync([_server.Url(path).ToString()])) list.Add(r);
        return list;
    }

    async Task<List<IngestItemResult>> Poll(FeedRecord feed)
    {
        var list = new List<IngestItemResult>();
        await foreach (var r in _pipeline.IngestItemsAsync(_host.Poller.PollAsync(feed))) list.Add(r);
        return list;
    }

    [Fact]
    public async Task Nine_items_whose_links_differ_only_by_fragment_are_nine_articles_and_a_second_run_finds_nine_unchanged()
    {
        var first = await Ingest("/notebook.xml");
        Assert.Equal(9, first.Count);
        Assert.All(first, r => Assert.Equal(IngestStatus.Added, r.Status));
        Assert.Equal(9, first.Select(r => r.Article?.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 9).Select(i => $"#entry-{i}"), first.Select(r => new Uri(r.Article?.Url!).Fragment));
        for (int i = 0; i < 9; i++)
            Assert.Contains(Notes[i], (await _store.GetArticleAsync(first[i].Article?.Id!))!.Body, StringComparison.Ordinal);

        var second = await Ingest("/notebook.xml");
        Assert.Equal(9, second.Count);
        Assert.All(second, r => Assert.Equal(IngestStatus.Unchanged, r.Status));
        Assert.Equal(first.Select(r => r.Article?.Id), second.Select(r => r.Article?.Id));
    }

    [Fact]
    public async Task Items_sharing_one_link_under_different_guids_stay_apart_and_a_correction_still_updates_its_own()
    {
        var first = await Ingest("/live.xml");
        Assert.Equal([IngestStatus.Added, IngestStatus.Added, IngestStatus.Added], first.Select(r => r.Status));
        Assert.Equal(3, first.Select(r => r.Article?.Id).Distinct().Count());

        _corrected = true;
        var second = await Ingest("/live.xml");
        Assert.Equal([IngestStatus.Unchanged, IngestStatus.Updated, IngestStatus.Unchanged], second.Select(r => r.Status));
        Assert.Equal(first.Select(r => r.Article?.Id), second.Select(r => r.Article?.Id));
        Assert.Contains("twenty-nine percent", (await _store.GetArticleAsync(second[1].Article?.Id!))!.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_directory_from_before_keeps_its_article_ids_and_the_items_written_over_come_back()
    {
        // As the old reader left it: all nine items written over one article under the page's URL, the last text winning,
        // each item marked seen under its old key.
        var feedUrl = _server.Url("/notebook.xml").ToString();
        var page = UrlCanonicalizer.Canonicalize(_server.Url("/notebook"));
        var old = await _pipeline.IngestItemAsync(new ExtractedItem(page, new ExtractedArticle(page, page, "Notebook entry 9", null, "Town Notebook", null, [Notes[8]], SourceKind.FeedItem)), default);
        Assert.Equal(Identity.ForUrl(page), old.Article?.Id);
        for (int i = 1; i <= 9; i++)
            await _host.Store.MarkItemSeenAsync(feedUrl, $"{_server.Url($"/notebook#entry-{i}")}#v={Hashing.Sha256Hex($"Notebook entry {i}\n{Notes[i - 1]}")[..16]}", default);

        var feed = new FeedRecord { Url = feedUrl, AddedAt = DateTimeOffset.UtcNow };
        await _host.Store.AddFeedAsync(feed);
        var results = await Poll(feed);

        Assert.Equal(9, results.Count);
        Assert.Equal(8, results.Count(r => r.Status == IngestStatus.Added));
        var ninth = Assert.Single(results, r => r.Status == IngestStatus.Duplicate);
        Assert.Equal(old.Article?.Id, ninth.DuplicateOf); // the old article, under its old id, is entry 9
        Assert.NotNull(await _store.GetArticleAsync(old.Article?.Id!));
        Assert.Empty(await Poll((await _host.Store.GetFeedAsync(feedUrl))!)); // all nine seen now
    }

    [Theory]
    [InlineData("rss091-doctype-entities.xml", "Café reopens — with a new terrace", "reopened on Monday")]
    [InlineData("rss2-xhtml-doctype.xml", "Tram depot expands", "six tracks")]
    [InlineData("koi8r-undeclared.xml", "Совет утвердил бюджет", "Городской совет утвердил новый бюджет")]
    [InlineData("atom-base64.xml", "Observatory opens to the public", "clear Friday nights")]
    [InlineData("youtube-media-group.xml", "Council meeting: housing plan", "Four hundred homes are planned")]
    [InlineData("podcast-itunes-summary.xml", "Episode 12: The lighthouse keeper", "thirty-two years")]
    public async Task Feeds_real_publishers_write_ingest_with_their_title_and_readable_text(string name, string title, string text)
    {
        var results = await Ingest($"/corpus/{name}");

        var first = results[0];
        Assert.True(first.Status == IngestStatus.Added, $"{name}: {first.Status} {first.Error}");
        Assert.Equal(title, first.Article?.Title);
        Assert.Contains(text, (await _store.GetArticleAsync(first.Article?.Id!))!.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Utf16_without_a_byte_order_mark_ingests()
    {
        var result = Assert.Single(await Ingest("/utf16.xml"));
        Assert.Equal(IngestStatus.Added, result.Status);
        Assert.Equal("Ferry timetable changes", result.Article?.Title);
    }

    [Fact]
    public async Task A_billion_laughs_feed_is_refused()
    {
        var result = Assert.Single(await Ingest("/corpus/billion-laughs.xml"));
        Assert.Equal(IngestStatus.Failed, result.Status);
        Assert.Contains("expansion bomb", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_whose_encoding_cannot_be_told_are_refused_with_the_reason_not_stored_as_garbage()
    {
        var result = Assert.Single(await Ingest("/corpus/undecidable-bytes.xml"));
        Assert.Equal(IngestStatus.Failed, result.Status);
        Assert.Contains("character encoding could not be determined", result.Error, StringComparison.Ordinal);
        Assert.Empty(await _store.ListArticlesAsync(0, 10));
    }

    [Fact]
    public async Task An_ellipsis_summary_whose_page_fails_reports_the_fetch_error()
    {
        var result = Assert.Single(await Ingest("/ellipsis.xml"));
        Assert.Equal(IngestStatus.Failed, result.Status);
        Assert.Contains("404", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("no article text found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feed_without_items_says_so()
    {
        var result = Assert.Single(await Ingest("/corpus/empty-feed.xml"));
        Assert.Equal(IngestStatus.Failed, result.Status);
        Assert.Contains("the feed has no items", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_poll_remembers_how_many_items_it_skipped_and_why()
    {
        var feed = new FeedRecord { Url = _server.Url("/ellipsis.xml").ToString(), AddedAt = DateTimeOffset.UtcNow };
        await _host.Store.AddFeedAsync(feed);
        await Poll(feed);
        var after = (await _host.Store.GetFeedAsync(feed.Url))!;
        Assert.Equal(1, after.LastPollSkipped);
        Assert.Contains("404", after.LastPollSkippedWhy, StringComparison.Ordinal);

        var empty = new FeedRecord { Url = _server.Url("/corpus/empty-feed.xml").ToString(), AddedAt = DateTimeOffset.UtcNow };
        await _host.Store.AddFeedAsync(empty);
        Assert.Empty(await Poll(empty));
        var emptyAfter = (await _host.Store.GetFeedAsync(empty.Url))!;
        Assert.Equal(0, emptyAfter.LastPollSkipped);
        Assert.Equal("the feed has no items", emptyAfter.LastPollSkippedWhy);
    }

    static string CorpusFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "NewsBot.UnitTests", "Sources", "FeedCorpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/NewsBot.UnitTests/Sources/FeedCorpus");
    }
}
