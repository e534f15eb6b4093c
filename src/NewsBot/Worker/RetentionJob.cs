using Microsoft.Extensions.Logging;
using NewsBot.Indexing;

namespace NewsBot.Worker;

/// <summary>
/// Prunes articles older than <c>Storage:RetainDays</c> once a day (registered only when it is set). The first run comes
/// a few minutes after start, after the first feed poll has had its turn at the database; a failed run is retried by the
/// scheduled-jobs pipeline and otherwise waits for the next day (a prune resumes where an interrupted one stopped).
/// </summary>
public sealed class RetentionJob(IndexPruner pruner, TimeProvider time, ILogger<RetentionJob> logger) : IScheduledJob
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    public static readonly TimeSpan FirstRunDelay = TimeSpan.FromMinutes(5);

    public string Name => "retention";

    public DateTimeOffset NextRun(DateTimeOffset? lastRun, DateTimeOffset now) => lastRun is null ? now + FirstRunDelay : lastRun.Value + Interval;

    public async Task RunAsync(CancellationToken ct)
    {
        if (pruner.Policy.Cutoff(time.GetUtcNow()) is not { } cutoff) return;
        var report = await pruner.PruneAsync(cutoff, ct).ConfigureAwait(false);
        if (report.Articles > 0)
            logger.LogInformation("Retention ({Days} days): pruned {Articles} articles, database {Before} -> {After} bytes",
                pruner.Policy.RetainDays, report.Articles, report.BytesBefore, report.BytesAfter);
    }
}
