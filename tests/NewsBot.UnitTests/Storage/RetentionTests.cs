using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retention;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Indexing;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;
using NewsBot.Worker;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// Retention against a real SQLite file: pruned articles leave search and the registry but resolve as tombstones, the
/// file gives the space back, the window and the tombstones hold at ingestion, and the daily job prunes by the policy;
/// a prune writes the snapshot once, and a feed poll gives back what its ingestion left (the worker's memory).
/// </summary>
public sealed class RetentionTests : IDisposable
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    readonly TempDirectory _dir = new();
    readonly FakeArticleSource _source = new();
    readonly HashingEmbeddingGenerator _gen = new();
    readonly List<SqliteArticleIndex> _indexes = [];

    public void Dispose()
    {
        foreach (var i in _indexes) i.Dispose();
        _dir.Dispose();
    }

    sealed record Store(SqliteDatabase Db, SqliteArticleIndex Index, SqliteArticleStore Articles, SqliteRetentionStore Retention, IngestionPipeline Pipeline);

    Store Open(RetentionPolicy? policy = null, ListLogger? log = null)
    {
        var db = new SqliteDatabase(_dir.Path);
        var index = new SqliteArticleIndex(db, logger: log);
        _indexes.Add(index);
        var retention = new SqliteRetentionStore(db);
        var articles = new SqliteArticleStore(db);
        var pipeline = new IngestionPipeline(_source, articles, index, new SqliteFeedStore(db), new Embedder(_gen, HashingEmbeddingGenerator.Profile()),
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), new FixedTime(Now), NullLogger<IngestionPipeline>.Instance,
            retention: policy, pruned: retention);
        return new Store(db, index, articles, retention, pipeline);
    }

    static RetentionService Service(Store s, RetentionPolicy? policy = null) => new(s.Retention, s.Articles, s.Index, policy ?? RetentionPolicy.KeepEverything,
        new FixedTime(Now), NullLogger<RetentionService>.Instance);

    /// <summary>An article of its own words (no near-duplicates), marked by <c>kw{n}</c> for lexical searches.</summary>
    void AddArticle(int n, int daysAgo)
    {
        var rng = new Random(n);
        string Word() => new([.. Enumerable.Range(0, rng.Next(4, 9)).Select(_ => (char)('a' + rng.Next(26)))]);
        var paragraphs = Enumerable.Range(0, 6).Select(p => $"kw{n} " + string.Join(' ', Enumerable.Range(0, 60).Select(_ => Word())) + ".").ToArray();
        var url = $"https://news.test/a{n}";
        _source.Add($"a{n}", FakeArticleSource.Page(url, $"Article number {n}", paragraphs) with { Published = Now.AddDays(-daysAgo) });
    }

    static async Task<List<IngestItemResult>> Ingest(Store s, IEnumerable<string> inputs)
    {
        var list = new List<IngestItemResult>();
        await foreach (var r in s.Pipeline.IngestAsync(inputs)) list.Add(r);
        return list;
    }

    Task<IReadOnlyList<SearchHit>> Find(Store s, string word) => s.Index.SearchAsync(new HybridQuery
    {
        Dense = _gen.Embed(word), Sparse = LexicalEncoder.Default.EncodeQuery(word), Mode = RetrievalMode.Lexical, Top = 5,
    });

    static async Task<long> Pragma(SqliteDatabase db, string name)
    {
        await using var conn = await db.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA " + name;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>The main file's size with everything checkpointed into it (the write-ahead log is not what we measure).</summary>
    static async Task<long> FileBytes(SqliteDatabase db)
    {
        await Pragma(db, "wal_checkpoint(TRUNCATE)");
        return new FileInfo(db.FilePath).Length;
    }

    [Fact]
    public async Task Pruning_removes_old_articles_from_search_keeps_tombstones_and_shrinks_the_file()
    {
        var s = Open();
        for (int n = 0; n < 40; n++) AddArticle(n, daysAgo: 200);
        for (int n = 40; n < 45; n++) AddArticle(n, daysAgo: 2);
        Assert.All(await Ingest(s, Enumerable.Range(0, 45).Select(n => $"a{n}")), r => Assert.Equal(IngestStatus.Added, r.Status));
        Assert.Equal(2, await Pragma(s.Db, "auto_vacuum")); // a new file is incremental from the start
        var oldId = Identity.ForUrl("https://news.test/a7");
        Assert.Equal(oldId, (await Find(s, "kw7"))[0].Article.Id);
        await s.Index.SaveSnapshotAsync();
        var snapshotTime = File.GetLastWriteTimeUtc(s.Index.SnapshotPath);
        var before = await FileBytes(s.Db);

        var report = await new IndexPruner(Service(s), s.Index).PruneAsync(Now.AddDays(-30));

        Assert.Equal(40, report.Articles);
        Assert.False(report.SwitchedToIncrementalVacuum);
        Assert.Empty(await Find(s, "kw7"));
        Assert.Equal(Identity.ForUrl("https://news.test/a42"), (await Find(s, "kw42"))[0].Article.Id);
        Assert.Equal(5, (await s.Index.GetStatsAsync()).Articles);
        var after = await FileBytes(s.Db);
        Assert.True(after < before * 3 / 4, $"{before} -> {after} bytes");
        Assert.Equal(0, await Pragma(s.Db, "freelist_count"));
        Assert.True(File.GetLastWriteTimeUtc(s.Index.SnapshotPath) > snapshotTime, "the snapshot was saved again");

        var tomb = Assert.Single(await s.Articles.GetArticlesAsync([oldId]));
        Assert.Equal("Article number 7", tomb.Article.Title);
        Assert.Equal("https://news.test/a7", tomb.Article.Url);
        Assert.Equal("Test Outlet", tomb.Article.Outlet);
        Assert.Equal(Now.AddDays(-200), tomb.Article.Published);
        Assert.Equal("", tomb.Body);
        Assert.Equal("Article number 7", (await s.Articles.GetArticleAsync(oldId))?.Article.Title);

        // a fresh process starts from the refreshed snapshot and finds the same
        SqliteConnection.ClearAllPools();
        var again = Open();
        Assert.Empty(await Find(again, "kw7"));
        Assert.NotEmpty(await Find(again, "kw41"));

        // the sources still list the pruned items: they do not come back as new
        var results = await Ingest(again, Enumerable.Range(0, 45).Select(n => $"a{n}"));
        Assert.Equal(40, results.Count(r => r.Status == IngestStatus.Expired));
        Assert.Equal(5, results.Count(r => r.Status == IngestStatus.Unchanged));
        Assert.Equal(5, (await again.Articles.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task A_prune_of_more_chunks_than_a_rewrite_waits_for_writes_the_snapshot_once()
    {
        // the worker's case at 1M: its daily prune removes ~3,000 chunks, more than the 2,000 changes after which a sync
        // rewrites the snapshot by itself; the pruner's own save came right after and wrote it all again
        var log = new ListLogger();
        var s = Open(log: log);
        s.Index.SnapshotAfterChanges = 20;
        for (int n = 0; n < 40; n++) AddArticle(n, daysAgo: 200);
        for (int n = 40; n < 45; n++) AddArticle(n, daysAgo: 2);
        await Ingest(s, Enumerable.Range(0, 45).Select(n => $"a{n}"));
        await s.Index.SaveSnapshotAsync();
        int Written() => log.Messages.Count(m => m.StartsWith("Index snapshot written", StringComparison.Ordinal));
        int before = Written();

        var report = await new IndexPruner(Service(s), s.Index).PruneAsync(Now.AddDays(-30));

        Assert.Equal(40, report.Articles);
        Assert.Equal(before + 1, Written());
        // what was written once holds the prune: a fresh process starts from it without the pruned chunks
        SqliteConnection.ClearAllPools();
        var again = Open(log: log);
        Assert.Empty(await Find(again, "kw7"));
        Assert.NotEmpty(await Find(again, "kw41"));
        Assert.Contains(log.Messages, m => m.StartsWith("Index snapshot loaded", StringComparison.Ordinal));
        // and a save asked for when nothing changed still writes (the bench times that rewrite)
        await again.Index.SaveSnapshotAsync();
        Assert.Equal(before + 2, Written());
    }

    [Fact]
    public async Task A_feed_poll_that_adds_articles_ends_with_a_compacting_full_collection()
    {
        // the worker's other job: what a poll's ingestion leaves is given back after it (BENCHMARKS.md "The worker at 1M")
        var s = Open();
        var feeds = new SqliteFeedStore(s.Db);
        await feeds.AddFeedAsync(new FeedRecord { Url = "https://news.test/feed.xml", AddedAt = Now, AddedBy = "test", Trusted = true });
        var poller = new ListPoller();
        var job = new FeedPollingJob(feeds, poller, s.Pipeline, new IngestionOptions(), new FixedTime(Now), NullLogger<FeedPollingJob>.Instance);
        for (int n = 0; n < 5; n++) AddArticle(n, daysAgo: 2);
        poller.Next.AddRange(_source.Items.Values.SelectMany(i => i));
        long before = GC.GetGCMemoryInfo(GCKind.FullBlocking).Index;

        await job.RunAsync(CancellationToken.None);

        Assert.Equal(5, (await s.Articles.GetCountsAsync()).Articles);
        var last = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Assert.True(last.Index > before, "no full blocking collection after the poll");
        Assert.True(last.Compacted);
    }

    /// <summary>A feed whose next poll yields the items queued for it.</summary>
    sealed class ListPoller : IFeedPoller
    {
        public List<SourceItem> Next { get; } = [];

        public Task<FeedProbe> ProbeAsync(string url, bool trusted, CancellationToken ct = default) => Task.FromResult(new FeedProbe(true, "Test feed", null));

        public async IAsyncEnumerable<SourceItem> PollAsync(FeedRecord feed, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            await Task.Yield();
            var items = Next.ToList();
            Next.Clear();
            foreach (var i in items) yield return i;
        }
    }

    [Fact]
    public async Task Keeping_article_text_keeps_the_body_in_the_tombstone_and_a_newer_version_of_a_pruned_article_comes_back()
    {
        var s = Open();
        AddArticle(1, daysAgo: 100);
        await Ingest(s, ["a1"]);
        var body = (await s.Articles.GetArticlesAsync([Identity.ForUrl("https://news.test/a1")]))[0].Body;

        Assert.Equal(1, (await Service(s, new RetentionPolicy(30, KeepArticleText: true)).PruneAsync(Now.AddDays(-30))).Articles);

        Assert.Empty(await Find(s, "kw1"));
        Assert.Equal(body, (await s.Articles.GetArticlesAsync([Identity.ForUrl("https://news.test/a1")]))[0].Body);
        Assert.Equal(0, (await s.Articles.GetCountsAsync()).Articles);
        Assert.False(await s.Articles.HasArticlesAsync()); // a tombstone is not an article: `ask` would fill the store with the samples
        // listed again with a date before the prune (a feed's dates drift): still pruned
        var item = _source.Items["a1"].OfType<ExtractedItem>().Single().Article;
        _source.Add("a1", item with { Published = Now.AddDays(-1) });
        Assert.Equal(IngestStatus.Expired, Assert.Single(await Ingest(s, ["a1"])).Status);
        // republished after the prune: a new version, ingested again
        _source.Add("a1", item with { Published = Now.AddHours(1) });
        Assert.Equal(IngestStatus.Added, Assert.Single(await Ingest(s, ["a1"])).Status);
        Assert.NotEmpty(await Find(s, "kw1"));
    }

    [Fact]
    public async Task With_a_retention_window_items_older_than_it_are_not_ingested()
    {
        var s = Open(new RetentionPolicy(RetainDays: 30));
        AddArticle(1, daysAgo: 200);
        AddArticle(2, daysAgo: 3);

        var results = await Ingest(s, ["a1", "a2"]);

        Assert.Equal([IngestStatus.Expired, IngestStatus.Added], results.Select(r => r.Status));
        Assert.Equal(1, (await s.Articles.GetCountsAsync()).Articles);
        Assert.True(await s.Articles.HasArticlesAsync());
        var summary = new IngestSummary();
        foreach (var r in results) summary.Count(r);
        Assert.Equal((1, 1, 0), (summary.Added, summary.Unchanged, summary.Failed));
    }

    [Fact]
    public async Task A_file_made_before_incremental_vacuum_is_switched_by_its_first_prune_and_shrinks()
    {
        // a database created by an earlier release: its tables were made with auto_vacuum off
        using (var conn = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, SqliteDatabase.FileName)}"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL;" + SqliteMigrations.V1 + "PRAGMA user_version = 1;";
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var s = Open();
        for (int n = 0; n < 30; n++) AddArticle(n, daysAgo: n < 25 ? 90 : 1);
        await Ingest(s, Enumerable.Range(0, 30).Select(n => $"a{n}"));
        Assert.Equal(0, await Pragma(s.Db, "auto_vacuum"));
        var before = await FileBytes(s.Db);

        var report = await Service(s).PruneAsync(Now.AddDays(-30));

        Assert.Equal(25, report.Articles);
        Assert.True(report.SwitchedToIncrementalVacuum);
        Assert.Equal(2, await Pragma(s.Db, "auto_vacuum"));
        var after = await FileBytes(s.Db);
        Assert.True(after < before * 3 / 4, $"{before} -> {after} bytes");
        Assert.NotEmpty(await Find(s, "kw27"));
    }

    [Fact]
    public async Task The_daily_job_prunes_by_Storage_RetainDays_a_few_minutes_after_start_then_once_a_day()
    {
        var s = Open();
        AddArticle(1, daysAgo: 45);
        AddArticle(2, daysAgo: 10);
        await Ingest(s, ["a1", "a2"]);
        var policy = new RetentionPolicy(RetainDays: 30);
        var job = new RetentionJob(new IndexPruner(Service(s, policy), s.Index), new FixedTime(Now), NullLogger<RetentionJob>.Instance);

        Assert.Equal(Now + RetentionJob.FirstRunDelay, job.NextRun(null, Now));
        Assert.Equal(Now.AddDays(1), job.NextRun(Now, Now.AddMinutes(3)));
        await job.RunAsync(CancellationToken.None);

        Assert.Empty(await Find(s, "kw1"));
        Assert.NotEmpty(await Find(s, "kw2"));
        Assert.Equal(1, (await s.Articles.GetCountsAsync()).Articles);

        // without a window the job does nothing
        var keepAll = new RetentionJob(new IndexPruner(Service(s), s.Index), new FixedTime(Now.AddDays(100)), NullLogger<RetentionJob>.Instance);
        await keepAll.RunAsync(CancellationToken.None);
        Assert.Equal(1, (await s.Articles.GetCountsAsync()).Articles);
    }

    [Fact]
    public void The_worker_schedules_the_retention_job_only_when_Storage_RetainDays_is_set()
    {
        static bool Scheduled(Dictionary<string, string?> settings)
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
            services.AddNewsBotWorker(config);
            return services.Any(d => d.ServiceType == typeof(IScheduledJob) && d.ImplementationType == typeof(RetentionJob));
        }

        Assert.False(Scheduled([]));
        Assert.False(Scheduled(new() { ["Storage:RetainDays"] = "" })); // null in appsettings.example.json
        Assert.True(Scheduled(new() { ["Storage:RetainDays"] = "180" }));
    }
}
