using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Digests;
using NewsBot.Telegram;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Digests;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// Telegram's flood limits are kept by the sender, not by luck: answers are instant here (scripted), so without the
/// limiter every reply would leave within a few milliseconds. The fake Bot API server measures the pace as the real
/// Telegram.Bot client delivers it.
/// </summary>
public sealed class TelegramSendLimitTests
{
    /// <summary>
    /// Answers a question in each of <paramref name="chats"/> at once, then starts the server's meter afresh. A bot's
    /// first sends open connections and run the send path cold, which on a loaded machine delays their arrival by more
    /// than the limiter's 10% margin relative to the warm sends after them (seen: a chat's first two replies, 1.1 s
    /// apart at the limiter, arrived less than 1 s apart at the server). Warmed up, the pace measured is the limiter's.
    /// </summary>
    static async Task WarmUpAsync(TelegramBotHarness bot, params long[] chats)
    {
        var asked = chats.Select(c => bot.Server.SendText(c, c, "Warming up?").MessageId).ToList();
        foreach (var q in asked)
            await bot.Server.WaitForAsync("sendMessage", c => c.ReplyTo == q, timeout: TimeSpan.FromSeconds(60));
        bot.Server.ResetRates();
    }

    [Fact]
    public async Task Instant_answers_to_many_chats_leave_no_faster_than_the_global_limit_and_none_is_dropped()
    {
        await using var bot = await TelegramBotHarness.StartAsync(s =>
        {
            s["Telegram:SendLimits:MessagesPerSecond"] = "4";
            s["Telegram:MaxConcurrentChats"] = "16";
        });
        await WarmUpAsync(bot, 2000, 2001, 2002, 2003); // as many at once as the limit lets go together
        var questions = Enumerable.Range(0, 12).Select(i => bot.Server.SendText(1000 + i, 1000 + i, $"Question number {i}?").MessageId).ToList();
        foreach (var q in questions)
            await bot.Server.WaitForAsync("sendMessage", c => c.ReplyTo == q, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(12, bot.Server.SentMessages.Count(m => m.Long("chat_id") is >= 1000 and < 1012));
        Assert.Equal(12, bot.Server.Rates.Count);
        Assert.InRange(bot.Server.Rates.MaxPerSecond, 1, 4);
        // 12 messages, 4 in any 1.1 s: the last leaves at least two windows after the first
        Assert.True(bot.Server.Rates.Span >= TimeSpan.FromSeconds(2), $"12 replies left within {bot.Server.Rates.Span.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task One_chats_answers_keep_their_order_at_one_a_second_after_the_burst()
    {
        await using var bot = await TelegramBotHarness.StartAsync(s => s["Telegram:SendLimits:PerChatBurst"] = "1");
        await WarmUpAsync(bot, 43); // another chat: chat 42's burst stays untouched
        var questions = Enumerable.Range(0, 3).Select(i => bot.Server.SendText(42, 42, $"Question number {i}?").MessageId).ToList();
        await bot.Server.WaitForAsync("sendMessage", c => c.ReplyTo == questions[^1], timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(questions.Select(q => (long?)q), bot.Server.MessagesTo(42).Select(m => m.ReplyTo));
        Assert.Equal(1, bot.Server.Rates.MaxPerChatPerSecond);
        Assert.True(bot.Server.Rates.Span >= TimeSpan.FromSeconds(2), $"3 replies left within {bot.Server.Rates.Span.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task A_group_over_its_per_minute_limit_waits_and_the_question_stays_pending_not_dropped()
    {
        const long group = -100500;
        await using var bot = await TelegramBotHarness.StartAsync(s =>
        {
            s["Telegram:SendLimits:PerGroupPerMinute"] = "2";
            s["Telegram:SendLimits:PerChatBurst"] = "10";
        });
        var asked = Enumerable.Range(0, 3)
            .Select(i => bot.Server.SendText(group, 300 + i, $"@{FakeBotApiServer.BotUsername} Question number {i}?", chatType: "supergroup")).ToList();
        await bot.Server.WaitForAsync("sendMessage", c => c.ReplyTo == asked[1].MessageId, timeout: TimeSpan.FromSeconds(60));
        // a private chat is not held up by the group
        var (_, other) = bot.Server.SendText(42, 42, "And elsewhere?");
        await bot.Server.WaitForAsync("sendMessage", c => c.ReplyTo == other, timeout: TimeSpan.FromSeconds(30));

        await Task.Delay(TimeSpan.FromSeconds(1)); // the third reply would have left by now without the group limit
        Assert.Equal(2, bot.Server.MessagesTo(group).Count);
        Assert.Equal(2, bot.Server.Rates.MaxPerGroupPerMinute);
        Assert.False(bot.Inbox.IsDone(asked[2].UpdateId)); // waiting for its turn, still pending in the inbox
        Assert.True(bot.Inbox.IsDone(asked[0].UpdateId));
    }

    [Fact]
    public async Task A_notification_stopped_while_waiting_for_its_turn_is_reported_as_not_sent_so_the_scheduler_can_give_it_back()
    {
        // The limiter on a clock that stands still: the chat's next turn is 1.1 s away on it, so only the stop can end the
        // wait. (On real time, a loaded machine could spend most of the 1.1 s between the first send and the stop's
        // start, and the second message would leave before the stop.)
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bot = await TelegramBotHarness.StartAsync(s => s["Telegram:SendLimits:PerChatBurst"] = "1",
            services: c => c.AddSingleton(sp => new TelegramSendLimiter(sp.GetRequiredService<IOptions<TelegramOptions>>(), clock)));
        var notifier = bot.Services.GetRequiredService<IChatNotifier>();
        var quiet = new QuietDayNotification(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
        await notifier.NotifyAsync(77, quiet);

        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)); // the chat's next turn never comes
        // not an OperationCanceledException: to the digest scheduler and follow service that means "maybe sent", kept as sent
        await Assert.ThrowsAsync<NotificationNotSentException>(() => notifier.NotifyAsync(77, quiet, stopping.Token));
        Assert.Single(bot.Server.MessagesTo(77));
    }
}
