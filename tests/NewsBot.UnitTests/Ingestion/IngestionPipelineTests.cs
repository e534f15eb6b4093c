using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Ingestion;

public class IngestionPipelineTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly FakeArticleSource _source = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleIndex _index;
    readonly SqliteArticleStore _store;
    readonly IngestionPipeline _pipeline;
    readonly HashingEmbeddingGenerator _gen = new();

    static readonly string[] Story =
    [
        "The city council voted on Tuesday to close the old harbour bridge for two years of repairs, starting in June.",
        "Engineers found corrosion in the steel supports last winter, the council said in a statement.",
        "Commuters will be diverted to the northern ring road, adding about fifteen minutes to trips into the centre.",
    ];

    public IngestionPipelineTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(_db);
        _store = new SqliteArticleStore(_db);
        _pipeline = new IngestionPipeline(_source, _store, _index, new SqliteFeedStore(_db), new Embedder(_gen, HashingEmbeddingGenerator.Profile()),
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System, TestLog.For<IngestionPipeline>());
    }

    public void Dispose()
    {
        _index.Dispose();
        _dir.Dispose();
    }

    async Task<List<IngestItemResult>> Ingest(params string[] inputs)
    {
        var list = new List<IngestItemResult>();
        await foreach (var r in _pipeline.IngestAsync(inputs)) list.Add(r);
        return list;
    }

    [Fact]
    public async Task New_article_is_added_and_a_second_run_reports_it_unchanged_without_re_embedding()
    {
        _source.Add("page1", FakeArticleSource.Page("https://news.test/bridge", "Harbour bridge to close", Story));
        var first = Assert.Single(await Ingest("page1"));
        Assert.Equal(IngestStatus.Added, first.Status);
        Assert.True(first.Chunks >= 1);
        Assert.Equal(Identity.ForUrl("https://news.test/bridge"), first.Article?.Id);
        int calls = _gen.Calls;
        var second = Assert.Single(await Ingest("page1"));
        Assert.Equal(IngestStatus.Unchanged, second.Status);
        Assert.Equal(calls, _gen.Calls);
        Assert.Equal(1, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task The_same_url_twice_in_one_batch_is_added_once()
    {
        _source.Add("page1", FakeArticleSource.Page("https://news.test/bridge", "Harbour bridge to close", Story));
        var results = await Ingest("page1", "page1");
        Assert.Equal([IngestStatus.Added, IngestStatus.Unchanged], results.Select(r => r.Status));
    }

    [Fact]
    public async Task A_changed_page_replaces_its_chunks_under_the_same_id()
    {
        _source.Add("page1", FakeArticleSource.Page("https://news.test/bridge", "Harbour bridge to close", Story));
        var added = (await Ingest("page1"))[0];
        _source.Add("page1", FakeArticleSource.Page("https://news.test/bridge", "Harbour bridge to close", [.. Story, "Update: the council later postponed the closure until September after protests from shop owners."]));
        var updated = (await Ingest("page1"))[0];
        Assert.Equal(IngestStatus.Updated, updated.Status);
        Assert.Equal(added.Article?.Id, updated.Article?.Id);
        var article = await _store.GetArticleAsync(added.Article?.Id!);
        Assert.Contains("postponed the closure", article!.Body);
        Assert.Equal(1, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task An_edited_file_replaces_the_old_article()
    {
        _source.Add("f", FakeArticleSource.FileArticle("/tmp/story.txt", "Bridge", Story));
        var first = (await Ingest("f"))[0];
        _source.Add("f", FakeArticleSource.FileArticle("/tmp/story.txt", "Bridge", [.. Story.Take(2), "A different ending was written for the file, about ferries taking over the crossing."]));
        var second = (await Ingest("f"))[0];
        Assert.Equal(IngestStatus.Updated, second.Status);
        Assert.NotEqual(first.Article?.Id, second.Article?.Id); // file ids come from content
        Assert.Null(await _store.GetArticleAsync(first.Article?.Id!));
        Assert.Equal(1, (await _store.GetCountsAsync()).Articles);
        Assert.Equal(second.Chunks, (await _index.GetStatsAsync()).Chunks);
    }

    [Fact]
    public async Task The_same_text_from_another_url_is_recorded_as_a_duplicate_and_not_indexed()
    {
        _source.Add("a", FakeArticleSource.Page("https://one.test/story", "Bridge closes", Story));
        _source.Add("b", FakeArticleSource.Page("https://two.test/copy", "Bridge closes (syndicated)", Story));
        var r = await Ingest("a", "b");
        Assert.Equal(IngestStatus.Duplicate, r[1].Status);
        Assert.Equal(r[0].Article?.Id, r[1].DuplicateOf);
        var counts = await _store.GetCountsAsync();
        Assert.Equal(1, counts.Articles);
        Assert.Equal(1, counts.Duplicates);
    }

    [Fact]
    public async Task A_near_duplicate_with_a_small_edit_is_recognised()
    {
        var longStory = Enumerable.Range(0, 12).Select(i => $"{Story[i % 3]} Paragraph {i} adds detail number {i * 7} about the works.").ToArray();
        var edited = longStory.ToArray();
        edited[5] = edited[5].Replace("Engineers", "Inspectors");
        _source.Add("a", FakeArticleSource.Page("https://one.test/story", "Bridge closes", longStory));
        _source.Add("b", FakeArticleSource.Page("https://two.test/story", "Bridge closes", edited));
        var r = await Ingest("a", "b");
        Assert.Equal(IngestStatus.Duplicate, r[1].Status);
    }

    [Fact]
    public async Task Several_articles_are_embedded_together_and_reported_in_input_order()
    {
        // six distinct one-chunk articles with a missing input in the middle: the chunks go to the model in shared
        // batches (fewer calls than articles), yet each result comes back in input order and each article is stored
        string[] towns = ["Ashford", "Bexley", "Croydon", "Dover", "Enfield", "Fulham"];
        var inputs = new List<string>();
        for (int i = 0; i < towns.Length; i++)
        {
            _source.Add(towns[i], FakeArticleSource.Page($"https://news.test/{towns[i]}", $"{towns[i]} opens a library",
                [$"{towns[i]} opened a new public library on Monday with {100 + i * 17} seats and a café run by volunteers from the {towns[i]} Society."]));
            inputs.Add(towns[i]);
            if (i == 2) inputs.Add("missing");
        }
        int before = _gen.Calls;
        var r = await Ingest([.. inputs]);
        Assert.Equal(inputs, r.Select(x => x.Input));
        Assert.Equal(IngestStatus.Failed, r[3].Status);
        Assert.All(r.Where(x => x.Input != "missing"), x => Assert.Equal(IngestStatus.Added, x.Status));
        Assert.InRange(_gen.Calls - before, 1, towns.Length - 1);
        Assert.Equal(towns.Length, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task Term_statistics_flag_a_word_pair_no_chunk_holds_side_by_side()
    {
        _source.Add("p", FakeArticleSource.Page("https://news.test/paris", "Climate talks in Paris",
            ["Ministers met in Paris on Monday. An agreement on emissions was not reached, officials said."]));
        await Ingest("p");
        await _index.PreloadAsync();
        var retriever = new Retriever(_index, _index, new Embedder(_gen, HashingEmbeddingGenerator.Profile()), LexicalEncoder.Default, new RetrievalOptions(), TimeProvider.System);
        var stats = await retriever.TermStatsForAsync("Paris Agreement");
        var terms = LexicalAnalyzer.QueryTerms("Paris Agreement").ToList();
        Assert.DoesNotContain(terms[0], stats.Unseen);
        Assert.DoesNotContain(terms[1], stats.Unseen);
        Assert.Contains(terms[0] + "_" + terms[1], stats.Unseen);
        // a pair the article does hold is not flagged
        var held = LexicalAnalyzer.QueryTerms("Climate talks").ToList();
        Assert.DoesNotContain(held[0] + "_" + held[1], (await retriever.TermStatsForAsync("Climate talks")).Unseen);
    }

    [Fact]
    public async Task Failures_and_empty_articles_are_reported_and_store_nothing()
    {
        _source.Add("empty", FakeArticleSource.Page("https://one.test/empty", "Empty", "   "));
        var r = await Ingest("missing", "empty");
        Assert.All(r, x => Assert.Equal(IngestStatus.Failed, x.Status));
        Assert.Contains("no such file", r[0].Error);
        Assert.Contains("no article text", r[1].Error);
        Assert.Equal(0, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task Chunks_carry_the_article_metadata_into_search()
    {
        _source.Add("page1", FakeArticleSource.Page("https://news.test/bridge", "Harbour bridge to close", Story));
        await Ingest("page1");
        var hits = await _index.SearchAsync(new NewsBot.Core.Model.HybridQuery
        {
            Dense = _gen.Embed("corrosion steel supports"),
            Sparse = LexicalEncoder.Default.EncodeQuery("corrosion steel supports"),
        });
        var h = hits[0];
        Assert.Equal("Harbour bridge to close", h.Article.Title);
        Assert.Equal("Test Outlet", h.Article.Outlet);
        Assert.Equal("https://news.test/bridge", h.Article.Url);
        Assert.Equal(new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero), h.Article.Published);
    }
}
