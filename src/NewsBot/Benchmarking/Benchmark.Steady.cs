using System.Diagnostics;
using System.Runtime;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Sqlite;

namespace NewsBot.Benchmarking;

/// <summary>
/// Ingest with embedding after a warm-up of other articles, as a worker that has run for a while meets it: the
/// same pipeline and process as <see cref="IngestFigures"/>'s first figures, later articles of the same corpus.
/// </summary>
/// <param name="WarmupArticles">Articles ingested (embedded, not counted) between the first measurement and this one.</param>
/// <param name="CpuMsPerChunk">Process CPU time (user + system, all threads) per chunk, as <see cref="IngestFigures.CpuMsPerChunkWithEmbedding"/>.</param>
/// <param name="CpuMsPerThousandTokens">The same per 1,000 tokens: later articles of a corpus may chunk to other lengths than the first ones.</param>
/// <param name="JitMs">JIT time in the measured window (all threads, as <see cref="IngestFigures.JitMsWithEmbedding"/>): near zero once the process is warm.</param>
public sealed record SteadyIngestFigures(
    int WarmupArticles, int Articles, int Chunks, double AverageChunkTokens, double ChunksPerS, double CpuMsPerChunk, double CpuMsPerThousandTokens, double JitMs);

public sealed partial class Benchmark
{
    /// <summary>
    /// Ingests <paramref name="articles"/> with embedding: the first half warms the process up (the JIT's tiers settle
    /// on the ingest path), the second half is measured as <see cref="IngestFigures"/>'s first figures are.
    /// </summary>
    async Task<SteadyIngestFigures> SteadyIngestAsync(SqliteDatabase db, IngestionPipeline pipeline, List<ExtractedArticle> articles, CancellationToken ct)
    {
        int warmup = articles.Count / 2;
        int done = 0;
        await foreach (var _ in pipeline.IngestItemsAsync(Items(articles.Take(warmup), ct), ct))
            output.Progress($"ingest with embedding, warm-up: {++done}/{warmup} articles");
        var tokensBefore = await ScalarAsync(db, "SELECT COALESCE(SUM(token_count), 0) FROM chunks", ct);
        var jit = JitInfo.GetCompilationTime();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        int chunks = 0, added = 0;
        await foreach (var r in pipeline.IngestItemsAsync(Items(articles.Skip(warmup), ct), ct))
        {
            if (r.Status is IngestStatus.Added or IngestStatus.Updated) { chunks += r.Chunks; added++; }
            output.Progress($"ingest with embedding, steady: {added}/{articles.Count - warmup} articles, {chunks} chunks, {chunks / Math.Max(0.001, sw.Elapsed.TotalSeconds):0.0} chunks/s");
        }
        var seconds = sw.Elapsed.TotalSeconds;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        jit = JitInfo.GetCompilationTime() - jit;
        var tokens = await ScalarAsync(db, "SELECT COALESCE(SUM(token_count), 0) FROM chunks", ct) - tokensBefore;
        return new SteadyIngestFigures(
            WarmupArticles: warmup,
            Articles: added,
            Chunks: chunks,
            AverageChunkTokens: chunks == 0 ? 0 : Math.Round(tokens / (double)chunks, 1),
            ChunksPerS: seconds > 0 ? Math.Round(chunks / seconds, 1) : 0,
            CpuMsPerChunk: chunks == 0 ? 0 : Math.Round(cpu.TotalMilliseconds / chunks, 2),
            CpuMsPerThousandTokens: tokens == 0 ? 0 : Math.Round(cpu.TotalMilliseconds * 1000 / tokens, 2),
            JitMs: Math.Round(jit.TotalMilliseconds, 0));
    }
}
