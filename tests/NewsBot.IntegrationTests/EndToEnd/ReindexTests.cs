using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using NewsBot.Cli;
using NewsBot.IntegrationTests.Qdrant;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// `reindex` through the real CLI verbs in-process: into Qdrant (the real Qdrant.Client against the fake
/// gRPC server on loopback), resuming after an interruption, and in place after a model change.
/// </summary>
public sealed class ReindexTests : IAsyncLifetime
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-reindex-").FullName;
    FakeQdrantServer _qdrant = null!;

    public async Task InitializeAsync()
    {
        _qdrant = await FakeQdrantServer.StartAsync("reindex-key");
        var (exit, _, err) = await Cli([], "ingest", Path.Combine(TestPaths.RepoRoot, "samples"));
        Assert.True(exit == 0, err);
    }

    public async Task DisposeAsync()
    {
        await _qdrant.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { }
    }

    Dictionary<string, string?> Qdrant() => new()
    {
        ["Qdrant:Endpoint"] = _qdrant.Address.ToString().TrimEnd('/'),
        ["Qdrant:ApiKey"] = "reindex-key",
        ["Qdrant:Collection"] = "news",
    };

    async Task<(int Exit, string Out, string Err)> Cli(Dictionary<string, string?> config, params string[] args) => await Cli(config, CancellationToken.None, args);

    async Task<(int Exit, string Out, string Err)> Cli(Dictionary<string, string?> config, CancellationToken ct, params string[] args)
    {
        config["Storage:DataDirectory"] = Path.Combine(_work, "data");
        config["Embeddings:CacheDirectory"] = TestPaths.ModelCache;
        config["Ingestion:SampleDirectory"] = "";
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await new NewsBotCli(stdout, stderr, _work, config).RunAsync(args, ct);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Reindex_to_qdrant_copies_every_article_and_qdrant_then_serves_searches()
    {
        var (exit, stdout, err) = await Cli(Qdrant(), "reindex", "--to", "qdrant", "--json");
        Assert.True(exit == 0, err);
        var report = JsonNode.Parse(stdout)!;
        Assert.Equal(6, report["articles"]!.GetValue<int>());
        Assert.Equal(6, report["copied"]!.GetValue<int>()); // same model: vectors copied, not re-embedded
        Assert.Equal(0, report["reembedded"]!.GetValue<int>());

        var cfg = Qdrant();
        cfg["Index:Provider"] = "Qdrant";
        (exit, stdout, err) = await Cli(cfg, "search", "How much will the eastern tram extension cost?", "--json");
        Assert.True(exit == 0, err);
        Assert.Contains("tram", JsonNode.Parse(stdout)!["results"]![0]!["title"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);

        (exit, stdout, err) = await Cli(cfg, "ask", "How many hectares of farmland were flooded?", "--json");
        Assert.True(exit == 0, err);
        Assert.Contains("2,300", JsonNode.Parse(stdout)!["answer"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_interrupted_reindex_resumes_where_it_stopped()
    {
        var (ingested, _, ingestErr) = await Cli([], "ingest", ArticleFolder.Write(Path.Combine(_work, "more"), 60, duplicates: 0));
        Assert.True(ingested == 0, ingestErr);
        using var cts = new CancellationTokenSource();
        int upserts = 0;
        _qdrant.BeforeAnswer = async (path, aborted) =>
        {
            if (!path.EndsWith("/Upsert", StringComparison.Ordinal) || Interlocked.Increment(ref upserts) != 3) return;
            cts.Cancel(); // Ctrl+C while the third article is on its way; its upsert never completes
            try { await Task.Delay(Timeout.Infinite, aborted); } catch (OperationCanceledException) { }
        };
        var (exit, _, _) = await Cli(Qdrant(), cts.Token, "reindex", "--to", "qdrant", "--json");
        _qdrant.BeforeAnswer = null;
        Assert.Equal(130, exit);

        var (exit2, stdout, err) = await Cli(Qdrant(), "reindex", "--to", "qdrant", "--json");
        Assert.True(exit2 == 0, err);
        var report = JsonNode.Parse(stdout)!;
        Assert.True(report["resumed"]!.GetValue<bool>());
        Assert.Contains("Resuming", err);
        var cfg = Qdrant();
        cfg["Index:Provider"] = "Qdrant";
        var (_, inQdrant, _) = await Cli(cfg, "sources", "--json");
        var (_, inEmbedded, _) = await Cli([], "sources", "--json");
        // only the rest: the two articles upserted before the cancel are not done again
        var all = JsonNode.Parse(inEmbedded)!["articles"]!.GetValue<int>();
        Assert.Equal(all - 2, report["articles"]!.GetValue<int>());
        // every chunk of the embedded store is in Qdrant once: nothing lost, nothing doubled
        Assert.Equal(JsonNode.Parse(inEmbedded)!["chunks"]!.GetValue<long>(), JsonNode.Parse(inQdrant)!["chunks"]!.GetValue<long>());
    }

    [Fact]
    public async Task Changing_the_model_needs_a_reindex_which_rebuilds_in_place()
    {
        // the store was built with the default model (MiniLM); switching to ArcticXs needs a reindex
        var arctic = new Dictionary<string, string?> { ["Embeddings:Model"] = "ArcticXs" };
        var (exit, _, err) = await Cli(arctic, "search", "tram");
        Assert.Equal(1, exit);
        Assert.Contains("reindex", err);
        (exit, var stdout, err) = await Cli(new Dictionary<string, string?> { ["Embeddings:Model"] = "ArcticXs" }, "reindex", "--json");
        Assert.True(exit == 0, err);
        Assert.Equal(6, JsonNode.Parse(stdout)!["reembedded"]!.GetValue<int>());
        (exit, stdout, err) = await Cli(new Dictionary<string, string?> { ["Embeddings:Model"] = "ArcticXs" }, "search", "flooded farmland river", "--json");
        Assert.True(exit == 0, err);
        Assert.Contains("Lenne", JsonNode.Parse(stdout)!["results"]![0]!["title"]!.GetValue<string>());
    }
}
