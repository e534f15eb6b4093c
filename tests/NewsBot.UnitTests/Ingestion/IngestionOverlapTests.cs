using Microsoft.Extensions.AI;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Ingestion;

/// <summary>
/// A full group's embedding runs while the pipeline writes the group before it and prepares the next (issue 18):
/// the model never waits for the serial stages, and results still come out in input order, once each.
/// </summary>
public sealed class IngestionOverlapTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly FakeArticleSource _source = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleIndex _index;
    readonly SqliteArticleStore _store;
    readonly GatedGenerator _gen = new();
    readonly IngestionPipeline _pipeline;

    public IngestionOverlapTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(_db);
        _store = new SqliteArticleStore(_db);
        // two passages a group: every two one-chunk articles are embedded together
        var profile = new EmbeddingProfile("hashing-test", 64, MaxBatch: 2);
        _pipeline = new IngestionPipeline(_source, _store, _index, new SqliteFeedStore(_db), new Embedder(_gen, profile),
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System, TestLog.For<IngestionPipeline>());
    }

    public void Dispose()
    {
        _gen.ReleaseAll();
        _index.Dispose();
        _dir.Dispose();
    }

    string AddArticle(string town, int seats, string? url = null)
    {
        _source.Add(town, FakeArticleSource.Page(url ?? $"https://news.test/{town}", $"{town} opens a library",
            [$"{town} opened a new public library on Monday with {seats} seats and a reading room run by the {town} Society."]));
        return town;
    }

    [Fact]
    public async Task The_next_group_is_embedded_before_the_previous_one_is_written()
    {
        string[] inputs = ["Ashford", "Bexley", "Croydon", "Dover", "Enfield", "Fulham"];
        for (int i = 0; i < inputs.Length; i++) AddArticle(inputs[i], 100 + i * 17);
        _gen.Hold("Ashford"); // the first group's embedding waits until released

        var run = Task.Run(async () =>
        {
            var list = new List<IngestItemResult>();
            await foreach (var r in _pipeline.IngestAsync(inputs)) list.Add(r);
            return list;
        });
        // the second group goes to the model while the first is still there: neither has been written (a deadline, not a
        // measurement: while the first is held, a pipeline that waited for it would never start the second)
        bool secondStarted = await _gen.WaitStartedAsync("Croydon", TimeSpan.FromSeconds(30));
        long storedMeanwhile = (await _store.GetCountsAsync()).Articles;
        _gen.ReleaseAll();
        var results = await run;

        Assert.True(secondStarted, "the second group's embedding waited for the first group");
        Assert.Equal(0L, storedMeanwhile);
        Assert.Equal(inputs, results.Select(r => r.Input));
        Assert.All(results, r => Assert.Equal(IngestStatus.Added, r.Status));
        Assert.Equal(3, _gen.Calls);
        Assert.Equal(inputs.Length, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task An_article_that_repeats_one_being_embedded_waits_for_it_and_comes_after_it()
    {
        AddArticle("Ashford", 100);
        AddArticle("Bexley", 117);
        // the same page again under another input name while the first group is in flight, with more seats now
        AddArticle("Ashford again", 250, url: "https://news.test/Ashford");

        var results = new List<IngestItemResult>();
        await foreach (var r in _pipeline.IngestAsync(["Ashford", "Bexley", "missing", "Ashford again"])) results.Add(r);

        Assert.Equal(["Ashford", "Bexley", "missing", "Ashford again"], results.Select(r => r.Input));
        Assert.Equal([IngestStatus.Added, IngestStatus.Added, IngestStatus.Failed, IngestStatus.Updated], results.Select(r => r.Status));
        Assert.Equal(results[0].Article?.Id, results[3].Article?.Id);
        Assert.Equal(2, (await _store.GetCountsAsync()).Articles);
    }

    [Fact]
    public async Task Cancelling_while_two_groups_are_with_the_model_ends_the_run_without_writing_them()
    {
        string[] inputs = ["Ashford", "Bexley", "Croydon", "Dover"];
        for (int i = 0; i < inputs.Length; i++) AddArticle(inputs[i], 100 + i * 17);
        using var cts = new CancellationTokenSource();
        _gen.Hold("Ashford");

        var results = new List<IngestItemResult>();
        var run = Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var r in _pipeline.IngestAsync(inputs, cts.Token)) results.Add(r);
        });
        Assert.True(await _gen.WaitStartedAsync("Croydon", TimeSpan.FromSeconds(30)), "the second group did not reach the model");
        await cts.CancelAsync(); // the first group's embedding sees it; the second's is waited for, not written
        if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))) != run) _gen.ReleaseAll(); // fail, not hang
        await run;

        Assert.Empty(results);
        Assert.True(_gen.Finished("Ashford") && _gen.Finished("Croydon"));
        Assert.Equal(0L, (await _store.GetCountsAsync()).Articles);
    }

    /// <summary>
    /// The hashing generator, whose calls that embed a chosen word wait until released (or cancelled). Calls are told
    /// apart by their texts, not their order: two groups' calls may reach the generator in either order.
    /// </summary>
    sealed class GatedGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        readonly HashingEmbeddingGenerator _inner = new();
        readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly List<string> _started = [], _finished = [];
        string? _held;
        int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Hold(string word) => _held = word;

        public void ReleaseAll() => _release.TrySetResult();

        public bool Started(string word) { lock (_started) return _started.Any(t => t.Contains(word, StringComparison.Ordinal)); }

        public bool Finished(string word) { lock (_started) return _finished.Any(t => t.Contains(word, StringComparison.Ordinal)); }

        public async Task<bool> WaitStartedAsync(string word, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!Started(word) && DateTime.UtcNow < deadline) await Task.Delay(5);
            return Started(word);
        }

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            string all = string.Join("\n", texts);
            Interlocked.Increment(ref _calls);
            lock (_started) _started.Add(all);
            try
            {
                if (_held is { } word && all.Contains(word, StringComparison.Ordinal)) await _release.Task.WaitAsync(cancellationToken);
                return await _inner.GenerateAsync(texts, options, cancellationToken);
            }
            finally
            {
                lock (_started) _finished.Add(all);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
