using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;
using NewsBot.Worker;

namespace NewsBot.UnitTests.Ingestion;

/// <summary>
/// The worker's feed poll gives back what its ingestion left behind (BENCHMARKS.md, "The worker at 1M"): against a real
/// SQLite store and index, a poll that adds articles ends with a compacting, full collection.
/// </summary>
public sealed class FeedPollingMemoryTests : IDisposable
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    readonly TempDirectory _dir = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_poll_that_adds_articles_ends_with_a_compacting_full_collection()
    {
        var db = new SqliteDatabase(_dir.Path);
        using var index = new SqliteArticleIndex(db);
        var feeds = new SqliteFeedStore(db);
        var articles = new SqliteArticleStore(db);
        var gen = new HashingEmbeddingGenerator();
        var pipeline = new IngestionPipeline(new FakeArticleSource(), articles, index, feeds, new Embedder(gen, HashingEmbeddingGenerator.Profile()),
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), new FixedTime(Now), NullLogger<IngestionPipeline>.Instance);
        await feeds.AddFeedAsync(new FeedRecord { Url = "https://news.test/feed.xml", AddedAt = Now, AddedBy = "test", Trusted = true });
        var poller = new ListPoller();
        var job = new FeedPollingJob(feeds, poller, pipeline, new IngestionOptions(), new FixedTime(Now), NullLogger<FeedPollingJob>.Instance);
        for (int i = 0; i < 5; i++)
            poller.Next.Add(new ExtractedItem($"https://news.test/a{i}", FakeArticleSource.Page($"https://news.test/a{i}", $"Harbour story {i}",
                $"The harbour board met on day {i} to discuss the ferry timetable and the new crane.", $"Shipping firms number {i} said little.")));
        long before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;

        await job.RunAsync(CancellationToken.None);

        Assert.Equal(5, (await articles.GetCountsAsync()).Articles);
        var last = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Assert.True(last.Index > before, "no full blocking collection after the poll");
        Assert.True(last.Compacted);
    }

    /// <summary>A feed whose next poll yields the items queued for it.</summary>
    sealed class ListPoller : IFeedPoller
    {
        public List<SourceItem> Next { get; } = [];

        public Task<FeedProbe> ProbeAsync(string url, bool trusted, CancellationToken ct = default) => Task.FromResult(new FeedProbe(true, "Test feed", null));

        public async IAsyncEnumerable<SourceItem> PollAsync(FeedRecord feed, [EnumeratorCancellation] CancellationToken ct = default)
        {
            await Task.Yield();
            var items = Next.ToList();
            Next.Clear();
            foreach (var i in items) yield return i;
        }
    }
}
