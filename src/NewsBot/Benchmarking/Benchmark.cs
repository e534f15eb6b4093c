using NewsBot.Core.Operations;
using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Cli;
using NewsBot.Core.Answering;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;

namespace NewsBot.Benchmarking;

public sealed record BenchSettings
{
    public int Chunks { get; init; } = 10_000;
    public string? Corpus { get; init; }
    /// <summary>Real articles ingested with the embedding model to measure throughput with embedding.</summary>
    public int EmbedArticles { get; init; } = 300;
    /// <summary>
    /// More real articles ingested with the model after those (<c>--steady-articles</c>, default 0: not measured): the
    /// first half warms the process up, the second half is measured, so the figure leaves out the start-up (the JIT) that
    /// a long-running worker pays once. Never the same articles as the first measurement.
    /// </summary>
    public int SteadyArticles { get; init; }
    public int Queries { get; init; } = 300;
    public int AskQueries { get; init; } = 40;
    public bool ColdAsk { get; init; } = true;
    /// <summary>Only the searches and the recall, on the index the data folder already holds (<c>--search-only</c>).</summary>
    public bool SearchOnly { get; init; }
}

public sealed record Percentiles(double P50, double P95, double P99);

public sealed record BenchReport
{
    public long Chunks { get; init; }
    public long Articles { get; init; }
    public Percentiles SearchMs { get; init; } = new(0, 0, 0);
    public Percentiles QueryEmbeddingMs { get; init; } = new(0, 0, 0);
    /// <summary>The same searches with the dense leg alone, then the lexical leg alone: where hybrid search time goes.</summary>
    public Percentiles DenseSearchMs { get; init; } = new(0, 0, 0);
    public Percentiles LexicalSearchMs { get; init; } = new(0, 0, 0);
    public Percentiles AskMs { get; init; } = new(0, 0, 0);
    public double? AskColdMs { get; init; }
    public IngestFigures Ingest { get; init; } = new();
    /// <summary>Building the index from the SQLite rows (a start without a snapshot): streamed into index.snapshot and mapped.</summary>
    public double IndexLoadMs { get; init; }
    /// <summary>Loading it from index.snapshot instead (every start after the first).</summary>
    public double SnapshotLoadMs { get; init; }
    public double SnapshotWriteMs { get; init; }
    public double SnapshotMb { get; init; }
    /// <summary>Peak resident memory of the `ask` process (the serving process's footprint at this index size).</summary>
    public double? AskColdPeakRssMb { get; init; }
    public double DenseRecallAt10VsExact { get; init; }
    /// <summary>Process CPU time of the timed hybrid round divided by its searches (both cores, both legs).</summary>
    public double SearchCpuMsPerQuery { get; init; }
    /// <summary>The timed hybrid round phase by phase: each leg, fusion and hydration, wall clock and CPU (§2.2.5).</summary>
    public HybridPhaseFigures? HybridPhases { get; init; }
    /// <summary>Whether the search rounds ran from the page cache: the files' cached share before them, each round's faults and reads (§2.2.7).</summary>
    public SearchIoFigures? SearchIo { get; init; }
    /// <summary>The 1-minute load average when the searches started and ended: latencies on a shared machine stretch with it.</summary>
    public double[]? LoadAverage { get; init; }
    /// <summary>Peak resident memory of the bench process over the whole run (building, loading, searching, asking, and the stories bench after it).</summary>
    public double PeakRssMb { get; init; }
    /// <summary>The same peak measured when ingestion ended, before the index was loaded for searching.</summary>
    public double PeakRssAfterIngestMb { get; init; }
    /// <summary>Each phase's own peak and what it left resident (anonymous, file-backed, heap): where the peak comes from.</summary>
    public IReadOnlyList<MemoryPhase> MemoryPhases { get; init; } = [];
    public double DiskMb { get; init; }
    public string Corpus { get; init; } = "";
    public string EmbeddingModel { get; init; } = "";
    /// <summary>Story assignment and listing at scale (<see cref="StoryBenchmark"/>).</summary>
    public StoryBenchFigures? Stories { get; init; }
    public MachineInfo Machine { get; init; } = MachineInfo.Current();
}

public sealed record IngestFigures
{
    public double ChunksPerSWithEmbedding { get; init; }
    public double ArticlesPerSWithEmbedding { get; init; }
    public double TokensPerSWithEmbedding { get; init; }
    public double AverageChunkTokens { get; init; }

    /// <summary>
    /// Process CPU time (user + system, all threads) per chunk ingested with embedding: what the rate would be on a
    /// machine with nothing else running (cores × 1000 / this = chunks/s), far less sensitive to other load.
    /// </summary>
    public double CpuMsPerChunkWithEmbedding { get; init; }
    public double ChunksPerSWithoutEmbedding { get; init; }
    public double ArticlesPerSWithoutEmbedding { get; init; }
    /// <summary>
    /// Time the runtime's JIT spent compiling (<see cref="JitInfo.GetCompilationTime"/>: all threads, the
    /// tiered-compilation thread included) while the articles above were ingested with embedding. Clock time on those
    /// threads, not CPU: on a loaded machine it includes the time they waited for a core, so it overstates the JIT's CPU.
    /// </summary>
    public double JitMsWithEmbedding { get; init; }
    /// <summary>The steady state of ingest with embedding (<c>--steady-articles</c>), null when not measured.</summary>
    public SteadyIngestFigures? SteadyWithEmbedding { get; init; }
}

/// <summary>
/// The `bench` command: builds an embedded index of N chunks in a scratch folder and measures ingest
/// throughput with and without the embedding model, query embedding, hybrid search and extractive ask
/// latency, cold ask from process start, peak memory and disk size. Large indexes take their vectors from
/// a pool of real model vectors (see <see cref="PooledVectorGenerator"/>) so that building 100k chunks
/// does not take an hour of embedding; throughput with embedding is measured on real articles.
/// </summary>
public sealed partial class Benchmark(IServiceProvider sp, CliOutput output, string dataDirectory, string? modelCache = null, ProcessMemory? memory = null)
{
    readonly ProcessMemory _memory = memory ?? new ProcessMemory();

    void EndPhase(string phase) => output.Progress(ProcessMemory.Describe(_memory.EndPhase(phase)));

    public async Task<BenchReport> RunAsync(BenchSettings s, CancellationToken ct)
    {
        if (s.SearchOnly) return await SearchOnlyAsync(s, ct);
        var now = DateTimeOffset.UtcNow;
        var corpus = BenchCorpus.Load(s.Corpus);
        var embedder = sp.GetRequiredService<Embedder>();
        var db = sp.GetRequiredService<SqliteDatabase>();
        var index = sp.GetRequiredService<SqliteArticleIndex>();
        var store = sp.GetRequiredService<IArticleStore>();
        var feeds = sp.GetRequiredService<IFeedStore>();
        var chunker = sp.GetRequiredService<Chunker>();
        var options = sp.GetRequiredService<IngestionOptions>();

        // 1. with embedding: real articles through the real pipeline
        output.Progress("loading the embedding model…");
        await embedder.EmbedQueryAsync("warm up", ct);
        var withEmbedding = new IngestionPipeline(new NoSource(), store, index, feeds, embedder, chunker, LexicalEncoder.Default, options, TimeProvider.System, NullLogger<IngestionPipeline>.Instance);
        var realArticles = corpus.FromCorpus ? corpus.RealArticles(now) : corpus.SyntheticArticles(1, 230, now);
        var sample = realArticles.Take(s.EmbedArticles).ToList();
        // tokens of what this run embeds (a kept index already holds its chunks: they are not this run's work)
        var tokensBefore = await ScalarAsync(db, "SELECT COALESCE(SUM(token_count), 0) FROM chunks", ct);
        var jitA = JitInfo.GetCompilationTime();
        var cpuA = Process.GetCurrentProcess().TotalProcessorTime;
        var swA = Stopwatch.StartNew();
        int chunksA = 0, articlesA = 0;
        await foreach (var r in withEmbedding.IngestItemsAsync(Items(sample, ct), ct))
        {
            if (r.Status is IngestStatus.Added or IngestStatus.Updated) { chunksA += r.Chunks; articlesA++; }
            output.Progress($"ingest with embedding: {articlesA}/{sample.Count} articles, {chunksA} chunks, {chunksA / Math.Max(0.001, swA.Elapsed.TotalSeconds):0.0} chunks/s");
        }
        var timeA = swA.Elapsed.TotalSeconds;
        cpuA = Process.GetCurrentProcess().TotalProcessorTime - cpuA;
        jitA = JitInfo.GetCompilationTime() - jitA;
        var tokensA = await ScalarAsync(db, "SELECT COALESCE(SUM(token_count), 0) FROM chunks", ct);
        var countA = await ScalarAsync(db, "SELECT COUNT(*) FROM chunks", ct);
        var steady = s.SteadyArticles > 0
            ? await SteadyIngestAsync(db, withEmbedding, realArticles.Skip(s.EmbedArticles).Take(s.SteadyArticles).ToList(), ct)
            : null;

        // 2. without embedding: synthetic articles from the corpus, vectors from a pool of real ones
        var pool = await LoadVectorsAsync(db, 5000, ct);
        var pooled = new Embedder(new PooledVectorGenerator(pool), embedder.Profile);
        var withoutEmbedding = new IngestionPipeline(new NoSource(), store, index, feeds, pooled, chunker, LexicalEncoder.Default, options, TimeProvider.System, NullLogger<IngestionPipeline>.Instance);
        long target = s.Chunks;
        long have = steady is null ? countA : await ScalarAsync(db, "SELECT COUNT(*) FROM chunks", ct);
        var swB = Stopwatch.StartNew();
        int chunksB = 0, articlesB = 0;
        if (have < target)
        {
            await foreach (var r in withoutEmbedding.IngestItemsAsync(Items(corpus.SyntheticArticles(42, 900, now), ct, () => have >= target), ct))
            {
                if (r.Status is IngestStatus.Added or IngestStatus.Updated) { chunksB += r.Chunks; articlesB++; have += r.Chunks; }
                if (articlesB % 200 == 0) output.Progress($"ingest without embedding: {have}/{target} chunks, {chunksB / Math.Max(0.001, swB.Elapsed.TotalSeconds):0} chunks/s");
            }
        }
        var timeB = swB.Elapsed.TotalSeconds;
        await CheckpointAsync(db, ct);
        var peakAfterIngest = PeakRssBytes();
        EndPhase("ingest");
        // what ingesting left behind is garbage a serving process does not have: collect it before the load is measured
        pool.Clear();
        ManagedHeap.CompactAndDecommit();

        // 3. queries: embedding and search measured apart
        var queries = Queries(corpus, s.Queries);
        output.Progress("loading the index into memory…");
        // the load from the database as a first start meets it: streamed from the rows into index.snapshot and mapped
        // (a load that is saved anyway never holds the corpus in the heap); then a snapshot rewritten from that mapped index
        index.SnapshotAfterChanges = 0;
        var swLoad = Stopwatch.StartNew();
        await index.SyncAsync(ct);
        var loadMs = swLoad.Elapsed.TotalMilliseconds;
        EndPhase("load from rows");
        index.SnapshotAfterChanges = -1; // as before: nothing later in the bench writes a snapshot of its own accord
        swLoad.Restart();
        await index.SaveSnapshotAsync(ct);
        var snapshotWriteMs = swLoad.Elapsed.TotalMilliseconds;
        EndPhase("snapshot rewrite");
        index.ReleaseMemory(); // as a new process would: start from the snapshot (and without the released index's heap)
        ManagedHeap.CompactAndDecommit();
        swLoad.Restart();
        await index.PreloadAsync(ct);
        var snapshotLoadMs = swLoad.Elapsed.TotalMilliseconds;
        EndPhase("snapshot load");
        var snapshotMb = File.Exists(index.SnapshotPath) ? new FileInfo(index.SnapshotPath).Length / 1048576.0 : 0;
        var timed = await TimeSearchesAsync(db, index, embedder, queries, ct);
        var (embedTimes, searchTimes, legTimes, recall) = (timed.EmbedTimes, timed.SearchTimes, timed.LegTimes, timed.Recall);

        EndPhase("recall vs exact");
        // 5. ask, extractive, in this process
        var answers = sp.GetRequiredService<IAnswerService>();
        var askTimes = new List<double>();
        foreach (var q in queries.Take(s.AskQueries))
        {
            var sw = Stopwatch.StartNew();
            await answers.AnswerAsync(new AnswerRequest { Question = q }, ct);
            askTimes.Add(sw.Elapsed.TotalMilliseconds);
        }

        EndPhase("ask in process");
        // 6. ask from process start to answer
        var cold = s.ColdAsk ? await ColdAskAsync(queries[0], ct) : null;
        if (s.ColdAsk) EndPhase("cold ask");
        output.EndProgress();

        var stats = await index.GetStatsAsync(ct);
        return new BenchReport
        {
            Chunks = stats.Chunks,
            Articles = stats.Articles,
            SearchMs = Pct(searchTimes),
            QueryEmbeddingMs = Pct(embedTimes),
            DenseSearchMs = Pct(legTimes[RetrievalMode.Dense]),
            LexicalSearchMs = Pct(legTimes[RetrievalMode.Lexical]),
            AskMs = Pct(askTimes),
            AskColdMs = cold?.Ms,
            IndexLoadMs = Math.Round(loadMs, 1),
            SnapshotLoadMs = Math.Round(snapshotLoadMs, 1),
            SnapshotWriteMs = Math.Round(snapshotWriteMs, 1),
            SnapshotMb = Math.Round(snapshotMb, 1),
            AskColdPeakRssMb = cold?.PeakRssMb,
            DenseRecallAt10VsExact = recall,
            SearchCpuMsPerQuery = timed.CpuMsPerQuery,
            HybridPhases = timed.Phases,
            SearchIo = timed.Io,
            LoadAverage = timed.LoadAverage,
            Ingest = new IngestFigures
            {
                ChunksPerSWithEmbedding = Math.Round(chunksA / timeA, 1),
                ArticlesPerSWithEmbedding = Math.Round(articlesA / timeA, 1),
                TokensPerSWithEmbedding = chunksA == 0 ? 0 : Math.Round((tokensA - tokensBefore) / timeA, 0),
                AverageChunkTokens = countA == 0 ? 0 : Math.Round(tokensA / (double)countA, 1),
                CpuMsPerChunkWithEmbedding = chunksA == 0 ? 0 : Math.Round(cpuA.TotalMilliseconds / chunksA, 2),
                ChunksPerSWithoutEmbedding = timeB > 0 ? Math.Round(chunksB / timeB, 0) : 0,
                ArticlesPerSWithoutEmbedding = timeB > 0 ? Math.Round(articlesB / timeB, 0) : 0,
                JitMsWithEmbedding = Math.Round(jitA.TotalMilliseconds, 0),
                SteadyWithEmbedding = steady,
            },
            PeakRssMb = Math.Round(_memory.PeakBytes / 1048576.0, 0),
            PeakRssAfterIngestMb = Math.Round(peakAfterIngest / 1048576.0, 0),
            MemoryPhases = _memory.Phases.ToList(),
            DiskMb = Math.Round(db.DiskBytes() / 1048576.0, 1),
            Corpus = corpus.FromCorpus ? Path.GetFullPath(s.Corpus!) : "synthetic",
            EmbeddingModel = embedder.Profile.Model,
        };
    }

    static async IAsyncEnumerable<SourceItem> Items(IEnumerable<ExtractedArticle> articles, [EnumeratorCancellation] CancellationToken ct, Func<bool>? stop = null)
    {
        foreach (var a in articles)
        {
            ct.ThrowIfCancellationRequested();
            if (stop?.Invoke() == true) yield break;
            yield return new ExtractedItem(a.Url, a);
            await Task.CompletedTask;
        }
    }

    static List<string> Queries(BenchCorpus corpus, int count)
    {
        var list = new List<string>();
        var rng = new Random(3);
        var titles = corpus.Titles.Count > 0 ? corpus.Titles : ["What happened in the election?"];
        string[] forms = ["What happened with {0}?", "{0}", "Tell me about {0}", "Latest on {0}"];
        for (int i = 0; i < count; i++)
            list.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, forms[i % forms.Length], titles[rng.Next(titles.Count)].ToLowerInvariant()));
        return list;
    }

    async Task<(double Ms, double? PeakRssMb)?> ColdAskAsync(string question, CancellationToken ct)
    {
        var times = new List<double>();
        long peak = 0;
        for (int i = 0; i < 3; i++)
        {
            var psi = CommandFor(["ask", question, "--data", dataDirectory, "--json"]);
            if (psi is null) return null;
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync(ct);
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            // VmHWM only grows: the last reading before the process ends is its peak (to within the polling interval)
            while (!p.HasExited)
            {
                if (PeakRssOf(p.Id) is { } rss) peak = Math.Max(peak, rss);
                await Task.WhenAny(p.WaitForExitAsync(ct), Task.Delay(10, ct));
            }
            await Task.WhenAll(stderr, stdout);
            await p.WaitForExitAsync(ct);
            if (p.ExitCode != 0) return null;
            times.Add(sw.Elapsed.TotalMilliseconds);
            output.Progress($"cold ask {i + 1}/3: {sw.Elapsed.TotalMilliseconds:0} ms");
        }
        times.Sort();
        return (Math.Round(times[1], 0), peak > 0 ? Math.Round(peak / 1048576.0, 0) : null);
    }

    /// <summary>A process's peak resident set size so far (VmHWM in /proc, Linux), or null.</summary>
    static long? PeakRssOf(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is not null && long.TryParse(line.Split(':', 2)[1].Trim().Split(' ')[0], out var kb) ? kb * 1024 : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    ProcessStartInfo? CommandFor(string[] args)
    {
        var host = Environment.ProcessPath;
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        if (host is null || entry is null) return null;
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            psi.FileName = host;
            psi.ArgumentList.Add(entry);
        }
        else psi.FileName = host;
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["Ingestion__SampleDirectory"] = "";
        if (modelCache is not null) psi.Environment["Embeddings__CacheDirectory"] = modelCache;
        return psi;
    }

    static async Task<double> DenseRecallAsync(SqliteDatabase db, SqliteArticleIndex index, List<float[]> queries, CancellationToken ct)
    {
        // exact top-10 by brute force over the stored float vectors
        var exact = queries.Select(_ => new List<(float Score, string Key)>()).ToList();
        await using (var conn = await db.OpenAsync(ct))
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT article_id, position, dense FROM chunks";
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var v = MemoryMarshal.Cast<byte, float>((byte[])r[2]);
                var key = r.GetString(0) + "#" + r.GetInt32(1);
                for (int q = 0; q < queries.Count; q++)
                {
                    var s = System.Numerics.Tensors.TensorPrimitives.Dot(v, queries[q]);
                    var list = exact[q];
                    if (list.Count < 10 || s > list[^1].Score)
                    {
                        list.Add((s, key));
                        list.Sort((a, b) => b.Score.CompareTo(a.Score));
                        if (list.Count > 10) list.RemoveAt(10);
                    }
                }
            }
        }
        double found = 0, total = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var hits = await index.SearchAsync(new HybridQuery { Dense = queries[q], Sparse = SparseVector.Empty, Top = 10, CandidatesPerLeg = 10, Mode = RetrievalMode.Dense }, ct);
            var got = hits.Select(h => h.Article.Id + "#" + h.Position).ToHashSet();
            found += exact[q].Count(e => got.Contains(e.Key));
            total += exact[q].Count;
        }
        return total == 0 ? 0 : Math.Round(found / total, 4);
    }

    static async Task<List<float[]>> LoadVectorsAsync(SqliteDatabase db, int max, CancellationToken ct)
    {
        var list = new List<float[]>();
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT dense FROM chunks LIMIT {max}";
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(MemoryMarshal.Cast<byte, float>((byte[])r[0]).ToArray());
        if (list.Count == 0) throw new InvalidOperationException("bench: no vectors were produced by the embedding sample.");
        return list;
    }

    static async Task<long> ScalarAsync(SqliteDatabase db, string sql, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task CheckpointAsync(SqliteDatabase db, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await cmd.ExecuteNonQueryAsync(ct);
    }

    static Percentiles Pct(List<double> values) => Percentile(values);

    /// <summary>p50 / p95 / p99 of the values (sorted in place), rounded to <paramref name="digits"/> decimals.</summary>
    internal static Percentiles Percentile(List<double> values, int digits = 2)
    {
        if (values.Count == 0) return new(0, 0, 0);
        values.Sort();
        double At(double p) => Math.Round(values[Math.Min(values.Count - 1, Math.Max(0, (int)Math.Ceiling(p * values.Count) - 1))], digits);
        return new(At(0.5), At(0.95), At(0.99));
    }

    /// <summary>Peak resident set size of this process (VmHWM), or the current working set where /proc is absent.</summary>
    public static long PeakRssBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(':', 2)[1].Trim().Split(' ')[0], out var kb)) return kb * 1024;
        }
        catch (IOException) { }
        return Environment.WorkingSet;
    }

    sealed class NoSource : IArticleSource
    {
        public async IAsyncEnumerable<SourceItem> ReadAsync(string input, [EnumeratorCancellation] CancellationToken ct = default)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
