using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// 429 and transient send retries, permanent send errors, at-least-once handling across a restart, renumbered
/// update ids, poison updates, a rejected token, and no token in logs.
/// </summary>
public sealed class TelegramReliabilityTests
{
    [Fact]
    public async Task A_429_from_sendMessage_is_retried_after_retry_after_and_the_answer_is_delivered_once()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.FailNext("sendMessage", 429, retryAfter: 1);
        var (updateId, messageId) = bot.Server.SendText(42, 42, "What did the council decide?");

        var sent = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal(messageId, sent.ReplyTo);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(updateId), "the update to be marked done");
        var sync = await bot.Server.SyncChatAsync(42, 42); // anything the question still caused has shown up by now

        var calls = bot.Server.CallsBefore(sync).Where(c => c.Method == "sendMessage").ToList();
        Assert.Equal([429, 200], calls.Select(c => c.StatusCode));
        Assert.Single(bot.Server.SentMessages, m => m.ReplyTo == messageId);
        Assert.Single(bot.Answers.Requests, r => r.Question != FakeBotApiServer.SyncText); // the answer was not computed twice
    }

    [Fact]
    public async Task A_restart_with_pending_updates_answers_each_pending_question_exactly_once()
    {
        await using var server = await FakeBotApiServer.StartAsync();
        var inbox = new InMemoryInboxStore();
        var blocking = new ScriptedAnswerService
        {
            Handler = async (r, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct); // the engine is slow: nothing is answered before shutdown
                return ScriptedAnswerService.CitedAnswer(r.Question);
            },
        };

        var first = await TelegramBotHarness.StartAsync(server: server, inbox: inbox, answers: blocking);
        var q1 = server.SendText(42, 42, "first question");
        var q2 = server.SendText(42, 42, "second question");
        var q3 = server.SendText(43, 43, "third question");
        // stored in the inbox and acknowledged to Telegram (a later getUpdates confirmed them)…
        await FakeBotApiServer.EventuallyAsync(() => inbox.Count == 3 && server.UnconfirmedUpdates == 0, "updates stored and acknowledged");
        // …and being answered in both chats when the bot stops
        await FakeBotApiServer.EventuallyAsync(() => blocking.Requests.Count == 2, "answers in progress");
        await first.StopAsync(shutdownTimeout: TimeSpan.FromSeconds(1));
        await first.DisposeAsync();
        Assert.Empty(server.SentMessages);
        Assert.Equal(3, inbox.PendingCount);

        var pollsBefore = server.CallsTo("getUpdates").Count(c => c.Ok);
        await using var second = await TelegramBotHarness.StartAsync(server: server, inbox: inbox);
        await FakeBotApiServer.EventuallyAsync(() => inbox.PendingCount == 0, "pending updates handled after restart");
        await server.WaitForAsync("getUpdates", count: pollsBefore + 1); // the restarted bot has polled
        var resumedPoll = server.CallsTo("getUpdates").Last();
        // a duplicate in either chat would be answered before these
        var syncs = new long?[] { await server.SyncChatAsync(42, 42), await server.SyncChatAsync(43, 43) };

        var replies = server.SentMessages.Select(m => m.ReplyTo).Where(r => !syncs.Contains(r)).ToList();
        Assert.Equal(3, replies.Count);
        Assert.Equal(new long?[] { q1.MessageId, q2.MessageId, q3.MessageId }.Order(), replies.Order());
        Assert.Equal(["first question", "second question", FakeBotApiServer.SyncText],
            second.Answers.Requests.Where(r => r.ConversationId == "telegram:42").Select(r => r.Question));
        Assert.Equal(q3.UpdateId + 1, resumedPoll.Long("offset"));
    }

    [Fact]
    public async Task A_poison_update_is_given_up_after_the_configured_attempts_and_marked_done()
    {
        await using var bot = await TelegramBotHarness.StartAsync(c => c["Telegram:MaxUpdateAttempts"] = "2");
        bot.Server.FailNext("sendMessage", 400, description: "Bad Request: can't parse entities");
        bot.Server.FailNext("sendMessage", 400, description: "Bad Request: can't parse entities");
        var id = bot.Server.SendText(42, 42, "poison").UpdateId;

        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(id), "the poison update to be given up");
        Assert.Contains("Giving up on Telegram update", bot.AllLogs);
        Assert.Equal(2, bot.Server.CallsTo("sendMessage").Count);

        bot.Server.SendText(42, 42, "next question");
        await bot.Server.WaitForAsync("sendMessage"); // the bot carries on
    }

    [Fact]
    public async Task A_rejected_token_logs_a_clear_error_and_stops_polling_without_a_crash_loop()
    {
        await using var server = await FakeBotApiServer.StartAsync();
        server.AcceptedToken = "1:some-other-token";
        await using var bot = await TelegramBotHarness.StartAsync(server: server);

        await FakeBotApiServer.EventuallyAsync(
            () => bot.AllLogs.Contains("Telegram rejected the bot token (401 Unauthorized): check Telegram:BotToken"), "the 401 error to be logged");
        await bot.PollingStopped.WaitAsync(TimeSpan.FromSeconds(30)); // the polling service returned: no call can follow
        Assert.Single(server.Calls); // one getMe, no retries, no polling
        Assert.Equal("getMe", server.Calls[0].Method);
        Assert.DoesNotContain(TelegramBotHarness.Token, bot.AllLogs);
    }

    [Fact]
    public async Task The_bot_token_never_appears_in_any_captured_log_line()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.FailNext("sendMessage", 429, retryAfter: 1);
        bot.Server.FailNext("getUpdates", 502, description: "Bad Gateway");
        bot.Answers.Handler = (r, _) => r.Question == "boom"
            ? throw new InvalidOperationException("engine failed")
            : Task.FromResult(ScriptedAnswerService.CitedAnswer(r.Question));

        bot.Server.SendText(42, 42, "What did the council decide?");
        var answer = await bot.Server.WaitForAsync("sendMessage");
        bot.Server.PressButton(42, 42, answer.ResultMessageId!.Value, answer.FirstCallbackData!);
        await bot.Server.WaitForAsync("editMessageText");
        bot.Server.SendText(42, 42, "boom");
        var apology = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Contains("something went wrong", apology.Text);
        bot.Server.SendText(TelegramBotHarness.AdminId, TelegramBotHarness.AdminId, "/addfeed http://127.0.0.1/feed");
        await bot.Server.WaitForAsync("sendMessage", count: 3);
        await bot.StopAsync();

        var logs = bot.AllLogs;
        Assert.NotEmpty(bot.Logs.Lines);
        Assert.Contains("engine failed", logs); // errors are logged…
        Assert.DoesNotContain(TelegramBotHarness.Token, logs); // …but never the token
        Assert.DoesNotContain(TelegramBotHarness.Token.Split(':')[1], logs);
        Assert.DoesNotContain("/bot7000001", logs);
        Assert.DoesNotContain(bot.Logs.Lines, l => l.Contains("System.Net.Http.HttpClient", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_Telegram_renumbers_its_update_ids_the_bot_warns_once_and_answers_from_the_new_numbering_without_a_hot_loop()
    {
        await using var server = await FakeBotApiServer.StartAsync();
        server.IgnoreFutureOffset = true; // like TDLib: an offset past the newest update returns the queue from its start
        var inbox = new InMemoryInboxStore();
        // Handled under the old numbering (another token, or the cloud server before a switch to a local one):
        // far above the new ids, and some equal to ids the new numbering is about to use again.
        foreach (var old in new long[] { 101, 102, 103, 900_000_000 })
        {
            await inbox.TryAddAsync("telegram", old, "{}");
            await inbox.MarkDoneAsync("telegram", old);
        }

        await using var bot = await TelegramBotHarness.StartAsync(server: server, inbox: inbox);
        var first = server.SendText(42, 42, "Anyone there after the move?");
        var answer = await server.WaitForAsync("sendMessage");
        Assert.Equal(first.MessageId, answer.ReplyTo);
        Assert.True(first.UpdateId < 900_000_000);

        var second = server.SendText(42, 42, "And a follow-up?");
        var followUp = await server.WaitForAsync("sendMessage", count: 2);
        Assert.Equal(second.MessageId, followUp.ReplyTo);
        await FakeBotApiServer.EventuallyAsync(() => inbox.IsDone(first.UpdateId) && inbox.IsDone(second.UpdateId), "both updates handled");

        // Polling goes on from the new numbering as long polls (1 s here), not a hot loop.
        var before = server.CallsTo("getUpdates").Count;
        await Task.Delay(2500); // the scenario: how many polls a quiet 2.5 s brings (long polls: a few; a hot loop: hundreds)
        // at most a few: a loaded machine only makes fewer polls in the window, never more, so this bound is sound
        Assert.InRange(server.CallsTo("getUpdates").Count - before, 0, 5);
        // and at least one: waited for, not counted on inside the window (a loaded machine can stretch a 1 s long poll
        // and the client's next request past 2.5 s); a bot that stopped polling times out here
        await FakeBotApiServer.EventuallyAsync(() => server.CallsTo("getUpdates").Count > before, "a poll after the answers (polling goes on)");
        var polls = server.CallsTo("getUpdates");
        Assert.Equal(second.UpdateId + 1, polls[^1].Long("offset"));

        Assert.Equal(["Anyone there after the move?", "And a follow-up?"], bot.Answers.Requests.Select(r => r.Question));
        Assert.Equal(2, server.SentMessages.Count);
        Assert.Single(bot.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("renumbered", StringComparison.Ordinal));
        Assert.DoesNotContain(TelegramBotHarness.Token, bot.AllLogs);
    }

    [Fact]
    public async Task A_502_on_the_second_part_of_a_long_answer_is_retried_for_that_part_only_and_the_answer_is_computed_once()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var longAnswer = string.Join("\n\n", Enumerable.Range(1, 60).Select(i => $"Paragraph {i}: " + new string('x', 100) + " [1]."));
        bot.Answers.Handler = (r, _) => Task.FromResult(ScriptedAnswerService.CitedAnswer(r.Question, longAnswer));
        var sends = 0;
        bot.Server.FailWhen = (method, _) =>
            method == "sendMessage" && Interlocked.Increment(ref sends) == 2 ? (502, "Bad Gateway") : null;
        var (updateId, messageId) = bot.Server.SendText(42, 42, "Tell me everything");

        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(updateId), "the update to be marked done");
        var sync = await bot.Server.SyncChatAsync(42, 42); // any further part or retry would be sent before its answer

        Assert.Single(bot.Answers.Requests, r => r.Question != FakeBotApiServer.SyncText);
        var sendCalls = bot.Server.CallsBefore(sync).Where(c => c.Method == "sendMessage").ToList();
        var statuses = sendCalls.Select(c => c.StatusCode).ToList();
        Assert.Equal(502, statuses[1]);
        Assert.Single(bot.Server.CallsTo("sendMessage"), c => c.StatusCode == 502);
        var parts = sendCalls.Where(c => c.Ok).ToList();
        Assert.True(parts.Count >= 2, $"expected a multi-part answer, got {parts.Count} part(s)");
        Assert.Equal(statuses.Count - 1, parts.Count);
        var all = string.Join("\n", parts.Select(p => p.Text));
        foreach (var i in Enumerable.Range(1, 60))
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(all, $"Paragraph {i}:"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(all, "Sources:"));
        Assert.Equal(messageId, parts[0].ReplyTo);
        Assert.NotNull(parts[^1].Keyboard);
    }

    [Theory]
    [InlineData(403, "Forbidden: bot was blocked by the user")]
    [InlineData(403, "Forbidden: bot was kicked from the supergroup chat")]
    [InlineData(400, "Bad Request: chat not found")]
    public async Task A_permanent_send_error_gives_up_on_the_update_at_once_without_computing_the_answer_again(int code, string description)
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.FailWhen = (method, p) => method == "sendMessage" && p["chat_id"]?.GetValue<long>() == 42 ? (code, description) : null;
        var (id, messageId) = bot.Server.SendText(42, 42, "Are you there?");

        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(id), "the update to be marked done");
        bot.Server.FailWhen = null;
        var sync = await bot.Server.SyncChatAsync(42, 42); // a retry would be sent before its answer

        Assert.Single(bot.Answers.Requests, r => r.Question != FakeBotApiServer.SyncText);
        Assert.Single(bot.Server.CallsBefore(sync), c => c.Method == "sendMessage");
        Assert.Single(bot.Server.CallsTo("sendMessage"), c => c.ReplyTo == messageId);
        Assert.Contains(bot.Logs.Lines, l => l.Contains(description, StringComparison.Ordinal) && l.Contains("chat 42", StringComparison.Ordinal));
        Assert.DoesNotContain(TelegramBotHarness.Token, bot.AllLogs);

        bot.Server.SendText(43, 43, "Another chat still works?");
        await bot.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == 43);
    }

    [Fact]
    public async Task A_5xx_from_editing_the_answer_falls_back_to_sending_the_sources_and_the_button_press_is_answered_once()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(42, 42, "What did the council decide?");
        var answer = await bot.Server.WaitForAsync("sendMessage");
        bot.Server.FailWhen = (method, _) => method == "editMessageText" ? (502, "Bad Gateway") : null;

        var id = bot.Server.PressButton(42, 42, answer.ResultMessageId!.Value, answer.FirstCallbackData!);
        var passages = await bot.Server.WaitForAsync("sendMessage", count: 2);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(id), "the button press to be handled");
        var sync = await bot.Server.SyncChatAsync(42, 42); // anything the press still caused would come first

        Assert.Contains("<b>Quoted passages</b>", passages.Text);
        Assert.Contains("<blockquote>The bank raised rates by a quarter point.</blockquote>", passages.Text);
        Assert.Equal(answer.ResultMessageId, (int?)passages.ReplyTo);
        TelegramHtmlChecker.AssertValid(passages.Text);
        Assert.Single(bot.Server.CallsTo("answerCallbackQuery"));
        Assert.Equal(2, bot.Server.CallsBefore(sync).Count(c => c.Method == "sendMessage" && c.Ok));
        Assert.Equal(3, bot.Server.SentMessages.Count); // and the sync's answer
        Assert.NotEmpty(bot.Server.CallsTo("editMessageText"));
        Assert.All(bot.Server.CallsTo("editMessageText"), c => Assert.Equal(502, c.StatusCode));
    }
}
