using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Telegram;
using NewsBot.Telegram.Conversation;

namespace NewsBot.UnitTests.Telegram;

/// <summary>
/// The sender's flood limiter on a fake clock: a message over a limit waits (exactly until the window allows it, with
/// the margin), none is dropped, and one chat's turns are granted in the order they were asked for.
/// </summary>
public sealed class TelegramSendLimiterTests
{
    readonly CountingClock _clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z"));

    /// <summary>The fake clock, counting the timers created on it (a waiter's Task.Delay), so a test can advance it only
    /// once a waiter that wakes up on the thread pool has started its wait: advanced before that, the waiter's timer would
    /// be set from the advanced time and never fire.</summary>
    sealed class CountingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        int _timers;
        public int TimersCreated => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period); // counted once it is set, so an advance after the count fires it
            Interlocked.Increment(ref _timers);
            return timer;
        }
    }

    TelegramSendLimiter Limiter(int perSecond = 30, int perChatPerSecond = 1, int burst = 3, int perGroupPerMinute = 20) =>
        new(Options.Create(new TelegramOptions
        {
            SendLimits = new TelegramSendLimitOptions
            {
                MessagesPerSecond = perSecond, PerChatPerSecond = perChatPerSecond, PerChatBurst = burst, PerGroupPerMinute = perGroupPerMinute,
            },
        }), _clock);

    static async Task<bool> StaysPending(Task task)
    {
        await Task.WhenAny(task, Task.Delay(100)); // real time for the continuations to run: nothing may complete it
        return !task.IsCompleted;
    }

    // a deadline, not a measurement: generous, as thread-pool continuations can wait seconds on a loaded machine
    static Task Done(Task task) => task.WaitAsync(TimeSpan.FromSeconds(30));

    static async Task WaitUntil(Func<bool> condition)
    {
        while (!condition()) await Task.Delay(10);
    }

    static TimeSpan Window(double seconds) => TimeSpan.FromSeconds(seconds * TelegramSendLimiter.WindowMargin);

    [Fact]
    public async Task The_thirty_first_message_in_a_second_across_chats_waits_for_the_window_and_is_not_dropped()
    {
        var limiter = Limiter(perSecond: 3);
        for (var chat = 1; chat <= 3; chat++)
            await Done(limiter.WaitToSendAsync(chat, CancellationToken.None));

        var fourth = limiter.WaitToSendAsync(4, CancellationToken.None);
        var fifth = limiter.WaitToSendAsync(5, CancellationToken.None);
        Assert.True(await StaysPending(fourth));
        _clock.Advance(Window(1) - TimeSpan.FromMilliseconds(10));
        Assert.True(await StaysPending(fourth));
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        await Done(fourth);
        await Done(fifth); // the window holds three: the first three all expired together
    }

    [Fact]
    public async Task One_chat_gets_its_burst_at_once_then_one_message_a_second()
    {
        var limiter = Limiter(burst: 2);
        await Done(limiter.WaitToSendAsync(42, CancellationToken.None));
        await Done(limiter.WaitToSendAsync(42, CancellationToken.None));
        var third = limiter.WaitToSendAsync(42, CancellationToken.None);
        var otherChat = limiter.WaitToSendAsync(43, CancellationToken.None);
        await Done(otherChat); // another chat is not held up by this one
        Assert.True(await StaysPending(third));
        _clock.Advance(Window(2) - TimeSpan.FromMilliseconds(1));
        Assert.True(await StaysPending(third));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await Done(third);
    }

    [Fact]
    public async Task A_group_gets_at_most_its_per_minute_limit_while_private_chats_go_on()
    {
        const long group = -1001234;
        var limiter = Limiter(burst: 100, perChatPerSecond: 100, perGroupPerMinute: 2);
        await Done(limiter.WaitToSendAsync(group, CancellationToken.None));
        await Done(limiter.WaitToSendAsync(group, CancellationToken.None));
        var third = limiter.WaitToSendAsync(group, CancellationToken.None);
        Assert.True(await StaysPending(third));
        await Done(limiter.WaitToSendAsync(7, CancellationToken.None)); // a private chat (positive id) has no per-minute limit
        await Done(limiter.WaitToSendAsync(7, CancellationToken.None));
        await Done(limiter.WaitToSendAsync(7, CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.True(await StaysPending(third));
        _clock.Advance(Window(60) - TimeSpan.FromSeconds(59));
        await Done(third);
    }

    [Fact]
    public async Task A_chats_turns_are_granted_in_the_order_asked_and_a_cancelled_waiter_does_not_let_a_later_one_overtake()
    {
        var limiter = Limiter();
        var order = new List<string>();
        var first = await limiter.EnterChatAsync(42, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        // Each turn is asked for in this order here, on this thread: EnterChatAsync queues the caller before it first
        // awaits. (Asked from Task.Run with a 20 ms head start, a loaded machine could run the fourth's ask before the
        // third's, and the order checked below would be the scheduler's, not the limiter's.)
        var second = limiter.EnterChatAsync(42, cancel.Token);
        var third = TakeTurnAsync(limiter.EnterChatAsync(42, CancellationToken.None), "third");
        var fourth = TakeTurnAsync(limiter.EnterChatAsync(42, CancellationToken.None), "fourth");
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.True(await StaysPending(third)); // the first turn is still held
        lock (order) order.Add("first");
        first.Dispose();
        await Done(Task.WhenAll(third, fourth));
        Assert.Equal(["first", "third", "fourth"], order);

        async Task TakeTurnAsync(Task<IDisposable> turn, string name)
        {
            using (await turn) lock (order) order.Add(name);
        }
    }

    [Fact]
    public async Task Many_queued_messages_all_go_in_first_come_order_at_the_limits_pace()
    {
        var limiter = Limiter(perSecond: 2);
        var sent = new List<long>();
        // asked one after another (each call queues before it returns)
        var sends = Enumerable.Range(1, 6).Select(chat => limiter.WaitToSendAsync(chat, CancellationToken.None)
            .ContinueWith(_ => { lock (sent) sent.Add(chat); }, TaskContinuationOptions.ExecuteSynchronously)).ToList();
        await Task.Delay(100);
        Assert.Equal([1, 2], sent);
        int timers = _clock.TimersCreated;
        _clock.Advance(Window(1));
        await Done(Task.WhenAll(sends.Take(4)));
        // the fifth takes the global turn the fourth gave back on the thread pool, then waits on the clock for the next
        // window: advance once its timer exists (under load that can come after the fourth's send has completed)
        await Done(WaitUntil(() => _clock.TimersCreated > timers));
        _clock.Advance(Window(1));
        await Done(Task.WhenAll(sends));
        Assert.Equal([1, 2, 3, 4, 5, 6], sent);
    }

    [Theory]
    [InlineData(0, 1, 3, 20, "Telegram:SendLimits:MessagesPerSecond")]
    [InlineData(30, 0, 3, 20, "Telegram:SendLimits:PerChatPerSecond")]
    [InlineData(30, 1, 0, 20, "Telegram:SendLimits:PerChatBurst")]
    [InlineData(30, 1, 3, 0, "Telegram:SendLimits:PerGroupPerMinute")]
    public void Unusable_send_limits_are_rejected_naming_the_key(int perSecond, int perChat, int burst, int perGroup, string key)
    {
        var result = new TelegramOptionsValidator().Validate(null, new TelegramOptions
        {
            SendLimits = new TelegramSendLimitOptions { MessagesPerSecond = perSecond, PerChatPerSecond = perChat, PerChatBurst = burst, PerGroupPerMinute = perGroup },
        });
        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage);
        Assert.True(new TelegramOptionsValidator().Validate(null, new TelegramOptions()).Succeeded); // the defaults are valid
    }
}
