using Grpc.Core;
using Microsoft.Data.Sqlite;
using NewsBot.Cli;
using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.IntegrationTests.Qdrant;
using NewsBot.Qdrant;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// Promise: when Qdrant becomes unavailable in the middle of an ingestion, the ingestion stops after its retries with
/// a clear message instead of skipping articles; nothing is half indexed (every article the store holds has all its
/// points, no point belongs to an article the store lacks), and once Qdrant is back a rerun indexes the rest, ending
/// with the counts of an uninterrupted ingestion. The real Qdrant client against the fake gRPC server on loopback,
/// the CLI verbs in-process.
/// </summary>
public sealed class QdrantFaultTests : IAsyncLifetime
{
    const string Collection = "faults";
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-qdrant-faults-").FullName;
    FakeQdrantServer _qdrant = null!;

    public async Task InitializeAsync() => _qdrant = await FakeQdrantServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _qdrant.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    async Task<(int Exit, string Out, string Err)> Cli(string data, params string[] args)
    {
        var config = new Dictionary<string, string?>
        {
            ["Index:Provider"] = "Qdrant",
            ["Qdrant:Endpoint"] = _qdrant.Address.ToString().TrimEnd('/'),
            ["Qdrant:Collection"] = Collection,
            ["Storage:DataDirectory"] = data,
            ["Embeddings:CacheDirectory"] = TestPaths.ModelCache,
            ["Ingestion:SampleDirectory"] = "",
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await new NewsBotCli(stdout, stderr, _work, config).RunAsync(args);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Articles and their chunk counts in the SQLite store.</summary>
    static Dictionary<string, int> StoredArticles(string data)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(data, "newsbot.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, chunk_count FROM articles";
        using var r = cmd.ExecuteReader();
        var articles = new Dictionary<string, int>();
        while (r.Read()) articles[r.GetString(0)] = r.GetInt32(1);
        return articles;
    }

    [Fact]
    public async Task Qdrant_unavailable_mid_ingestion_stops_cleanly_leaves_nothing_half_indexed_and_a_rerun_after_it_returns_completes()
    {
        var folder = ArticleFolder.Write(Path.Combine(_work, "articles"), 24, duplicates: 0);
        var data = Path.Combine(_work, "data");
        int upserts = 0;
        var down = false;
        _qdrant.BeforeAnswer = (path, _) =>
        {
            if (path.EndsWith("/Upsert", StringComparison.Ordinal) && Interlocked.Increment(ref upserts) == 6) Volatile.Write(ref down, true);
            if (Volatile.Read(ref down)) _qdrant.FailNext(StatusCode.Unavailable); // this call, and every one after it, until it is back
            return Task.CompletedTask;
        };

        var (exit, _, err) = await Cli(data, "ingest", folder);
        Assert.NotEqual(0, exit);
        Assert.Contains("Qdrant", err);
        Assert.DoesNotContain("   at ", err); // a message, not a stack trace
        var stored = StoredArticles(data);
        var points = _qdrant.Store.PointsPerArticle(Collection, QdrantSchema.ArticleId);
        Assert.Equal(5, stored.Count); // the five upserts before the outage, then it stopped: no article was skipped past
        Assert.Equal(stored.OrderBy(a => a.Key), points.OrderBy(p => p.Key)); // every stored article has all its points, and no other point exists

        _qdrant.BeforeAnswer = null; // Qdrant is back
        (exit, _, err) = await Cli(data, "ingest", folder);
        Assert.True(exit == 0, err);
        stored = StoredArticles(data);
        points = _qdrant.Store.PointsPerArticle(Collection, QdrantSchema.ArticleId);
        Assert.Equal(24, stored.Count);
        Assert.Equal(stored.OrderBy(a => a.Key), points.OrderBy(p => p.Key));
        Assert.Equal(stored.Values.Sum(), _qdrant.Store.PointCount(Collection));
    }
}
