using Microsoft.Data.Sqlite;
using NewsBot.Core.Model;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// What a search costs outside its legs (BENCHMARKS.md §2.2.5), on a real SQLite file: the phase recorder the bench
/// attaches, and the connection a search keeps with its statements prepared (it must hold no lock between searches and
/// serve concurrent searches as one at a time would).
/// </summary>
public class SearchPhasesTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly HashingEmbeddingGenerator _embed = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleIndex _index;

    public SearchPhasesTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(_db);
    }

    public void Dispose()
    {
        _index.Dispose();
        _dir.Dispose();
    }

    async Task Put(string id, string title, params string[] chunks)
    {
        var body = string.Join("\n\n", chunks);
        var record = new ArticleRecord
        {
            Article = new() { Id = id, Url = "https://example.test/" + id, Title = title, Outlet = "Ledger" }, SourceKey = "test:" + id,
            IngestedAt = DateTimeOffset.UnixEpoch, ContentHash = Hashing.ContentHash(body), Kind = SourceKind.Page, ChunkCount = chunks.Length,
            MinHash = MinHash.Compute(body), Body = body,
        };
        await _index.UpsertAsync(record, chunks.Select((c, i) => new IndexedChunk
        {
            Article = record.Article, Position = i, Text = c,
            Dense = _embed.Embed(title + " " + c), Sparse = LexicalEncoder.Default.EncodeDocument(title + " " + c),
        }).ToList());
    }

    HybridQuery Query(string text, RetrievalMode mode = RetrievalMode.Hybrid, int top = 5) => new()
    {
        Dense = _embed.Embed(text), Sparse = LexicalEncoder.Default.EncodeQuery(text), Top = top, Mode = mode,
    };

    async Task PutCorpus(int articles)
    {
        string[] topics = ["grain exports", "port strike", "budget taxes", "cup final", "rail fares", "energy prices", "school meals"];
        for (int a = 0; a < articles; a++)
        {
            var t = topics[a % topics.Length];
            await Put("a" + a, $"{t} report {a}", $"The {t} story, part one of article {a}.", $"More on {t}: a second chunk of article {a}.");
        }
    }

    [Fact]
    public async Task An_attached_recorder_gets_one_entry_a_search_with_each_leg_timed()
    {
        await PutCorpus(12);
        await _index.SearchAsync(Query("grain port strike")); // loads the index: the recorded searches find it synced
        var recorder = new SearchPhaseRecorder();
        _index.Phases = recorder;
        var hybrid = await _index.SearchAsync(Query("grain port strike"));
        await _index.SearchAsync(Query("grain port strike", RetrievalMode.Dense));
        await _index.SearchAsync(Query("grain port strike", RetrievalMode.Lexical));
        _index.Phases = null;
        await _index.SearchAsync(Query("budget taxes"));

        Assert.NotEmpty(hybrid);
        Assert.Equal(3, recorder.Searches.Count);
        var (h, d, l) = (recorder.Searches[0], recorder.Searches[1], recorder.Searches[2]);
        Assert.True(h.LexicalMs > 0 && h.DenseMs > 0 && h.HydrationMs > 0, $"{h}");
        // the phases follow one another inside the call
        Assert.True(h.SyncMs + h.LegsMs + h.FusionMs + h.HydrationMs <= h.TotalMs + 1e-6, $"{h}");
        Assert.True(h.LegsMs >= h.DenseMs && h.LegsMs >= h.LexicalMs - 1e-6, $"{h}");
        Assert.Equal(0, d.LexicalMs);
        Assert.Equal(0, d.LexicalCpuMs);
        Assert.True(l.LexicalMs > 0, $"{l}");
        if (OperatingSystem.IsLinux())
            Assert.All(recorder.Searches, p => Assert.True(p.SyncCpuMs >= 0 && p.FusionCpuMs >= 0 && p.HydrationCpuMs > 0 && p.LexicalCpuMs >= 0, $"{p}"));
    }

    [Fact]
    public async Task Between_searches_the_kept_connection_holds_no_read_transaction()
    {
        await PutCorpus(6);
        for (int i = 0; i < 3; i++) Assert.NotEmpty(await _index.SearchAsync(Query("energy prices")));
        // a reader left open would keep the checkpoint from truncating the WAL (busy = 1) and hold its snapshot
        await using var conn = new SqliteConnection($"Data Source={_db.FilePath};Pooling=False");
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await r.ReadAsync());
            Assert.Equal(0, r.GetInt32(0));
        }
        // and a write by another connection is seen by the next search (the generation is read on the kept connection)
        await Put("late", "Harbour cranes", "Harbour cranes idle as the dockers walk out.");
        var hits = await _index.SearchAsync(Query("harbour cranes dockers"));
        Assert.Equal("late", hits[0].Article.Id);
    }

    [Fact]
    public async Task Concurrent_searches_return_what_one_at_a_time_returns()
    {
        await PutCorpus(20);
        string[] questions = ["grain exports", "port strike", "budget taxes", "cup final", "rail fares", "energy prices", "school meals", "fares and taxes"];
        var alone = new List<IReadOnlyList<SearchHit>>();
        foreach (var q in questions) alone.Add(await _index.SearchAsync(Query(q)));
        var together = await Task.WhenAll(Enumerable.Range(0, 48).Select(i => Task.Run(() => _index.SearchAsync(Query(questions[i % questions.Length])))));
        for (int i = 0; i < together.Length; i++)
            Assert.Equal(alone[i % questions.Length].Select(h => (h.Article.Id, h.Position, h.Text, h.Score)), together[i].Select(h => (h.Article.Id, h.Position, h.Text, h.Score)));
    }

    [Fact]
    public async Task A_cancelled_search_leaves_the_index_searchable()
    {
        await PutCorpus(6);
        var expected = await _index.SearchAsync(Query("rail fares"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _index.SearchAsync(Query("rail fares"), cancelled.Token));
        var again = await _index.SearchAsync(Query("rail fares"));
        Assert.Equal(expected.Select(h => (h.Article.Id, h.Position, h.Score)), again.Select(h => (h.Article.Id, h.Position, h.Score)));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(70)] // more candidates than the kept statements cover: a statement of its own
    public async Task Hydrated_hits_keep_the_fused_order_and_their_rows(int top)
    {
        await PutCorpus(40); // 80 chunks
        var hits = await _index.SearchAsync(Query("grain exports port strike report", top: top) with { CandidatesPerLeg = 80 });
        Assert.Equal(top, hits.Count);
        for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score);
        Assert.Equal(hits.Count, hits.Select(h => (h.Article.Id, h.Position)).Distinct().Count());
        Assert.All(hits, h =>
        {
            int a = int.Parse(h.Article.Id[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"article {a}", h.Text, StringComparison.Ordinal);
            Assert.StartsWith(h.Position == 0 ? "The " : "More on ", h.Text, StringComparison.Ordinal);
            Assert.Equal("https://example.test/" + h.Article.Id, h.Article.Url);
            Assert.Equal("Ledger", h.Article.Outlet);
        });
    }
}
