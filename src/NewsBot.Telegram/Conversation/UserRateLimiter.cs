using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace NewsBot.Telegram.Conversation;

/// <summary>The outcome of a rate-limit check.</summary>
/// <param name="Allowed">Whether the message may be handled.</param>
/// <param name="RetryAfter">When refused: how long until the next message is allowed.</param>
/// <param name="Notify">When refused: whether to tell the user (once per window; later refusals stay silent).</param>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter, bool Notify);

/// <summary>
/// Per-user token bucket: <c>Burst</c> tokens, refilled at <c>PerUserPerMinute</c> per minute.
/// The "slow down" message is sent at most once per minute per user. Uses <see cref="TimeProvider"/>
/// so tests can drive time. Bounded: idle users' buckets are dropped when the table grows.
/// </summary>
public sealed class UserRateLimiter(IOptions<TelegramOptions> options, TimeProvider time)
{
    private const int MaxTrackedUsers = 10_000;
    private static readonly TimeSpan NotifyWindow = TimeSpan.FromMinutes(1);

    private sealed class Bucket
    {
        public double Tokens;
        public DateTimeOffset Updated;
        public DateTimeOffset? LastNotified;
    }

    private readonly ConcurrentDictionary<long, Bucket> _buckets = new();

    public RateDecision Check(long userId)
    {
        var limits = options.Value.RateLimit;
        var capacity = (double)limits.Burst;
        var perSecond = limits.PerUserPerMinute / 60.0;
        var now = time.GetUtcNow();

        if (_buckets.Count > MaxTrackedUsers)
            Prune(now, capacity, perSecond);

        var bucket = _buckets.GetOrAdd(userId, _ => new Bucket { Tokens = capacity, Updated = now });
        lock (bucket)
        {
            var elapsed = Math.Max(0, (now - bucket.Updated).TotalSeconds);
            bucket.Tokens = Math.Min(capacity, bucket.Tokens + elapsed * perSecond);
            bucket.Updated = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return new RateDecision(true, TimeSpan.Zero, false);
            }

            var retryAfter = TimeSpan.FromSeconds(Math.Ceiling((1 - bucket.Tokens) / perSecond));
            var notify = bucket.LastNotified is not { } last || now - last >= NotifyWindow;
            if (notify)
                bucket.LastNotified = now;
            return new RateDecision(false, retryAfter, notify);
        }
    }

    private void Prune(DateTimeOffset now, double capacity, double perSecond)
    {
        var full = TimeSpan.FromSeconds(capacity / perSecond) + NotifyWindow;
        foreach (var (user, bucket) in _buckets)
            if (now - bucket.Updated > full)
                _buckets.TryRemove(user, out _);
    }
}
