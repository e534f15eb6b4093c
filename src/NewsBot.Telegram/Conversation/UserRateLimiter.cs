using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NewsBot.Telegram.Conversation;

/// <summary>The outcome of a rate-limit check.</summary>
/// <param name="Allowed">Whether the message may be handled.</param>
/// <param name="RetryAfter">When refused: how long until the next message is allowed.</param>
/// <param name="Notify">When refused: whether to tell the user (once per window; later refusals stay silent).</param>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter, bool Notify);

/// <summary>
/// Per-user token bucket: <c>Burst</c> tokens, refilled at <c>PerUserPerMinute</c> per minute — a
/// System.Threading.RateLimiting <see cref="TokenBucketRateLimiter"/> per sender (one token every 60/PerUserPerMinute
/// seconds), in a <see cref="PartitionedRateLimiter"/> that drops buckets idle and full for 10 s. The buckets keep
/// real time (the library has no <see cref="TimeProvider"/> hook); the "slow down" message is sent at most once per
/// minute per user by <see cref="TimeProvider"/>.
/// </summary>
public sealed class UserRateLimiter : IDisposable
{
    private const int MaxTrackedNotices = 10_000;
    private static readonly TimeSpan NotifyWindow = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<long> _buckets;
    private readonly ConcurrentDictionary<long, DateTimeOffset> _lastNotified = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _period;

    public UserRateLimiter(IOptions<TelegramOptions> options, TimeProvider time)
    {
        var limits = options.Value.RateLimit;
        _time = time;
        _period = TimeSpan.FromMinutes(1) / limits.PerUserPerMinute;
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = _period,
            // One token per period on the bucket's own timer. Not AutoReplenishment = false: manual replenishing credits
            // a bucket for the time it sat full (it keeps the tick of its last refill), so after a pause a user could
            // send two bursts back to back.
            AutoReplenishment = true,
            QueueLimit = 0,
        };
        _buckets = PartitionedRateLimiter.Create<long, long>(id => RateLimitPartition.GetTokenBucketLimiter(id, _ => bucket));
    }

    /// <param name="senderId">The user, or for anonymous admins and channels the chat they write on behalf of.</param>
    public RateDecision Check(long senderId)
    {
        using var lease = _buckets.AttemptAcquire(senderId);
        if (lease.IsAcquired)
            return new RateDecision(true, TimeSpan.Zero, false);

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : _period;
        var now = _time.GetUtcNow();
        if (_lastNotified.Count > MaxTrackedNotices)
        {
            foreach (var (id, at) in _lastNotified)
                if (now - at >= NotifyWindow)
                    _lastNotified.TryRemove(id, out _);
        }
        var notify = false;
        _lastNotified.AddOrUpdate(senderId, _ => { notify = true; return now; }, (_, last) =>
        {
            notify = now - last >= NotifyWindow;
            return notify ? now : last;
        });
        return new RateDecision(false, retryAfter, notify);
    }

    public void Dispose() => _buckets.Dispose();
}
