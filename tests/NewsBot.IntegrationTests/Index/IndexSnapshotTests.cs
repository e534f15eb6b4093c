using Microsoft.Data.Sqlite;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Sqlite;

namespace NewsBot.IntegrationTests.Index;

/// <summary>
/// The embedded index saves its in-memory search structures to <c>index.snapshot</c> beside the SQLite file, so a
/// new process starts from it and loads only what changed since. Tried here, on real SQLite files with real
/// MiniLM vectors: a process that starts from the snapshot after other writes (an added and a deleted article)
/// answers as one that rebuilt from the database; a snapshot of another database, of another model, or a
/// damaged one is ignored with the index rebuilt from the database.
/// </summary>
[Collection(IndexContractCollection.Name)]
public sealed class IndexSnapshotTests(ContractEmbedderFixture embed) : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("newsbot-snapshot-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    async Task<SqliteArticleIndex> FilledAsync(string folder, IEnumerable<CorpusArticle> articles)
    {
        var index = new SqliteArticleIndex(new SqliteDatabase(Path.Combine(_root, folder))) { SnapshotAfterChanges = 0 };
        await index.EnsureReadyAsync(embed.Model);
        foreach (var a in articles)
        {
            var (record, chunks) = await embed.ArticleAsync(a);
            await index.UpsertAsync(record, chunks);
        }
        return index;
    }

    /// <summary>A fresh process's view: a new index object over the same folder (what `ask` does at start).</summary>
    static SqliteArticleIndex Reopen(SqliteArticleIndex index, int snapshotAfter = 0) => new(new SqliteDatabase(index.Database.DataDirectory)) { SnapshotAfterChanges = snapshotAfter };

    async Task<List<string>> TopAsync(IArticleIndex index, string question)
        => [.. (await index.SearchAsync(await embed.QueryAsync(question))).Select(h => $"{h.Article.Id}#{h.Position}:{h.Score:F6}")];

    static readonly string[] Questions =
    [
        "harbour strike grain ships", "interest rates inflation", "climbers stranded ridge", "orchid rediscovered",
        "cup final penalties", "battery plant carmaker", "river flood evacuation", "mayor second term",
    ];

    /// <summary>
    /// Fixtures/release-snapshot: `newsbot ingest samples/` by the release before the index files were split (commit
    /// 83d5d12), then its SqliteArticleIndex.SaveSnapshotAsync: format 2, read into the heap.
    /// Fixtures/release-snapshot-v3: that data directory opened by `newsbot search` at commit 23917ea, which rebuilt it
    /// and saved format 3 (mapped, int8 scan without binary codes): the format of a data directory of the last release.
    /// </summary>
    static string ReleaseFixture(string name, [System.Runtime.CompilerServices.CallerFilePath] string here = "")
        => Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", name);

    [Theory]
    [InlineData("release-snapshot", "NBISNAP2")]
    [InlineData("release-snapshot-v3", "NBISNAP3")]
    public async Task A_snapshot_written_by_an_earlier_release_is_rebuilt_from_the_rows_then_saved_in_the_current_format(string fixture, string magic)
    {
        Assert.Equal(magic, System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(ReleaseFixture(fixture), "index.snapshot")).AsSpan(0, 8)));
        string Copy(string name, bool withSnapshot)
        {
            var folder = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
            File.Copy(Path.Combine(ReleaseFixture(fixture), "newsbot.db"), Path.Combine(folder, "newsbot.db"));
            if (withSnapshot) File.Copy(Path.Combine(ReleaseFixture(fixture), "index.snapshot"), Path.Combine(folder, "index.snapshot"));
            return folder;
        }
        var log = new ListLogger();
        var release = Copy("release", withSnapshot: true);
        var oldSnapshot = await File.ReadAllBytesAsync(Path.Combine(release, "index.snapshot"));
        using var fromOldSnapshot = new SqliteArticleIndex(new SqliteDatabase(release), logger: log);
        using var rebuilt = new SqliteArticleIndex(new SqliteDatabase(Copy("rows", withSnapshot: false))) { SnapshotAfterChanges = -1 };

        await fromOldSnapshot.PreloadAsync();

        // the earlier format is not read: the rows are, and the snapshot is saved again in the current format
        Assert.Contains(log.Messages, m => m.Contains("earlier release's format", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Messages, m => m.StartsWith("Index snapshot loaded", StringComparison.Ordinal));
        var saved = await File.ReadAllBytesAsync(fromOldSnapshot.SnapshotPath);
        Assert.NotEqual(oldSnapshot, saved);
        Assert.Equal("NBISNAP4", System.Text.Encoding.ASCII.GetString(saved.AsSpan(0, 8)));
        var log2 = new ListLogger();
        using var nextStart = new SqliteArticleIndex(new SqliteDatabase(release), logger: log2) { SnapshotAfterChanges = -1 };
        await nextStart.PreloadAsync();
        Assert.Contains(log2.Messages, m => m.StartsWith("Index snapshot loaded: 6 chunks", StringComparison.Ordinal));
        Assert.DoesNotContain(log2.Messages, m => m.Contains("ignored", StringComparison.Ordinal) || m.Contains("could not be read", StringComparison.Ordinal));

        // nothing lost: both answer as a rebuild from the rows
        uint[] terms = [.. NewsBot.Core.Text.LexicalEncoder.Default.EncodeQuery("floods farmland tram battery").Indices];
        foreach (var index in (SqliteArticleIndex[])[fromOldSnapshot, nextStart])
        {
            foreach (var q in (string[])["storm floods farmland", "tram line green light", "battery recycling", "election turnout", "cup semifinal"])
            {
                var expected = await TopAsync(rebuilt, q);
                Assert.NotEmpty(expected);
                Assert.Equal(expected, await TopAsync(index, q));
            }
            Assert.Equal((await rebuilt.GetDocumentFrequenciesAsync(terms)).DocumentFrequencies, (await index.GetDocumentFrequenciesAsync(terms)).DocumentFrequencies);
        }
    }

    sealed class ListLogger : Microsoft.Extensions.Logging.ILogger<SqliteArticleIndex>
    {
        public List<string> Messages { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages) Messages.Add(formatter(state, exception));
        }
    }

    [Fact]
    public async Task A_new_process_starts_from_the_snapshot_and_catches_up_with_later_writes()
    {
        var first = await FilledAsync("db", ContractCorpus.All.Take(6));
        await first.PreloadAsync();
        Assert.True(File.Exists(first.SnapshotPath), "the first load writes the snapshot");
        var snapshotTime = File.GetLastWriteTimeUtc(first.SnapshotPath);

        // another process writes after the snapshot: one article added, one deleted
        var writer = Reopen(first, snapshotAfter: -1);
        var (record, chunks) = await embed.ArticleAsync(ContractCorpus.RiverFlood);
        await writer.UpsertAsync(record, chunks);
        await writer.DeleteAsync(ContractCorpus.Orchid.Id);

        var fromSnapshot = Reopen(first, snapshotAfter: 1000);
        await fromSnapshot.PreloadAsync();
        Assert.Equal(snapshotTime, File.GetLastWriteTimeUtc(first.SnapshotPath)); // only two changes: not rewritten
        File.Delete(first.SnapshotPath);
        var rebuilt = Reopen(first, snapshotAfter: -1);
        foreach (var q in Questions)
            Assert.Equal(await TopAsync(rebuilt, q), await TopAsync(fromSnapshot, q));
        var flood = await fromSnapshot.SearchAsync(await embed.QueryAsync("river flood evacuation"));
        Assert.Equal(ContractCorpus.RiverFlood.Id, flood[0].Article.Id);
        Assert.DoesNotContain(await fromSnapshot.SearchAsync(await embed.QueryAsync("orchid rediscovered")), h => h.Article.Id == ContractCorpus.Orchid.Id);
    }

    [Fact]
    public async Task A_snapshot_of_another_database_or_a_damaged_one_is_ignored()
    {
        var a = await FilledAsync("a", [ContractCorpus.HarbourStrike, ContractCorpus.RateRise]);
        await a.PreloadAsync();
        var b = await FilledAsync("b", [ContractCorpus.CupFinal, ContractCorpus.MayorElection]);
        var expected = await TopAsync(Reopen(b, -1), "cup final penalties");
        File.Delete(b.SnapshotPath);

        // a's snapshot copied beside b's database: another database, so not used
        File.Copy(a.SnapshotPath, b.SnapshotPath);
        var fresh = Reopen(b, -1);
        Assert.Equal(expected, await TopAsync(fresh, "cup final penalties"));
        Assert.DoesNotContain(await fresh.SearchAsync(await embed.QueryAsync("harbour strike grain ships")), h => h.Article.Id == ContractCorpus.HarbourStrike.Id);

        // a damaged snapshot: cut in half
        var bytes = await File.ReadAllBytesAsync(a.SnapshotPath);
        await File.WriteAllBytesAsync(a.SnapshotPath, bytes[..(bytes.Length / 2)]);
        var damaged = Reopen(a, 0);
        var hits = await damaged.SearchAsync(await embed.QueryAsync("harbour strike grain ships"));
        Assert.Equal(ContractCorpus.HarbourStrike.Id, hits[0].Article.Id);
        Assert.True(new FileInfo(a.SnapshotPath).Length > bytes.Length / 2, "the rebuilt index wrote a whole snapshot again");
    }

    [Fact]
    public async Task After_a_reset_to_another_model_the_old_snapshot_returns_no_stale_chunks()
    {
        var index = await FilledAsync("m", [ContractCorpus.HarbourStrike, ContractCorpus.RateRise]);
        await index.PreloadAsync();
        // reindex resets the store to another model: every chunk is gone until re-embedded
        await index.ResetModelAsync(new EmbeddingModelInfo("another-model", embed.Model.Dimensions));
        var reopened = Reopen(index, -1);
        var q = await embed.QueryAsync("harbour strike grain ships");
        Assert.Empty(await reopened.SearchAsync(q));
    }
}
