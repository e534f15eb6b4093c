using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Digests;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// Digests and follow updates are recorded (the commit) at the last moment before the request leaves, through the real
/// Telegram.Bot client against the fake Bot API: after the chat's turn under the flood limits, exactly once however
/// often the request is retried, and a refused commit sends nothing. This is what keeps a kill -9 from losing sends
/// (Faults/CrashDigestTests, CrashFollowTests).
/// </summary>
public sealed class TelegramSendCommitTests
{
    static readonly QuietDayNotification Quiet = new(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);

    [Fact]
    public async Task The_commit_is_made_once_after_the_chats_turn_and_before_Telegram_receives_the_request_even_across_retries()
    {
        await using var bot = await TelegramBotHarness.StartAsync(s => s["Telegram:SendLimits:PerChatBurst"] = "1");
        var notifier = bot.Services.GetRequiredService<IChatNotifier>();
        // started before the first message is counted as sent, so its time is a lower bound of the wait for the next turn
        // (started after the first send returned, a loaded machine's slow round trip would eat into the window)
        var sinceFirst = Stopwatch.StartNew();
        await notifier.NotifyAsync(77, Quiet); // takes the chat's burst: the next message waits 1.1 s for its turn
        bot.Server.FailNext("sendMessage", 500); // the first attempt fails, the pipeline sends the same request again

        var commits = new List<(TimeSpan At, int Received)>();
        var sent = await notifier.NotifyOnceAsync(77, Quiet, _ =>
        {
            commits.Add((sinceFirst.Elapsed, bot.Server.CallsTo("sendMessage").Count(c => c.Long("chat_id") == 77)));
            return Task.FromResult(true);
        });

        Assert.True(sent);
        var commit = Assert.Single(commits);
        Assert.Equal(1, commit.Received); // only the earlier message had reached the Bot API when the commit was made
        // the turn is 1.1 s after the first message was counted; 100 ms less allows for the timer's rounding
        Assert.True(commit.At >= TimeSpan.FromMilliseconds(1000), $"committed {commit.At.TotalMilliseconds:0} ms after the chat's last message, before its turn");
        Assert.Equal(3, bot.Server.CallsTo("sendMessage").Count(c => c.Long("chat_id") == 77)); // the 500 and its retry
        Assert.Equal(2, bot.Server.MessagesTo(77).Count);
    }

    [Fact]
    public async Task A_refused_commit_sends_nothing_and_is_not_retried()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var notifier = bot.Services.GetRequiredService<IChatNotifier>();
        var commits = 0;

        var sent = await notifier.NotifyOnceAsync(78, Quiet, _ => Task.FromResult(++commits < 0)); // another worker has it

        Assert.False(sent);
        Assert.Equal(1, commits);
        Assert.DoesNotContain(bot.Server.CallsTo("sendMessage"), c => c.Long("chat_id") == 78);
    }

    [Fact]
    public async Task A_commit_that_fails_surfaces_the_stores_error_and_sends_nothing()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var notifier = bot.Services.GetRequiredService<IChatNotifier>();
        var commits = 0;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => notifier.NotifyOnceAsync(79, Quiet, _ =>
        {
            commits++;
            return Task.FromException<bool>(new InvalidOperationException("database is locked"));
        }));

        Assert.Equal("database is locked", error.Message);
        Assert.Equal(1, commits);
        Assert.DoesNotContain(bot.Server.CallsTo("sendMessage"), c => c.Long("chat_id") == 79);
    }
}
