using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Stories;

/// <summary>Stories assigned by the ingestion pipeline as articles are committed (real SQLite, hashing embedder).</summary>
public class StoryIngestionTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly FakeArticleSource _source = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleIndex _index;
    readonly SqliteStoryStore _stories;
    readonly HashingEmbeddingGenerator _gen = new(256);

    static readonly string[] Reform =
    [
        "Chancellor Anna Keller announced on Tuesday a pension reform that raises the retirement age from 65 to 67 by 2035.",
        "Finance Minister Tomas Berg said the reform would save 12 billion a year. Unions called a protest in Harbor City.",
    ];

    static readonly string[] Marathon =
    [
        "Daniel Kiprop of Kenya won the Harbor City marathon on Sunday in a course record of 2:06:41.",
        "About 14,000 runners started at the harbour front, and Tigist Alemu won the women's race.",
    ];

    public StoryIngestionTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(_db);
        _stories = new SqliteStoryStore(_db, TimeProvider.System);
    }

    public void Dispose()
    {
        _index.Dispose();
        _dir.Dispose();
    }

    IngestionPipeline Pipeline(bool withStories)
    {
        var embedder = new Embedder(_gen, HashingEmbeddingGenerator.Profile(256));
        var chunker = new Chunker(HeuristicTokenCounter.Instance);
        var assigner = withStories ? new StoryAssigner(_stories, new StoryClusterer(new StoryOptions()), embedder, chunker, TestLog.For<StoryAssigner>()) : null;
        return new IngestionPipeline(_source, new SqliteArticleStore(_db), _index, new SqliteFeedStore(_db), embedder, chunker, LexicalEncoder.Default,
            new IngestionOptions(), TimeProvider.System, TestLog.For<IngestionPipeline>(), assigner);
    }

    static ExtractedArticle Page(string url, string title, string outlet, string[] paragraphs) =>
        FakeArticleSource.Page(url, title, paragraphs) with { Outlet = outlet };

    static async Task<List<IngestItemResult>> Ingest(IngestionPipeline pipeline, params string[] inputs)
    {
        var list = new List<IngestItemResult>();
        await foreach (var r in pipeline.IngestAsync(inputs)) list.Add(r);
        return list;
    }

    [Fact]
    public async Task Ingested_reports_of_one_event_share_a_story_and_a_duplicate_joins_its_original()
    {
        _source.Add("ledger", Page("https://ledger.test/reform", "Keller unveils pension reform", "Northern Ledger", Reform));
        _source.Add("herald", Page("https://herald.test/reform", "Keller pension reform: retirement at 67", "Harbor Herald",
            [Reform[0].Replace("on Tuesday ", ""), "Unions called a protest in Harbor City after Finance Minister Tomas Berg spoke of 12 billion in savings."]));
        _source.Add("times", Page("https://times.test/marathon", "Kiprop wins Harbor City marathon", "Coastal Times", Marathon));
        _source.Add("copy", Page("https://copy.test/reform-syndicated", "Keller unveils pension reform", "Metro Wire", Reform));
        var results = await Ingest(Pipeline(true), "ledger", "herald", "times", "copy");
        Assert.Equal([IngestStatus.Added, IngestStatus.Added, IngestStatus.Added, IngestStatus.Duplicate], results.Select(r => r.Status));

        var reform = await _stories.GetStoryOfArticleAsync(results[0].Article!.Id);
        Assert.Equal([results[0].Article!.Id, results[1].Article!.Id], reform!.Articles.Select(a => a.Id));
        Assert.Equal(["Northern Ledger", "Harbor Herald"], reform.Outlets);
        Assert.NotEqual(reform.Id, (await _stories.GetStoryOfArticleAsync(results[2].Article!.Id))!.Id);
        // the duplicate, by its own URL, is in its original's story
        Assert.Equal(reform.Id, (await _stories.GetStoryOfArticleAsync("https://copy.test/reform-syndicated"))!.Id);
    }

    [Fact]
    public async Task Articles_committed_without_a_story_are_assigned_when_the_next_run_starts()
    {
        // as if the process died between an article's commit and its story assignment
        _source.Add("ledger", Page("https://ledger.test/reform", "Keller unveils pension reform", "Northern Ledger", Reform));
        _source.Add("times", Page("https://times.test/marathon", "Kiprop wins Harbor City marathon", "Coastal Times", Marathon));
        var first = await Ingest(Pipeline(false), "ledger", "times");
        Assert.Null(await _stories.GetStoryOfArticleAsync(first[0].Article!.Id));

        int calls = _gen.Calls;
        var nothing = await Ingest(Pipeline(true));
        Assert.Empty(nothing);
        Assert.NotNull(await _stories.GetStoryOfArticleAsync(first[0].Article!.Id));
        Assert.NotNull(await _stories.GetStoryOfArticleAsync(first[1].Article!.Id));
        Assert.Equal(calls, _gen.Calls); // from the stored first-chunk vectors
    }

    [Fact]
    public async Task A_changed_page_that_now_reports_another_event_moves_to_that_story()
    {
        _source.Add("ledger", Page("https://ledger.test/live", "Keller unveils pension reform", "Northern Ledger", Reform));
        _source.Add("herald", Page("https://herald.test/reform", "Keller pension reform: retirement at 67", "Harbor Herald", Reform));
        _source.Add("times", Page("https://times.test/marathon", "Kiprop wins Harbor City marathon", "Coastal Times", Marathon));
        var pipeline = Pipeline(true);
        // the herald's text differs a little so that it is no duplicate
        _source.Add("herald", Page("https://herald.test/reform", "Keller pension reform: retirement at 67", "Harbor Herald",
            [Reform[0].Replace("on Tuesday ", ""), "Unions called a protest in Harbor City after Finance Minister Tomas Berg spoke of 12 billion in savings."]));
        var r = await Ingest(pipeline, "ledger", "herald", "times");
        Assert.Equal(r[0].Article!.Id, (await _stories.GetStoryOfArticleAsync(r[1].Article!.Id))!.Articles[0].Id);

        // the live page is rewritten into a marathon report
        _source.Add("ledger", Page("https://ledger.test/live", "Record in Harbor City marathon", "Northern Ledger",
            [Marathon[0].Replace("on Sunday ", ""), "Tigist Alemu won the women's race as about 14,000 runners started at the harbour front."]));
        var updated = Assert.Single(await Ingest(pipeline, "ledger"));
        Assert.Equal(IngestStatus.Updated, updated.Status);
        var marathon = await _stories.GetStoryOfArticleAsync(updated.Article!.Id);
        Assert.Equal(new[] { r[2].Article!.Id, updated.Article!.Id }.Order(), marathon!.Articles.Select(a => a.Id).Order());
        Assert.Equal([r[1].Article!.Id], (await _stories.GetStoryOfArticleAsync(r[1].Article!.Id))!.Articles.Select(a => a.Id));
    }
}
