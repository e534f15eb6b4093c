using NewsBot.Core.Digests;
using NewsBot.Core.Follows;

namespace NewsBot.Worker;

/// <summary>Sends the daily digests that are due (checked every <c>Digest:CheckInterval</c>).</summary>
public sealed class DailyDigestJob(DigestScheduler scheduler, DigestOptions options) : IScheduledJob
{
    public string Name => "daily-digests";

    public DateTimeOffset NextRun(DateTimeOffset? lastRun, DateTimeOffset now) => lastRun is null ? now : lastRun.Value + options.CheckInterval;

    public Task RunAsync(CancellationToken ct) => scheduler.RunDueAsync(ct);
}

/// <summary>
/// Sends follow updates: every <c>Follows:CheckInterval</c>, and right after a feed poll that brought new
/// articles (<see cref="IngestionSignal"/>), so the first update of a story goes out with the poll.
/// </summary>
public sealed class FollowUpdatesJob(FollowService follows, FollowOptions options, IngestionSignal signal) : IScheduledJob
{
    public string Name => "follow-updates";

    public DateTimeOffset NextRun(DateTimeOffset? lastRun, DateTimeOffset now) => lastRun is null ? now : lastRun.Value + options.CheckInterval;

    public Task RunAsync(CancellationToken ct) => follows.RunAsync(ct);

    /// <summary>Wakes the job early when new articles arrive.</summary>
    public CancellationToken WakeUp => signal.Next;
}

/// <summary>Raised by the feed poller when articles were added or updated; wakes the follow updates.</summary>
public sealed class IngestionSignal
{
    CancellationTokenSource _next = new();

    /// <summary>Cancelled at the next signal.</summary>
    public CancellationToken Next => Volatile.Read(ref _next).Token;

    public void Raise()
    {
        var old = Interlocked.Exchange(ref _next, new CancellationTokenSource());
        old.Cancel(); // not disposed: a reader may still be reading its token (it has no timer to release)
    }
}
