using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// The `bench` command as a user runs it, on a small synthetic index (no ../shared corpus beside the working
/// folder): it must build the index, time every stage and report the documented JSON. No figure is asserted
/// against a time limit — benchmarks are commands; this checks that the command works and reports sane values.
/// </summary>
public sealed class BenchCommandTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-bench-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Bench_builds_a_small_index_and_reports_every_figure()
    {
        var data = Path.Combine(_work, "data");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(),
            "bench", "--chunks", "400", "--embed-articles", "8", "--steady-articles", "6", "--queries", "30", "--story-articles", "3000", "--json", "--data", data);
        Assert.True(exit == 0, stderr);
        var r = JsonNode.Parse(stdout)!;
        Assert.InRange(r["chunks"]!.GetValue<long>(), 400, 2000);
        Assert.Equal("synthetic", r["corpus"]!.GetValue<string>());
        Assert.Contains("measuring synthetic text", stderr); // said, not only in the JSON: run from the wrong folder, a user should see why the figures differ
        foreach (var leg in new[] { "search_ms", "query_embedding_ms", "ask_ms" })
        {
            var p50 = r[leg]!["p50"]!.GetValue<double>();
            Assert.True(p50 > 0, leg);
            Assert.True(r[leg]!["p95"]!.GetValue<double>() >= p50, leg);
        }
        Assert.True(r["ingest"]!["chunks_per_s_with_embedding"]!.GetValue<double>() > 0);
        Assert.True(r["ingest"]!["cpu_ms_per_chunk_with_embedding"]!.GetValue<double>() > 0);
        Assert.True(r["ingest"]!["chunks_per_s_without_embedding"]!.GetValue<double>() > 0);
        Assert.True(r["ingest"]!["jit_ms_with_embedding"]!.GetValue<double>() >= 0);
        // --steady-articles 6: three more articles warm up, the next three are measured on their own
        var steady = r["ingest"]!["steady_with_embedding"]!;
        Assert.Equal(3, steady["warmup_articles"]!.GetValue<int>());
        Assert.Equal(3, steady["articles"]!.GetValue<int>());
        Assert.True(steady["chunks"]!.GetValue<int>() >= 3);
        Assert.True(steady["cpu_ms_per_chunk"]!.GetValue<double>() > 0);
        Assert.True(steady["cpu_ms_per_thousand_tokens"]!.GetValue<double>() > 0);
        Assert.True(steady["average_chunk_tokens"]!.GetValue<double>() > 0);
        Assert.True(r["ask_cold_ms"]!.GetValue<double>() > 0);
        Assert.True(r["ask_cold_peak_rss_mb"]!.GetValue<double>() > 0);
        Assert.InRange(r["dense_recall_at10_vs_exact"]!.GetValue<double>(), 0.9, 1.0);
        Assert.True(r["peak_rss_mb"]!.GetValue<double>() >= r["peak_rss_after_ingest_mb"]!.GetValue<double>());
        Assert.True(r["disk_mb"]!.GetValue<double>() > 0);
        Assert.True(r["snapshot_mb"]!.GetValue<double>() > 0);
        Assert.True(File.Exists(Path.Combine(data, "index.snapshot")));
        Assert.Equal(Environment.ProcessorCount, r["machine"]!["cores"]!.GetValue<int>());
        Assert.StartsWith(".NET", r["machine"]!["dotnet"]!.GetValue<string>());
        var stories = r["stories"]!;
        Assert.Equal(3000, stories["articles"]!.GetValue<int>());
        Assert.InRange(stories["stories"]!.GetValue<int>(), 600, 3000);
        Assert.True(stories["candidates_per_article"]!.GetValue<double>() > 0);
        Assert.True(stories["stories_in48h"]!.GetValue<int>() > 0);
        foreach (var leg in new[] { "assign_ms", "list_since48h_ms" })
        {
            var p50 = stories[leg]!["p50"]!.GetValue<double>();
            Assert.True(p50 > 0, leg);
            Assert.True(stories[leg]!["p95"]!.GetValue<double>() >= p50, leg);
        }
    }

    [Fact]
    public async Task Bench_on_a_kept_index_reports_no_ingest_rate_for_chunks_it_did_not_embed()
    {
        // the second run finds every sample article already stored: it embeds nothing, so its rates must be 0,
        // not the kept store's whole token count divided by the few milliseconds the unchanged check took
        var data = Path.Combine(_work, "kept");
        string[] args = ["bench", "--chunks", "300", "--embed-articles", "6", "--queries", "20", "--story-articles", "500", "--no-cold-ask", "--keep-index", "--json", "--data", data];
        var (exit, stdout, stderr) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), args);
        Assert.True(exit == 0, stderr);
        var first = JsonNode.Parse(stdout)!["ingest"]!;
        Assert.True(first["tokens_per_s_with_embedding"]!.GetValue<double>() > 0);
        Assert.Null(first["steady_with_embedding"]); // measured only when asked for (--steady-articles)
        (exit, stdout, stderr) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), args);
        Assert.True(exit == 0, stderr);
        var again = JsonNode.Parse(stdout)!["ingest"]!;
        Assert.Equal(0, again["chunks_per_s_with_embedding"]!.GetValue<double>());
        Assert.Equal(0, again["tokens_per_s_with_embedding"]!.GetValue<double>());
        Assert.True(again["average_chunk_tokens"]!.GetValue<double>() > 0);
    }

    [Fact]
    public async Task Bench_model_measures_the_configured_embedding_model()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "bench", "--model", "--json");
        Assert.True(exit == 0, stderr);
        var r = JsonNode.Parse(stdout)!;
        Assert.Equal("all-MiniLM-L6-v2-int8", r["model"]!.GetValue<string>());
        var runs = r["passages"]!.AsArray();
        Assert.Equal([256, 128], runs.Select(x => x!["tokens"]!.GetValue<int>()));
        Assert.All(runs, x => Assert.True(x!["per_s"]!.GetValue<double>() > 0));
        // the configured batch size (1) and one lane per core; the rate per CPU second as well as per wall second
        Assert.All(runs, x => Assert.Equal(1, x!["batch"]!.GetValue<int>()));
        Assert.All(runs, x => Assert.Equal(Environment.ProcessorCount, x!["lanes"]!.GetValue<int>()));
        Assert.All(runs, x => Assert.True(x!["tokens_per_cpu_s"]!.GetValue<double>() > 0));
        // shorter passages embed faster
        Assert.True(runs[1]!["per_s"]!.GetValue<double>() > runs[0]!["per_s"]!.GetValue<double>());
        Assert.True(r["query_embedding_ms"]!["p50"]!.GetValue<double>() > 0);

        (exit, _, stderr) = await CliProcess.RunAsync(_work, new Dictionary<string, string?> { ["Embeddings__Provider"] = "OpenAI", ["Embeddings__Endpoint"] = "http://127.0.0.1:1/v1", ["Embeddings__Model"] = "x", ["Embeddings__Dimensions"] = "384", ["Embeddings__ApiKey"] = "k" }, "bench", "--model");
        Assert.Equal(2, exit);
        Assert.Contains("Embeddings:Provider", stderr);
    }
}
