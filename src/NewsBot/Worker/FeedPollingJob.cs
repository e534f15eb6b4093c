using Microsoft.Extensions.Logging;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;

namespace NewsBot.Worker;

/// <summary>
/// Polls every registered feed each <c>Ingestion:PollInterval</c> and ingests new items. Feeds listed in
/// <c>Ingestion:Feeds</c> are registered at the first run. One failing feed never stops the others.
/// </summary>
public sealed class FeedPollingJob(IFeedStore feeds, IFeedPoller poller, IngestionPipeline pipeline, IngestionOptions options, TimeProvider time, ILogger<FeedPollingJob> logger, IngestionSignal? signal = null) : IScheduledJob
{
    bool _registered;
    bool _polled;

    public string Name => "feed-polling";

    public DateTimeOffset NextRun(DateTimeOffset? lastRun, DateTimeOffset now) => lastRun is null ? now : lastRun.Value + options.PollInterval;

    public async Task RunAsync(CancellationToken ct)
    {
        if (!_registered)
        {
            foreach (var url in options.Feeds.Where(u => UrlCanonicalizer.IsHttpUrl(u, out _)))
            {
                if (await feeds.AddFeedAsync(new FeedRecord { Url = url.Trim(), AddedAt = time.GetUtcNow(), AddedBy = "config", Trusted = true }, ct).ConfigureAwait(false))
                    logger.LogInformation("Registered feed {Url} from configuration", url);
            }
            _registered = true;
        }
        var list = await feeds.ListFeedsAsync(ct).ConfigureAwait(false);
        if (list.Count == 0)
        {
            logger.LogDebug("No feeds registered");
            return;
        }
        int added = 0, failed = 0;
        foreach (var feed in list)
        {
            try
            {
                await foreach (var r in pipeline.IngestItemsAsync(poller.PollAsync(feed, ct), ct).ConfigureAwait(false))
                {
                    if (r.Status is IngestStatus.Added or IngestStatus.Updated) added++;
                    else if (r.Status == IngestStatus.Failed) failed++;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                failed++;
                logger.LogError(ex, "Polling feed {Url} failed", feed.Url);
            }
        }
        if (added > 0) signal?.Raise(); // follow updates go out right after the poll that brought the news
        logger.LogInformation("Polled {Feeds} feeds: {Added} new or updated articles, {Failed} failures", list.Count, added, failed);
        // the first poll also readied the index and caught the stories up (a store from a release before stories, or
        // articles a crash left without one): what that left goes back too, whether or not the poll added anything
        if (added > 0 || !_polled) ReleaseIngestionMemory();
        _polled = true;
    }

    /// <summary>
    /// What a poll's ingestion left behind (page text, tokens, the rows and vectors it wrote, the index's grown arrays)
    /// is garbage the runtime keeps committed: it sizes its heap against the machine's memory (24 GB here), not against
    /// the worker's 1.5 GB target, so between two snapshot rewrites (the only other compacting collections) a worker
    /// at 1M chunks grew by 10-20 MB a minute of ingest and stayed there (BENCHMARKS.md, "The worker at 1M"). One
    /// compacting, decommitting collection after a poll that added something gives it back, and the C heap's free
    /// pages (the threads' arenas the model and SQLite allocate in) go too; at most once per poll interval.
    /// </summary>
    static void ReleaseIngestionMemory() => NewsBot.Sqlite.CHeap.CollectAndTrim();
}
