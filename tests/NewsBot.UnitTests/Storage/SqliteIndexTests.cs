using NewsBot.Core.Model;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>The embedded index on a real SQLite file in a temp folder, with a hashing stand-in for the embedding model.</summary>
public class SqliteIndexTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly HashingEmbeddingGenerator _embed = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleIndex _index;
    readonly SqliteArticleStore _store;

    public SqliteIndexTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(_db);
        _store = new SqliteArticleStore(_db);
    }

    public void Dispose()
    {
        _index.Dispose();
        _dir.Dispose();
    }

    (ArticleRecord, List<IndexedChunk>) Article(string id, string title, string[] chunks, string? outlet = null, DateTimeOffset? published = null)
    {
        var body = string.Join("\n\n", chunks);
        var record = new ArticleRecord
        {
            Article = new() { Id = id, Url = "https://example.test/" + id, Title = title, Outlet = outlet, Published = published }, SourceKey = "test:" + id,
            IngestedAt = DateTimeOffset.UnixEpoch, ContentHash = Hashing.ContentHash(body), Kind = SourceKind.Page, ChunkCount = chunks.Length,
            MinHash = MinHash.Compute(body), Body = body,
        };
        var list = chunks.Select((c, i) => new IndexedChunk
        {
            Article = record.Article, Position = i, Text = c,
            Dense = _embed.Embed(title + " " + c), Sparse = LexicalEncoder.Default.EncodeDocument(title + " " + c),
        }).ToList();
        return (record, list);
    }

    HybridQuery Query(string text, SearchFilter? filter = null) => new()
    {
        Dense = _embed.Embed(text), Sparse = LexicalEncoder.Default.EncodeQuery(text), Top = 5, Filter = filter ?? SearchFilter.None,
    };

    async Task Put(string id, string title, string[] chunks, string? outlet = null, DateTimeOffset? published = null)
    {
        var (r, c) = Article(id, title, chunks, outlet, published);
        await _index.UpsertAsync(r, c);
    }

    [Fact]
    public async Task Upsert_then_search_finds_the_article_with_its_metadata()
    {
        await _index.EnsureReadyAsync(new EmbeddingModelInfo("hashing-test", 64));
        await Put("a1", "Grain exports halted", ["Dock workers stopped grain shipments at the port."], "Ledger", new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
        await Put("a2", "Football final", ["The cup final ended in a draw after extra time."], "Sport Daily");
        var hits = await _index.SearchAsync(Query("grain shipments port"));
        Assert.Equal("a1", hits[0].Article.Id);
        Assert.Equal("Grain exports halted", hits[0].Article.Title);
        Assert.Equal("Ledger", hits[0].Article.Outlet);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero), hits[0].Article.Published);
        Assert.NotNull(hits[0].DenseScore);
        Assert.NotNull(hits[0].LexicalScore);
    }

    [Fact]
    public async Task Re_upserting_replaces_chunks_and_is_idempotent()
    {
        await Put("a1", "Budget", ["Old text about taxes.", "Second old chunk."]);
        await Put("a1", "Budget", ["Old text about taxes.", "Second old chunk."]);
        Assert.Equal(2, (await _index.GetStatsAsync()).Chunks);
        await Put("a1", "Budget", ["New text about spending cuts."]);
        var stats = await _index.GetStatsAsync();
        Assert.Equal(1, stats.Chunks);
        Assert.Equal(1, stats.Articles);
        var hits = await _index.SearchAsync(Query("taxes"));
        Assert.DoesNotContain(hits, h => h.Text.Contains("taxes"));
    }

    [Fact]
    public async Task Delete_removes_the_article_from_search()
    {
        await Put("a1", "Volcano erupts", ["Ash closed the airport."]);
        Assert.NotEmpty(await _index.SearchAsync(Query("volcano ash airport")));
        await _index.DeleteAsync("a1");
        Assert.Empty(await _index.SearchAsync(Query("volcano ash airport")));
        Assert.Null(await _store.GetArticleAsync("a1"));
    }

    [Fact]
    public async Task Outlet_and_date_filters_apply_and_undated_articles_follow_the_flag()
    {
        var march = new DateTimeOffset(2025, 3, 10, 0, 0, 0, TimeSpan.Zero);
        await Put("old", "Election result", ["The election result was announced."], "Ledger", march.AddMonths(-2));
        await Put("new", "Election result again", ["The election result was confirmed."], "Courier", march);
        await Put("undated", "Election notes", ["Notes on the election result."], "Courier");
        var byOutlet = await _index.SearchAsync(Query("election result", new SearchFilter { Outlets = ["ledger"] }));
        Assert.Equal(["old"], byOutlet.Select(h => h.Article.Id).Distinct());
        var recent = await _index.SearchAsync(Query("election result", new SearchFilter { PublishedAfter = march.AddDays(-1), IncludeUndated = false }));
        Assert.Equal(["new"], recent.Select(h => h.Article.Id).Distinct());
        var recentOrUndated = await _index.SearchAsync(Query("election result", new SearchFilter { PublishedAfter = march.AddDays(-1), IncludeUndated = true }));
        Assert.Equal(["new", "undated"], recentOrUndated.Select(h => h.Article.Id).Distinct().OrderBy(x => x));
        var restricted = await _index.SearchAsync(Query("election result", new SearchFilter { ArticleIds = ["undated"] }));
        Assert.Equal(["undated"], restricted.Select(h => h.Article.Id).Distinct());
    }

    [Fact]
    public async Task A_second_index_instance_sees_writes_made_through_the_first()
    {
        // as when `newsbot ingest` runs next to a running worker: two processes, one database file
        using var other = new SqliteArticleIndex(new SqliteDatabase(_dir.Path));
        await Put("a1", "Bridge opens", ["The new bridge opened to traffic."]);
        Assert.Equal("a1", (await other.SearchAsync(Query("bridge traffic")))[0].Article.Id);
        await Put("a2", "Tunnel closes", ["The old tunnel closed for repairs."]);
        await _index.DeleteAsync("a1");
        var hits = await other.SearchAsync(Query("bridge tunnel traffic repairs"));
        Assert.Equal(["a2"], hits.Select(h => h.Article.Id).Distinct());
    }

    [Fact]
    public async Task The_index_refuses_a_different_embedding_model_and_names_reindex()
    {
        await _index.EnsureReadyAsync(new EmbeddingModelInfo("model-a", 64));
        await _index.EnsureReadyAsync(new EmbeddingModelInfo("model-a", 64));
        var ex = await Assert.ThrowsAsync<NewsBot.Core.Ports.IndexModelMismatchException>(() => _index.EnsureReadyAsync(new EmbeddingModelInfo("model-b", 384)));
        Assert.Contains("reindex", ex.Message);
        Assert.Contains("model-a", ex.Message);
    }

    [Fact]
    public async Task Near_duplicates_are_found_through_minhash_bands()
    {
        var body = string.Join(" ", Enumerable.Range(0, 150).Select(i => $"word{i} filler{i % 7}"));
        var (r, _) = Article("orig", "Original", [body]);
        await _store.SaveArticleAsync(r);
        var near = await _store.FindNearDuplicateAsync(MinHash.Compute(body.Replace("word100", "changed")), 0.9);
        Assert.NotNull(near);
        Assert.Equal("orig", near.Value.Article.Id);
        Assert.Null(await _store.FindNearDuplicateAsync(MinHash.Compute("completely different text about something else entirely here"), 0.9));
    }
}
