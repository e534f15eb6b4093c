using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Benchmarking;

namespace NewsBot.Cli;

/// <summary><c>bench [--chunks N] [--json]</c>: speed and memory of the embedded store on this machine.</summary>
public static class BenchCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var chunks = new Option<int>("--chunks") { Description = "Index size to build (chunks)", DefaultValueFactory = _ => 10_000 };
        var corpus = new Option<string?>("--corpus") { Description = "Folder of articles to derive the text from (default ../shared/eval/bbc when present, else synthetic)", HelpName = "DIR" };
        var embedArticles = new Option<int>("--embed-articles") { Description = "Real articles ingested with the model to measure throughput with embedding", DefaultValueFactory = _ => 300 };
        var steadyArticles = new Option<int>("--steady-articles") { Description = "After --embed-articles, this many more real articles with the model: the first half warms up, the second half is measured (ingest.steady_with_embedding; 0: not measured)", DefaultValueFactory = _ => 0 };
        var queries = new Option<int>("--queries") { Description = "Search queries to time", DefaultValueFactory = _ => 300 };
        var noCold = new Option<bool>("--no-cold-ask") { Description = "Skip timing `ask` from process start" };
        var keep = new Option<bool>("--keep-index") { Description = "Keep the scratch index (its folder is printed)" };
        var model = new Option<bool>("--model") { Description = "Measure only the local embedding model (Embeddings:*): passages of 256 and 128 tokens, 14-token queries" };
        var storyArticles = new Option<int?>("--story-articles") { Description = "Synthetic articles behind the story timings (assignment, stories --since 48h); default 100000, or as many as the index holds when more (about 200000 at --chunks 1000000)" };
        var storiesOnly = new Option<bool>("--stories-only") { Description = "Measure only story assignment and listing" };
        var searchOnly = new Option<bool>("--search-only") { Description = "Measure only search (hybrid, each leg, recall) on the index already in --data, loaded from its snapshot; nothing is ingested or written" };
        var cmd = new Command("bench", "Measure ingest, search and ask speed and memory on an index of N chunks") { chunks, corpus, embedArticles, steadyArticles, queries, noCold, keep, model, storyArticles, storiesOnly, searchOnly };
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(model)) return await cli.RunVerbAsync(parse, ct, (sp, output, token) => ModelBenchAsync(sp, output, token));
            var n = parse.GetValue(chunks);
            if (n is < 100 or > 5_000_000)
            {
                Console.Error.WriteLine("bench: --chunks must be between 100 and 5000000.");
                return 2;
            }
            if (parse.GetValue(steadyArticles) < 0)
            {
                Console.Error.WriteLine("bench: --steady-articles must be 0 or more.");
                return 2;
            }
            var explicitData = parse.GetValue(NewsBotCli.DataOption);
            if (parse.GetValue(searchOnly) && explicitData is null)
            {
                Console.Error.WriteLine("bench: --search-only measures the index in --data DIR (one kept by an earlier bench --keep-index).");
                return 2;
            }
            var data = explicitData ?? Path.Combine(Path.GetTempPath(), "newsbot-bench-" + Guid.NewGuid().ToString("N")[..8]);
            // one model cache for every bench run: the int8 conversion happens once, not in each measured process
            var modelCache = Environment.GetEnvironmentVariable("Embeddings__CacheDirectory") is { Length: > 0 } configured
                ? configured : Path.Combine(Path.GetTempPath(), "newsbot-bench-model-cache");
            var corpusDir = parse.GetValue(corpus) ?? (Directory.Exists(Path.Combine("..", "shared", "eval", "bbc")) ? Path.Combine("..", "shared", "eval", "bbc") : null);
            // the default corpus is found relative to the current folder: run from elsewhere, the bench silently measured a
            // built-in vocabulary of ~120 words (other chunk sizes, far longer postings), so its figures did not compare
            if (corpusDir is null && !parse.GetValue(searchOnly))
                Console.Error.WriteLine($"bench: no corpus at {Path.GetFullPath(Path.Combine("..", "shared", "eval", "bbc"))}; measuring synthetic text (\"corpus\": \"synthetic\"), whose figures do not compare with a corpus run. Run from the repository folder or pass --corpus DIR.");
            try
            {
                return await cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
                {
                    var stories = Math.Clamp(parse.GetValue(storyArticles) ?? 100_000, 100, 2_000_000);
                    if (parse.GetValue(storiesOnly))
                    {
                        var figures = await new StoryBenchmark(sp, output).RunAsync(Path.Combine(Path.GetFullPath(data), "stories-bench"), stories, token);
                        if (output.Json) output.WriteJson(figures);
                        else PrintStories(output, figures);
                        return 0;
                    }
                    var memory = new ProcessMemory();
                    var report = await new Benchmark(sp, output, Path.GetFullPath(data), modelCache, memory).RunAsync(new BenchSettings
                    {
                        Chunks = n,
                        Corpus = corpusDir,
                        EmbedArticles = parse.GetValue(embedArticles),
                        SteadyArticles = parse.GetValue(steadyArticles),
                        Queries = parse.GetValue(queries),
                        ColdAsk = !parse.GetValue(noCold),
                        SearchOnly = parse.GetValue(searchOnly),
                    }, token);
                    if (!parse.GetValue(searchOnly))
                    {
                        // the story timings at the index's size: its article count, so the 1M-chunk run measures them at ~200k articles
                        if (parse.GetValue(storyArticles) is null) stories = (int)Math.Clamp(Math.Max(stories, report.Articles), 100, 2_000_000);
                        report = report with { Stories = await new StoryBenchmark(sp, output, memory).RunAsync(Path.Combine(Path.GetFullPath(data), "stories-bench"), stories, token) };
                        // the whole process's peak, stories included (the phases reset the kernel's peak, so `/usr/bin/time` %M no longer sees it)
                        memory.EndPhase("stories: list");
                        report = report with { MemoryPhases = memory.Phases.ToList(), PeakRssMb = Math.Round(memory.PeakBytes / 1048576.0, 0) };
                    }
                    if (output.Json) output.WriteJson(report);
                    else Print(output, report);
                    return 0;
                }, overrides: new Dictionary<string, string?>
                {
                    ["Storage:DataDirectory"] = data,
                    ["Ingestion:SampleDirectory"] = "",
                    ["Index:Provider"] = "Embedded",
                    ["Embeddings:CacheDirectory"] = modelCache,
                });
            }
            finally
            {
                if (explicitData is null && !parse.GetValue(keep))
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    try { Directory.Delete(data, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
                else if (explicitData is null) Console.Error.WriteLine($"Scratch index kept in {data}");
            }
        });
        return cmd;
    }

    /// <summary>The configured local model on synthetic news text of exact token lengths, its configured batch size, then single queries.</summary>
    static async Task<int> ModelBenchAsync(IServiceProvider sp, CliOutput output, CancellationToken ct)
    {
        if (sp.GetRequiredService<NewsBot.Hosting.EmbeddingRegistration.EmbeddingSetup>().Generator is not NewsBot.Onnx.OnnxEmbeddingGenerator generator)
        {
            output.Error("bench --model measures the local ONNX model; set Embeddings:Provider to Local.");
            return 2;
        }
        var runs = new List<NewsBot.Onnx.EmbeddingBenchResult>();
        foreach (var (passages, tokens) in new[] { (240, 256), (400, 128) })
        {
            output.Progress($"embedding {passages} passages of {tokens} tokens…");
            runs.Add(await NewsBot.Onnx.OnnxEmbeddingBenchmark.RunAsync(generator, passages, tokens, batchSize: generator.BatchSize, queries: 200, cancellationToken: ct));
        }
        output.EndProgress();
        if (output.Json)
        {
            output.WriteJson(new EmbeddingBenchJson(
                generator.ModelId, generator.Threads, runs[0].LoadTime is { } l ? Math.Round(l.TotalMilliseconds) : null,
                runs.Select(r => new PassageRunJson(r.TokensPerPassage, r.BatchSize, Math.Round(r.PassagesPerSecond, 1), Math.Round(r.TokensPerSecond), r.Lanes, Math.Round(r.TokensPerCpuSecond))),
                new QueryRunJson(runs[^1].TokensPerQuery, Math.Round(runs[^1].QueryP50Ms, 2), Math.Round(runs[^1].QueryP95Ms, 2)),
                MachineInfo.Current()));
        }
        else foreach (var r in runs) output.Line(r.ToString());
        return 0;
    }

    static void PrintStories(CliOutput o, StoryBenchFigures s) =>
        o.Line($"Stories ({s.Articles} articles in {s.Stories} stories, {s.CandidatesPerArticle} candidates per article): assign one article p50 {s.AssignMs.P50} ms, p95 {s.AssignMs.P95} ms (reading the candidates p50 {s.ReadCandidatesMs.P50} ms); stories --since 48h ({s.StoriesIn48h} stories) p50 {s.ListSince48hMs.P50} ms, p95 {s.ListSince48hMs.P95} ms; CPU per assignment {s.AssignCpuMsMean} ms, per listing {s.ListCpuMsMean} ms{(s.LoadAverage is [var from, var to] ? $" (load average {from}→{to})" : "")}");

    static void Print(CliOutput o, BenchReport r)
    {
        o.Line($"Index: {r.Chunks} chunks, {r.Articles} articles ({r.Corpus}), model {r.EmbeddingModel}; {r.Machine.Cores} cores, {r.Machine.Cpu}, {r.Machine.Simd}, {r.Machine.Os}, {r.Machine.Dotnet}");
        o.Line($"Ingest with embedding:    {r.Ingest.ChunksPerSWithEmbedding} chunks/s ({r.Ingest.ArticlesPerSWithEmbedding} articles/s, {r.Ingest.TokensPerSWithEmbedding} tokens/s, {r.Ingest.AverageChunkTokens} tokens/chunk)");
        if (r.Ingest.SteadyWithEmbedding is { } st)
            o.Line($"  steady, after {st.WarmupArticles} warm-up articles: {st.ChunksPerS} chunks/s, {st.CpuMsPerChunk} ms of CPU a chunk ({st.AverageChunkTokens} tokens/chunk, {st.CpuMsPerThousandTokens} ms per 1,000 tokens, JIT {st.JitMs} ms); first {r.Ingest.CpuMsPerChunkWithEmbedding} ms a chunk, JIT {r.Ingest.JitMsWithEmbedding} ms");
        o.Line($"Ingest without embedding: {r.Ingest.ChunksPerSWithoutEmbedding} chunks/s ({r.Ingest.ArticlesPerSWithoutEmbedding} articles/s)");
        o.Line($"Query embedding: p50 {r.QueryEmbeddingMs.P50} ms, p95 {r.QueryEmbeddingMs.P95} ms");
        o.Line($"Hybrid search:   p50 {r.SearchMs.P50} ms, p95 {r.SearchMs.P95} ms, p99 {r.SearchMs.P99} ms (dense recall@10 vs exact {r.DenseRecallAt10VsExact})");
        o.Line($"  legs alone:    dense p50 {r.DenseSearchMs.P50} ms, p95 {r.DenseSearchMs.P95} ms; lexical p50 {r.LexicalSearchMs.P50} ms, p95 {r.LexicalSearchMs.P95} ms");
        o.Line($"Index load: {r.IndexLoadMs} ms from the database rows, {r.SnapshotLoadMs} ms from the snapshot ({r.SnapshotMb} MB, written in {r.SnapshotWriteMs} ms)");
        o.Line($"Ask (extractive): p50 {r.AskMs.P50} ms, p95 {r.AskMs.P95} ms; from process start: {(r.AskColdMs is { } c ? $"{c} ms" : "not measured")}");
        if (r.Stories is { } s) PrintStories(o, s);
        foreach (var p in r.MemoryPhases) o.Line("  memory, " + ProcessMemory.Describe(p));
        o.Line($"Peak RSS {r.PeakRssMb} MB (bench process; {r.PeakRssAfterIngestMb} MB when ingest ended), `ask` process {(r.AskColdPeakRssMb is { } a ? $"{a} MB" : "not measured")}; disk {r.DiskMb} MB");
    }
}
