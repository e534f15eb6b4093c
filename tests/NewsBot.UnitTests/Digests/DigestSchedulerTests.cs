using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Digests;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Digests;

public class DigestSchedulerTests : IDisposable
{
    readonly StoryWorld _world = new();
    readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    readonly RecordingNotifier _notifier = new();
    readonly SqliteDigestStore _store;
    readonly DigestOptions _options = new();

    public DigestSchedulerTests() => _store = new SqliteDigestStore(_world.Database);

    public void Dispose() => _world.Dispose();

    /// <summary>A fresh scheduler over the same database: what a restarted worker builds.</summary>
    DigestScheduler Scheduler() => new(_store, new DigestComposer(_world, _world.Articles), _notifier, _options, _clock, TestLog.For<DigestScheduler>());

    async Task SubscribeAsync(long chat, string time, string zone)
        => await _store.SetAsync(new DigestSubscription { ChatId = chat, Time = time, TimeZone = zone, SubscribedAt = _clock.GetUtcNow() });

    async Task NewsAsync(string id) => await _world.AddAsync("s-" + id, id, "Valley Wire", _clock.GetUtcNow().AddHours(-1), "Tram line news " + id,
        "The new tram line between the station and the university carried its first passengers this week.");

    [Fact]
    public async Task A_chat_gets_exactly_one_digest_at_its_local_time_even_across_restarts()
    {
        await SubscribeAsync(42, "08:00", "Europe/Kyiv"); // 06:00 UTC in December
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero));
        await NewsAsync("a1");

        Assert.Equal(0, await Scheduler().RunDueAsync());
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, await Scheduler().RunDueAsync());
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await Scheduler().RunDueAsync());
        for (int i = 0; i < 5; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(10));
            Assert.Equal(0, await Scheduler().RunDueAsync()); // each a "restarted" worker
        }
        var sent = Assert.Single(_notifier.Sent);
        Assert.Equal(42, sent.Chat);
        Assert.True(Assert.IsType<DigestNotification>(sent.Notification).Scheduled);
        Assert.Equal([(new DateOnly(2026, 12, 7), "digest")], await _store.SendsAsync(42));
    }

    [Fact]
    public async Task A_worker_killed_between_sending_and_recording_never_sends_that_day_again()
    {
        await SubscribeAsync(7, "09:00", "UTC");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        await NewsAsync("a1");
        _notifier.HangAfterSending = true;
        using (var kill = new CancellationTokenSource())
        {
            var run = Scheduler().RunDueAsync(kill.Token);
            while (_notifier.Sent.Count == 0) await Task.Delay(5);
            kill.Cancel(); // the process dies after Telegram got the message, before the outcome is written
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }
        _notifier.HangAfterSending = false;
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await Scheduler().RunDueAsync());
        Assert.Single(_notifier.Sent);
    }

    [Fact]
    public async Task A_day_another_worker_claims_while_this_one_composes_and_waits_to_send_is_not_sent_nor_given_back()
    {
        await SubscribeAsync(7, "09:00", "UTC");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        await NewsAsync("a1");
        var day = new DateOnly(2026, 12, 7);
        _notifier.BeforeCommit = async () => Assert.True(await _store.TryClaimAsync(7, day, _clock.GetUtcNow())); // the other worker

        Assert.Equal(0, await Scheduler().RunDueAsync());

        Assert.Empty(_notifier.Sent);
        Assert.Equal([(day, (string?)null)], await _store.SendsAsync(7)); // still the other worker's claim
    }

    [Fact]
    public async Task A_send_that_fails_is_tried_again_and_then_sent_once()
    {
        await SubscribeAsync(7, "09:00", "UTC");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        await NewsAsync("a1");
        _notifier.FailWith = new HttpRequestException("Telegram is down");
        Assert.Equal(0, await Scheduler().RunDueAsync());
        _notifier.FailWith = null;
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await Scheduler().RunDueAsync());
        Assert.Equal(0, await Scheduler().RunDueAsync());
        Assert.Single(_notifier.Sent);
    }

    [Fact]
    public async Task A_worker_down_at_the_time_catches_up_once_within_the_grace_period_and_not_after()
    {
        await SubscribeAsync(1, "08:00", "UTC");
        await SubscribeAsync(2, "06:00", "UTC");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero)); // started at 10:00; grace 3 h
        await NewsAsync("a1");

        Assert.Equal(1, await Scheduler().RunDueAsync());
        Assert.Equal([1L], _notifier.Sent.Select(s => s.Chat)); // 08:00 is 2 h late: caught up; 06:00 is 4 h late: skipped
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 8, 6, 0, 0, TimeSpan.Zero));
        await NewsAsync("a2");
        Assert.Equal(1, await Scheduler().RunDueAsync());
        Assert.Equal([1L, 2L], _notifier.Sent.Select(s => s.Chat));
    }

    [Fact]
    public async Task A_quiet_day_sends_a_short_message_or_nothing_as_configured()
    {
        await SubscribeAsync(1, "08:00", "UTC");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await Scheduler().RunDueAsync());
        Assert.IsType<QuietDayNotification>(Assert.Single(_notifier.Sent).Notification);

        _options.QuietDayMessage = false;
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await Scheduler().RunDueAsync());
        Assert.Single(_notifier.Sent);
        Assert.Equal("empty", (await _store.SendsAsync(1))[^1].Outcome); // still recorded: not tried again that day
    }

    [Fact]
    public async Task A_chat_that_blocked_the_bot_loses_its_subscription()
    {
        await SubscribeAsync(1, "08:00", "UTC");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));
        _notifier.FailWith = new ChatUnreachableException("Forbidden: bot was blocked by the user");
        await Scheduler().RunDueAsync();
        Assert.Null(await _store.GetAsync(1));
    }
}
