using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.IntegrationTests.Index;
using NewsBot.Sqlite;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>
/// Saved copies of web articles (a .txt with a <c>url:</c> line, Markdown front matter, an .html with
/// <c>&lt;link rel="canonical"&gt;</c>) go through the real ArticleSource and ingestion pipeline into a real SQLite
/// store: the article links and is identified by that URL, so fetching the page later (from a real HTTP server on
/// 127.0.0.1, under a variant of its URL) finds the same article unchanged.
/// </summary>
[Collection(IndexContractCollection.Name)]
public sealed class NamedUrlIngestionTests(ContractEmbedderFixture embed) : IAsyncLifetime
{
    static readonly string[] Paragraphs =
    [
        "Frost on the last night of April destroyed most of the apple blossom in the valley's orchards, growers said on Monday.",
        "The growers' association expects the harvest to fall by two thirds and has asked the regional government for emergency aid.",
    ];

    static readonly string Body = string.Join("\n\n", Paragraphs);

    static string Html(string origin) => $"""
        <!DOCTYPE html><html><head><title>Late frost ruins apple blossom</title>
        <link rel="canonical" href="{origin}/news/frost-html?utm_source=rss#comments">
        </head><body><article><h1>Late frost ruins apple blossom</h1>
        {string.Concat(Paragraphs.Select(p => $"<p>{p}</p>"))}
        </article></body></html>
        """;

    readonly string _dir = Directory.CreateTempSubdirectory("newsbot-named-url-").FullName;
    readonly SourcesHost _sources = new();
    LoopbackServer _server = null!;
    SqliteDatabase _db = null!;
    SqliteArticleIndex _index = null!;
    SqliteArticleStore _store = null!;
    IngestionPipeline _pipeline = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            // the page as the web serves it: no url: line of its own, so only the fetched URL names it
            app.MapGet("/news/frost-txt", () => Results.Text("Late frost ruins apple blossom\n\n" + Body, "text/plain"));
            app.MapGet("/news/frost-html", (HttpContext c) => Results.Content(Html(LoopbackServer.Origin(c)), "text/html"));
        });
        _db = new SqliteDatabase(Path.Join(_dir, "data"));
        _index = new SqliteArticleIndex(_db);
        _store = new SqliteArticleStore(_db);
        _pipeline = new IngestionPipeline(_sources.Source, _store, _index, new SqliteFeedStore(_db), embed.Embedder,
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System,
            TestLog.For<IngestionPipeline>());
    }

    public async Task DisposeAsync()
    {
        _index.Dispose();
        _sources.Dispose();
        await _server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    string Origin => _server.BaseUrl.GetLeftPart(UriPartial.Authority);

    async Task<IngestItemResult> IngestOne(string input)
    {
        var results = new List<IngestItemResult>();
        await foreach (var r in _pipeline.IngestAsync([input])) results.Add(r);
        return Assert.Single(results);
    }

    string WriteFile(string name, string text)
    {
        var path = Path.Join(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    async Task AssertIsTheWebArticle(IngestItemResult fromFile, string canonical, params string[] fetchedAs)
    {
        Assert.Equal(IngestStatus.Added, fromFile.Status);
        Assert.Equal(canonical, fromFile.Article?.Url); // the citation link, not file://
        Assert.Equal(Identity.ForUrl(canonical), fromFile.Article?.Id);
        var stored = await _store.FindBySourceAsync(canonical);
        Assert.NotNull(stored);
        Assert.Equal(canonical, stored.Article.Url);
        Assert.Null(await _store.FindBySourceAsync(new Uri(fromFile.Input).AbsoluteUri));

        foreach (var url in fetchedAs)
        {
            var fetched = await IngestOne(url);
            Assert.Equal(IngestStatus.Unchanged, fetched.Status);
            Assert.Equal(fromFile.Article?.Id, fetched.Article?.Id);
        }
        Assert.Equal(1, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task A_text_file_with_a_url_line_is_that_web_article()
    {
        var file = WriteFile("frost.txt", $"Late frost ruins apple blossom\nurl: {Origin}/news/frost-txt/?utm_source=newsletter&fbclid=x#top\n\n{Body}\n");
        var canonical = $"{Origin}/news/frost-txt";
        // the fetched page under variants of its URL (tracking parameters, fragment, trailing slash) is the same article
        await AssertIsTheWebArticle(await IngestOne(file), canonical,
            canonical, $"{canonical}/?utm_medium=email&gclid=abc", $"{canonical}#section-2");
    }

    [Fact]
    public async Task A_markdown_file_with_front_matter_url_is_that_web_article()
    {
        var file = WriteFile("frost.md", $"---\ntitle: Late frost ruins apple blossom\nurl: {Origin}/news/frost-txt?utm_campaign=spring\n---\n\n{Body}\n");
        await AssertIsTheWebArticle(await IngestOne(file), $"{Origin}/news/frost-txt", $"{Origin}/news/frost-txt");
    }

    [Fact]
    public async Task An_html_file_with_a_canonical_link_is_that_web_article()
    {
        var file = WriteFile("frost.html", Html(Origin));
        var canonical = $"{Origin}/news/frost-html";
        await AssertIsTheWebArticle(await IngestOne(file), canonical, canonical, $"{canonical}?utm_source=twitter#top");
    }

    [Fact]
    public async Task Www_tracking_fragment_and_slash_variants_of_a_url_are_one_article()
    {
        var first = await IngestOne(WriteFile("a.txt", $"Late frost ruins apple blossom\nurl: https://www.frost.example/news/frost/?utm_source=x#top\n\n{Body}\n"));
        Assert.Equal(IngestStatus.Added, first.Status);
        Assert.Equal("https://www.frost.example/news/frost", first.Article?.Url); // the link keeps its www.
        Assert.Equal(Identity.ForUrl("https://frost.example/news/frost"), first.Article?.Id);

        var edited = $"{Body}\n\nGrowers in the neighbouring valley reported lighter damage because their trees flowered a week later.";
        var second = await IngestOne(WriteFile("b.txt", $"Late frost ruins apple blossom\nurl: https://frost.example/news/frost?fbclid=1\n\n{edited}\n"));
        Assert.Equal(IngestStatus.Updated, second.Status);
        Assert.Equal(first.Article?.Id, second.Article?.Id);
        Assert.Equal(1, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task A_file_without_a_web_address_keeps_its_file_link_and_content_identity()
    {
        var file = WriteFile("frost-local.txt", $"Late frost ruins apple blossom\nurl: not-a-web-address\n\n{Body}\n");
        var result = await IngestOne(file);
        Assert.Equal(IngestStatus.Added, result.Status);
        Assert.Equal(new Uri(file).AbsoluteUri, result.Article?.Url);
        var stored = await _store.FindBySourceAsync(new Uri(file).AbsoluteUri);
        Assert.NotNull(stored);
        Assert.Equal(Identity.ForContent(stored.ContentHash), result.Article?.Id);
    }
}
