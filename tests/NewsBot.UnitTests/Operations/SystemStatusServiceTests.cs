using NewsBot.Core.Operations;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Operations;

public sealed class SystemStatusServiceTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly SqliteDatabase _db;
    readonly SqliteFeedStore _feeds;
    readonly SqliteArticleStore _articles;

    public SystemStatusServiceTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _feeds = new SqliteFeedStore(_db);
        _articles = new SqliteArticleStore(_db);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    async Task AddFeedsAsync()
    {
        var at = new DateTimeOffset(2025, 3, 12, 9, 0, 0, TimeSpan.Zero);
        await _feeds.AddFeedAsync(new FeedRecord { Url = "https://ok.example/rss", AddedAt = at });
        await _feeds.AddFeedAsync(new FeedRecord { Url = "https://bad.example/rss", AddedAt = at });
        await _feeds.UpdateFeedAsync(new FeedRecord { Url = "https://bad.example/rss", AddedAt = at, LastError = "HTTP 500", LastPolledAt = at.AddHours(1) });
    }

    [Fact]
    public async Task With_every_part_it_reports_counts_failing_feeds_models_index_and_store()
    {
        await AddFeedsAsync();
        using var index = new SqliteArticleIndex(_db);
        var embedder = new Embedder(new HashingEmbeddingGenerator(), HashingEmbeddingGenerator.Profile());
        var status = await new SystemStatusService(_articles, _feeds, index, embedder, new Mode("llm", "openai/gpt-4o-mini"), new Store(_db)).GetStatusAsync();

        Assert.Equal(0, status.Articles);
        Assert.Equal(2, status.Feeds);
        var failing = Assert.Single(status.FeedsWithErrors);
        Assert.Equal(("https://bad.example/rss", "HTTP 500"), (failing.Url, failing.Error));
        Assert.Equal($"{HashingEmbeddingGenerator.Profile().Model} ({HashingEmbeddingGenerator.Profile().Dimensions} dimensions)", status.EmbeddingModel);
        Assert.Equal("llm", status.AnswerMode);
        Assert.Equal("openai/gpt-4o-mini", status.LlmModel);
        Assert.Equal(index.Provider, status.IndexProvider);
        Assert.Equal(_db.FilePath, status.StorePath);
        Assert.True(status.StoreSizeBytes > 0);
    }

    [Fact]
    public async Task Without_the_optional_parts_it_reports_counts_and_feeds_only()
    {
        await AddFeedsAsync();
        var status = await new SystemStatusService(_articles, _feeds).GetStatusAsync();
        Assert.Equal(2, status.Feeds);
        Assert.Single(status.FeedsWithErrors);
        Assert.Null(status.IndexProvider);
        Assert.Null(status.EmbeddingModel);
        Assert.Null(status.AnswerMode);
        Assert.Null(status.StorePath);
    }

    sealed record Mode(string AnswerMode, string? LlmModel) : IAnswerModeInfo;

    sealed class Store(SqliteDatabase db) : IStoreInfo
    {
        public string? StorePath => db.FilePath;

        public long? StoreSizeBytes() => db.DiskBytes();
    }
}
