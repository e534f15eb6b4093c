using Microsoft.Extensions.Logging;
using NewsBot.Core.Ports;

namespace NewsBot.Core.Retention;

/// <summary>
/// Prunes articles past the retention window: each gets a tombstone, then leaves the index through the index's own
/// removal (<see cref="IArticleIndex.DeleteAsync"/>, the one article updates use, so the embedded index and Qdrant
/// behave alike) and the registry; then the freed pages go back to the file system. Safe to interrupt and run again:
/// an article whose tombstone is written but which is still registered is simply pruned again.
/// </summary>
public sealed class RetentionService(IRetentionStore retention, IArticleStore store, IArticleIndex index, RetentionPolicy policy, TimeProvider time,
    ILogger<RetentionService> logger)
{
    /// <summary>Articles listed and removed per round (bounded memory; bodies are read with them).</summary>
    const int BatchSize = 200;

    public RetentionPolicy Policy => policy;

    public async Task<PruneReport> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        var started = time.GetTimestamp();
        var bytesBefore = retention.DiskBytes();
        int articles = 0;
        long chunks = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var batch = await retention.ListOlderThanAsync(cutoff, BatchSize, ct).ConfigureAwait(false);
            if (batch.Count == 0) break;
            // an article listed twice was not removed: stop rather than loop (the job retries later)
            if (batch.Any(a => !seen.Add(a.Id)))
                throw new InvalidOperationException($"Pruning could not remove article {batch.First(a => seen.Contains(a.Id)).Id}; it is still registered.");
            await retention.WriteTombstonesAsync(batch, policy.KeepArticleText, time.GetUtcNow(), ct).ConfigureAwait(false);
            foreach (var a in batch)
            {
                await index.DeleteAsync(a.Id, ct).ConfigureAwait(false);
                // the embedded index removes the registry row with the chunks; with Qdrant the registry is separate
                if (!index.RecordsArticles) await store.DeleteArticleAsync(a.Id, ct).ConfigureAwait(false);
                articles++;
                chunks += a.ChunkCount;
            }
        }
        var compact = await retention.CompactAsync(ct).ConfigureAwait(false);
        var report = new PruneReport(cutoff, articles, chunks, bytesBefore, retention.DiskBytes(), compact.SwitchedToIncremental,
            (long)compact.Took.TotalMilliseconds, (long)time.GetElapsedTime(started).TotalMilliseconds, policy.KeepArticleText);
        logger.LogInformation("Pruned {Articles} articles ({Chunks} chunks) dated before {Cutoff:u}: database {Before} -> {After} bytes",
            articles, chunks, cutoff, bytesBefore, report.BytesAfter);
        return report;
    }
}

/// <summary>The outcome of a prune (the JSON of <c>prune --json</c>).</summary>
public sealed record PruneReport(DateTimeOffset Cutoff, int Articles, long Chunks, long BytesBefore, long BytesAfter, bool SwitchedToIncrementalVacuum,
    long VacuumMs, long TookMs, bool KeptText);
