using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// A snapshot rewrite that a sync starts (every <see cref="SqliteArticleIndex.SnapshotAfterChanges"/> changes, in a
/// running worker) moves the index onto the new file and collects the heap: the index it replaced must be collectable
/// by then, not held by the sync's frames until it returns. At 1M chunks the replaced index beside the new one's first
/// searches and scan copies was a running worker's peak (BENCHMARKS.md, "The worker at 1M"). A real SQLite file and the
/// real embedded index.
/// </summary>
public sealed class SnapshotRewriteReleaseTests : IDisposable
{
    static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    readonly TempDirectory _dir = new();
    readonly FakeArticleSource _source = new();
    readonly HashingEmbeddingGenerator _gen = new();
    SqliteArticleIndex? _index;

    public void Dispose()
    {
        _index?.Dispose();
        _dir.Dispose();
    }

    void AddArticle(int n)
    {
        var rng = new Random(n);
        string Word() => new([.. Enumerable.Range(0, rng.Next(4, 9)).Select(_ => (char)('a' + rng.Next(26)))]);
        var paragraphs = Enumerable.Range(0, 4).Select(p => $"kw{n} " + string.Join(' ', Enumerable.Range(0, 50).Select(_ => Word())) + ".").ToArray();
        _source.Add($"a{n}", FakeArticleSource.Page($"https://news.test/a{n}", $"Article number {n}", paragraphs) with { Published = Now.AddDays(-1) });
    }

    Task<IReadOnlyList<SearchHit>> Find(string word) => _index!.SearchAsync(new HybridQuery
    {
        Dense = _gen.Embed(word), Sparse = LexicalEncoder.Default.EncodeQuery(word), Mode = RetrievalMode.Hybrid, Top = 5,
    });

    /// <summary>A weak reference to the search structures the index serves from now (a private field: nothing else exposes them).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference Loaded(SqliteArticleIndex index)
        => new(typeof(SqliteArticleIndex).GetField("_memory", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(index)
            ?? throw new InvalidOperationException("nothing loaded"));

    [Fact]
    public async Task The_index_a_sync_started_rewrite_replaces_is_collectable_when_the_rewrite_collects()
    {
        var db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(db) { SnapshotAfterChanges = 20 };
        var pipeline = new IngestionPipeline(_source, new SqliteArticleStore(db), _index, new SqliteFeedStore(db), new Embedder(_gen, HashingEmbeddingGenerator.Profile()),
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), new FixedTime(Now), NullLogger<IngestionPipeline>.Instance);
        for (int n = 0; n < 40; n++) AddArticle(n);
        await foreach (var _ in pipeline.IngestAsync(Enumerable.Range(0, 10).Select(n => $"a{n}"))) { }
        await _index.SaveSnapshotAsync();
        Assert.NotEmpty(await Find("kw3")); // served from the mapped snapshot
        var replaced = Loaded(_index);

        var aliveAtMoves = new List<bool>();
        _index.AfterSnapshotMove = () =>
        {
            // the rewrite's own collection has run; one more, to leave finalisation out of it
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            aliveAtMoves.Add(replaced.IsAlive);
        };
        // more chunks than SnapshotAfterChanges: the sync that loads them (this search's) rewrites the snapshot and moves onto it
        await foreach (var _ in pipeline.IngestAsync(Enumerable.Range(10, 30).Select(n => $"a{n}"))) { }
        Assert.NotEmpty(await Find("kw33"));

        Assert.False(Assert.Single(aliveAtMoves), "the replaced index was still referenced when the rewrite collected the heap");
        Assert.NotEmpty(await Find("kw3")); // the new one serves the earlier chunks too
    }
}
