using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Telegram;
using NewsBot.Telegram.Conversation;

namespace NewsBot.UnitTests.Telegram;

public sealed class UserRateLimiterTests
{
    static UserRateLimiter Limiter(TimeProvider time, int burst = 2, int perMinute = 6) =>
        new(Options.Create(new TelegramOptions { RateLimit = new TelegramRateLimitOptions { Burst = burst, PerUserPerMinute = perMinute } }), time);

    [Fact]
    public void A_sender_gets_the_burst_then_one_notice_with_when_to_retry_then_silence()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 12, 12, 0, 0, TimeSpan.Zero));
        using var limiter = Limiter(time);
        Assert.True(limiter.Check(42).Allowed);
        Assert.True(limiter.Check(42).Allowed);

        var refused = limiter.Check(42);
        Assert.False(refused.Allowed);
        Assert.True(refused.Notify);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.RetryAfter); // 6 per minute: one token every 10 s

        var again = limiter.Check(42);
        Assert.False(again.Allowed);
        Assert.False(again.Notify);

        // Another sender (e.g. another group's anonymous admin, limited per sender chat) has a bucket of its own.
        Assert.True(limiter.Check(-1001111111111).Allowed);

        // The notice is repeated at most once a minute.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(limiter.Check(42).Notify);
        Assert.False(limiter.Check(42).Notify);
    }
}
