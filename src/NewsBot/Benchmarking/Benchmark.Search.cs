using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Model;
using NewsBot.Core.Text;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.Benchmarking;

public sealed partial class Benchmark
{
    /// <summary>
    /// <c>bench --search-only</c>: the searches of a full run on the index the data folder already holds (built by an
    /// earlier <c>bench --keep-index</c>), loaded as a serving process loads it, from its snapshot; nothing is ingested or
    /// written, so the 1M-chunk index can be measured again in a minute, before and after a change to the search.
    /// </summary>
    async Task<BenchReport> SearchOnlyAsync(BenchSettings s, CancellationToken ct)
    {
        var corpus = BenchCorpus.Load(s.Corpus);
        var embedder = sp.GetRequiredService<Embedder>();
        var db = sp.GetRequiredService<SqliteDatabase>();
        var index = sp.GetRequiredService<SqliteArticleIndex>();
        index.SnapshotAfterChanges = -1;
        output.Progress("loading the index…");
        await embedder.EmbedQueryAsync("warm up", ct);
        var sw = Stopwatch.StartNew();
        await index.PreloadAsync(ct);
        var loadMs = sw.Elapsed.TotalMilliseconds;
        var t = await TimeSearchesAsync(db, index, embedder, Queries(corpus, s.Queries), ct, recallQueries: 100);
        output.EndProgress();
        var stats = await index.GetStatsAsync(ct);
        return new BenchReport
        {
            Chunks = stats.Chunks,
            Articles = stats.Articles,
            SearchMs = Pct(t.SearchTimes),
            QueryEmbeddingMs = Pct(t.EmbedTimes),
            DenseSearchMs = Pct(t.LegTimes[RetrievalMode.Dense]),
            LexicalSearchMs = Pct(t.LegTimes[RetrievalMode.Lexical]),
            DenseRecallAt10VsExact = t.Recall,
            SearchCpuMsPerQuery = t.CpuMsPerQuery,
            HybridPhases = t.Phases,
            SearchIo = t.Io,
            LoadAverage = t.LoadAverage,
            SnapshotLoadMs = Math.Round(loadMs, 1),
            PeakRssMb = Math.Round(PeakRssBytes() / 1048576.0, 0),
            DiskMb = Math.Round(db.DiskBytes() / 1048576.0, 1),
            Corpus = corpus.FromCorpus ? Path.GetFullPath(s.Corpus!) : "synthetic",
            EmbeddingModel = embedder.Profile.Model,
        };
    }

    sealed record TimedSearches(List<double> EmbedTimes, List<double> SearchTimes, Dictionary<RetrievalMode, List<double>> LegTimes, double Recall, double CpuMsPerQuery, double[] LoadAverage, HybridPhaseFigures? Phases, SearchIoFigures Io);

    /// <summary>Query embedding, hybrid search (two rounds, the second timed), each leg alone, and recall@10 of the dense leg.</summary>
    async Task<TimedSearches> TimeSearchesAsync(SqliteDatabase db, SqliteArticleIndex index, Embedder embedder, List<string> queries, CancellationToken ct, int recallQueries = 30)
    {
        var embedTimes = new List<double>();
        var searchTimes = new List<double>();
        var vectors = new List<float[]>();
        var loadFrom = LoadAverage1();
        // steady state: the first queries of a process also pay for the JIT compiling the query path in the background
        foreach (var q in queries.Take(100)) await embedder.EmbedQueryAsync(q, ct);
        foreach (var q in queries)
        {
            var sw = Stopwatch.StartNew();
            var v = await embedder.EmbedQueryAsync(q, ct);
            embedTimes.Add(sw.Elapsed.TotalMilliseconds);
            vectors.Add(v);
        }
        EndPhase("query embedding");
        var sparse = queries.Select(q => LexicalEncoder.Default.EncodeQuery(q)).ToList();
        double cpuMs = 0;
        HybridPhaseFigures? phases = null;
        // what of the files the searches read was cached before they started, and what each round read from storage
        var io = new SearchIoFigures
        {
            DatabaseCachedMb = Mb(PageCache.CachedBytes(db.FilePath)),
            DatabaseMb = Mb(new FileInfo(db.FilePath).Length),
            SnapshotCachedMb = Mb(PageCache.CachedBytes(index.SnapshotPath)),
            SnapshotMb = File.Exists(index.SnapshotPath) ? Mb(new FileInfo(index.SnapshotPath).Length) : 0,
        };
        for (int round = 0; round < 2; round++) // first round warms the JIT and caches
        {
            // the timed round records where each search's time goes (a few clock reads a search)
            var recorder = new SearchPhaseRecorder(); // the first round's phases are the cold-cache figures (search_io)
            var roundTimes = new List<double>();
            index.Phases = recorder;
            var gc = GcCounts();
            long allocated = GC.GetTotalAllocatedBytes(precise: false);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var ioFrom = ProcessIo.Now();
            long rescoreReads = SqliteArticleIndex.RescoreReads;
            for (int i = 0; i < queries.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                await index.SearchAsync(new HybridQuery { Dense = vectors[i], Sparse = sparse[i], Top = 10 }, ct);
                (round == 1 ? searchTimes : roundTimes).Add(sw.Elapsed.TotalMilliseconds);
            }
            cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Math.Max(1, queries.Count);
            var roundIo = ProcessIo.Since(ioFrom, queries.Count);
            index.Phases = null;
            var roundPhases = HybridPhaseFigures.From(recorder.Searches, cpuMs, GcCounts().Zip(gc, (a, b) => a - b).ToArray(),
                (GC.GetTotalAllocatedBytes(precise: false) - allocated) / 1024.0 / Math.Max(1, queries.Count))
                with { RescoreReadsPerQuery = Math.Round((SqliteArticleIndex.RescoreReads - rescoreReads) / (double)Math.Max(1, queries.Count), 1) };
            if (round == 1) (phases, io) = (roundPhases, io with { TimedRound = roundIo });
            else io = io with { WarmUpRound = roundIo, WarmUpSearchMs = Percentile(roundTimes), WarmUpPhases = roundPhases };
            output.Progress($"search round {round + 1}/2");
            // steady state: the copies a mapped snapshot's scan builds in the background after its first search (the
            // 4-bit one waits a moment so that a cold `ask` does not compete with it) are there before the timed round
            if (round == 0) index.WaitForScanCopies();
        }
        EndPhase("hybrid search");

        // each leg alone (one round, the hybrid rounds warmed both)
        var legTimes = new[] { RetrievalMode.Dense, RetrievalMode.Lexical }.ToDictionary(m => m, _ => new List<double>());
        foreach (var (mode, times) in legTimes)
            for (int i = 0; i < queries.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                await index.SearchAsync(new HybridQuery { Dense = vectors[i], Sparse = sparse[i], Top = 10, Mode = mode }, ct);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
        var loadTo = LoadAverage1();
        EndPhase("legs alone");

        // recall@10 of the dense scan (binary codes or int8, then re-scoring) against exact float search
        var recall = await DenseRecallAsync(db, index, vectors.Take(recallQueries).ToList(), ct);
        return new TimedSearches(embedTimes, searchTimes, legTimes, recall, Math.Round(cpuMs, 2), [loadFrom, loadTo], phases, io);
    }

    static double Mb(long bytes) => bytes < 0 ? -1 : Math.Round(bytes / 1048576.0, 1);

    static int[] GcCounts() => [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

    static double LoadAverage1()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}

/// <summary>
/// Where the timed hybrid round's time went (BENCHMARKS.md §2.2.5): wall clock of each phase of a search, p50 / p95 / p99
/// over the round, and CPU per search. <c>dense_ms</c> is the dense leg's call, which from 32,768 chunks also runs the
/// lexical leg as one of its parallel items (so it waits for it); <c>legs_ms</c> both legs; <c>outside_legs_ms</c> the rest
/// of the search (sync, fusion, hydration, the lock): the hybrid's own cost. CPU: the lexical leg's and the calling
/// thread's in sync, fusion and hydration (per-thread clocks), and <c>dense_and_rest</c> the process CPU of the round
/// per search less those (the dense parts, the pool's waking and spinning, the collector, anything else in the process).
/// </summary>
public sealed record HybridPhaseFigures
{
    public Percentiles SyncMs { get; init; } = new(0, 0, 0);
    public Percentiles DenseMs { get; init; } = new(0, 0, 0);
    public Percentiles LexicalMs { get; init; } = new(0, 0, 0);
    public Percentiles LegsMs { get; init; } = new(0, 0, 0);
    public Percentiles FusionMs { get; init; } = new(0, 0, 0);
    public Percentiles HydrationMs { get; init; } = new(0, 0, 0);
    public Percentiles FusionAndHydrationMs { get; init; } = new(0, 0, 0);
    public Percentiles OutsideLegsMs { get; init; } = new(0, 0, 0);
    public PhaseCpu CpuMsPerQuery { get; init; } = new(0, 0, 0, 0, 0);
    /// <summary>Collections of generations 0, 1 and 2 during the timed round (none wanted).</summary>
    public int[] GcCollections { get; init; } = [];
    /// <summary>Bytes allocated in the whole process per search, in KB (all threads).</summary>
    public double AllocatedKbPerQuery { get; init; }
    /// <summary>Half-precision rows the dense leg's exact re-scoring read per search (one positional read each; 200 before §2.2.9's bound).</summary>
    public double RescoreReadsPerQuery { get; init; }

    public static HybridPhaseFigures From(IReadOnlyList<SearchPhases> searches, double cpuMsPerQuery, int[] gc, double allocatedKb)
    {
        Percentiles P(Func<SearchPhases, double> f) => Benchmark.Percentile(searches.Select(f).ToList(), 3);
        double Mean(Func<SearchPhases, double> f) => searches.Count == 0 ? 0 : Math.Round(searches.Average(f), 3);
        double sync = Mean(p => p.SyncCpuMs), lexical = Mean(p => p.LexicalCpuMs), fusion = Mean(p => p.FusionCpuMs), hydration = Mean(p => p.HydrationCpuMs);
        return new HybridPhaseFigures
        {
            SyncMs = P(p => p.SyncMs),
            DenseMs = P(p => p.DenseMs),
            LexicalMs = P(p => p.LexicalMs),
            LegsMs = P(p => p.LegsMs),
            FusionMs = P(p => p.FusionMs),
            HydrationMs = P(p => p.HydrationMs),
            FusionAndHydrationMs = P(p => p.TotalMs - p.LegsMs - p.SyncMs),
            OutsideLegsMs = P(p => p.TotalMs - p.LegsMs),
            CpuMsPerQuery = new PhaseCpu(Math.Round(cpuMsPerQuery - sync - lexical - fusion - hydration, 3), lexical, sync, fusion, hydration),
            GcCollections = gc,
            AllocatedKbPerQuery = Math.Round(allocatedKb, 1),
        };
    }
}

/// <summary>CPU time per hybrid search by phase, in ms (see <see cref="HybridPhaseFigures"/>).</summary>
public sealed record PhaseCpu(double DenseAndRest, double Lexical, double Sync, double Fusion, double Hydration);
