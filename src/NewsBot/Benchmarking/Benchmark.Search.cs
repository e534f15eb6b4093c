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
            LoadAverage = t.LoadAverage,
            SnapshotLoadMs = Math.Round(loadMs, 1),
            PeakRssMb = Math.Round(PeakRssBytes() / 1048576.0, 0),
            DiskMb = Math.Round(db.DiskBytes() / 1048576.0, 1),
            Corpus = corpus.FromCorpus ? Path.GetFullPath(s.Corpus!) : "synthetic",
            EmbeddingModel = embedder.Profile.Model,
        };
    }

    sealed record TimedSearches(List<double> EmbedTimes, List<double> SearchTimes, Dictionary<RetrievalMode, List<double>> LegTimes, double Recall, double CpuMsPerQuery, double[] LoadAverage);

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
        for (int round = 0; round < 2; round++) // first round warms the JIT and caches
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < queries.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                await index.SearchAsync(new HybridQuery { Dense = vectors[i], Sparse = sparse[i], Top = 10 }, ct);
                if (round == 1) searchTimes.Add(sw.Elapsed.TotalMilliseconds);
            }
            cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / Math.Max(1, queries.Count);
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
        return new TimedSearches(embedTimes, searchTimes, legTimes, recall, Math.Round(cpuMs, 2), [loadFrom, loadTo]);
    }

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
