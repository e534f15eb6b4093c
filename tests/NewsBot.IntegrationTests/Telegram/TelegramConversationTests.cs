using System.Text.Json.Nodes;
using NewsBot.Core.Answering;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;
using Telegram.Bot.Extensions;
using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>Conversations through the real TelegramBotClient against the fake Bot API server.</summary>
public sealed class TelegramConversationTests
{
    private const long Chat = TelegramBotHarness.UserId; // a private chat's id is the user's id
    private const long Group = -1001234567890;

    [Fact]
    public async Task A_question_in_a_private_chat_gets_a_cited_html_answer_replying_to_it_with_typing_and_source_links()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var (updateId, messageId) = bot.Server.SendText(Chat, TelegramBotHarness.UserId, "What did the council decide?");

        var sent = await bot.Server.WaitForAsync("sendMessage");

        Assert.Equal("HTML", sent.Str("parse_mode"), ignoreCase: true);
        Assert.Equal(messageId, sent.ReplyTo);
        Assert.Equal(true, sent.Params["link_preview_options"]?["is_disabled"]?.GetValue<bool>());
        Assert.Contains("the council approved the budget [1] and rates rose by 0.25% [2].", sent.Text);
        Assert.Contains("\n\nSources:\n", sent.Text);
        Assert.Contains("[1] <a href=\"https://news.example.org/budget?a=1&amp;b=&quot;2&quot;\">Council &lt;approves&gt; budget &amp; &quot;cuts&quot;</a> — Daily &lt;News&gt;, 12 Mar 2025", sent.Text);
        // file:// is not clickable in Telegram: plain text, no link
        Assert.Contains("[2] Rates rise (file:///data/articles/rates.txt) — Local Files, 13 Mar 2025", sent.Text);
        Assert.DoesNotContain("href=\"file:", sent.Text);
        TelegramHtmlChecker.AssertValid(sent.Text);
        Assert.StartsWith("src:", sent.FirstCallbackData);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(sent.FirstCallbackData!) <= 64);

        var typing = bot.Server.CallsTo("sendChatAction");
        Assert.Contains(typing, c => c.Long("chat_id") == Chat && c.Str("action") == "typing");
        Assert.Contains(bot.Server.Calls, c => c.Method == "deleteWebhook");
        Assert.Contains(bot.Server.Calls, c => c.Method == "setMyCommands");

        var request = Assert.Single(bot.Answers.Requests);
        Assert.Equal("What did the council decide?", request.Question);
        Assert.Equal("telegram:42", request.ConversationId);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(updateId), "the update to be marked done");
    }

    [Fact]
    public async Task A_follow_up_in_the_same_chat_continues_the_same_conversation_and_another_chat_has_its_own()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(Chat, TelegramBotHarness.UserId, "What did the council decide?");
        await bot.Server.WaitForAsync("sendMessage");
        bot.Server.SendText(Chat, TelegramBotHarness.UserId, "And what did it cost?");
        await bot.Server.WaitForAsync("sendMessage", count: 2);
        bot.Server.SendText(43, 43, "Something else?");
        await bot.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == 43);

        var requests = bot.Answers.Requests.ToList();
        Assert.Equal(["telegram:42", "telegram:42", "telegram:43"], requests.Select(r => r.ConversationId));
        Assert.Equal("And what did it cost?", requests[1].Question);
    }

    [Fact]
    public async Task In_a_group_mentions_and_replies_to_the_bot_are_answered_and_other_messages_ignored()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var ignored = bot.Server.SendText(Group, 42, "just chatting among ourselves", "supergroup");
        var mention = bot.Server.SendText(Group, 42, "@NewsTestBot what happened to the budget?", "supergroup");
        var first = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal(mention.MessageId, first.ReplyTo);

        var reply = bot.Server.SendText(Group, 43, "and the rates?", "supergroup", replyToBotMessageId: first.ResultMessageId);
        var second = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Equal(reply.MessageId, second.ReplyTo);

        var topic = bot.Server.SendText(Group, 42, "What about @newstestbot, the mayor?", "supergroup", topicThreadId: 7);
        var third = await bot.Server.WaitForAsync("sendMessage", count: 3);
        Assert.Equal(topic.MessageId, third.ReplyTo);
        Assert.Equal(7, third.Long("message_thread_id"));

        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 4 && bot.Inbox.PendingCount == 0, "all updates handled");
        Assert.True(bot.Inbox.IsDone(ignored.UpdateId));
        var requests = bot.Answers.Requests.ToList();
        Assert.Equal(["what happened to the budget?", "and the rates?", "What about the mayor?"], requests.Select(r => r.Question));
        Assert.Equal([$"telegram:{Group}", $"telegram:{Group}", $"telegram:{Group}:7"], requests.Select(r => r.ConversationId));
        Assert.Equal(3, bot.Server.SentMessages.Count);
    }

    [Fact]
    public async Task In_a_group_ask_with_the_bots_name_is_answered_and_commands_for_other_bots_are_ignored()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(Group, 42, "/ask@OtherBot who are you?", "group");
        bot.Server.SendText(Group, 42, "/weather", "group"); // unknown bare command: probably another bot's
        var ask = bot.Server.SendText(Group, 42, "/ask@NewsTestBot Who won the election?", "group");
        var sent = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal(ask.MessageId, sent.ReplyTo);
        bot.Server.SendText(Group, 42, "/ask Is the bridge open?", "group");
        await bot.Server.WaitForAsync("sendMessage", count: 2);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 4 && bot.Inbox.PendingCount == 0, "all updates handled");

        Assert.Equal(["Who won the election?", "Is the bridge open?"], bot.Answers.Requests.Select(r => r.Question));
        Assert.Equal(2, bot.Server.SentMessages.Count);
    }

    [Fact]
    public async Task Html_special_characters_in_the_question_and_in_source_titles_arrive_escaped_and_valid()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(Chat, 42, "Is 3 < 4 & \"x\" > y?");
        var sent = await bot.Server.WaitForAsync("sendMessage");

        Assert.Contains("About “Is 3 &lt; 4 &amp; &quot;x&quot; &gt; y?”", sent.Text);
        Assert.Contains("Council &lt;approves&gt; budget &amp; &quot;cuts&quot;", sent.Text);
        TelegramHtmlChecker.AssertValid(sent.Text);
        Assert.Equal("Is 3 < 4 & \"x\" > y?", Assert.Single(bot.Answers.Requests).Question);
    }

    [Fact]
    public async Task A_5000_character_answer_is_split_into_valid_parts_of_at_most_4096_with_sources_last()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var paragraphs = Enumerable.Range(1, 25).Select(i =>
            $"Paragraph {i}: the council & the mayor said \"{new string('x', 20)}\" < that [1]. " + string.Join(' ', Enumerable.Repeat("word", 30)));
        var longAnswer = string.Join("\n\n", paragraphs);
        Assert.True(longAnswer.Length > 5000);
        bot.Answers.Handler = (r, _) => Task.FromResult(ScriptedAnswerService.CitedAnswer(r.Question, longAnswer));
        var (_, messageId) = bot.Server.SendText(Chat, 42, "Tell me everything");

        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 1 && bot.Inbox.PendingCount == 0, "the answer to be sent");
        var parts = bot.Server.SentMessages;
        Assert.True(parts.Count >= 2, $"expected several parts, got {parts.Count}");
        foreach (var part in parts)
        {
            Assert.InRange(part.Text.Length, 1, 4096);
            TelegramHtmlChecker.AssertValid(part.Text);
            Assert.Equal("HTML", part.Str("parse_mode"), ignoreCase: true);
        }
        Assert.Equal(messageId, parts[0].ReplyTo);
        Assert.All(parts.Skip(1), p => Assert.Null(p.ReplyTo));
        Assert.Contains("Sources:", parts[^1].Text);
        Assert.All(parts.SkipLast(1), p => Assert.DoesNotContain("Sources:", p.Text));
        Assert.NotNull(parts[^1].Keyboard);
        Assert.All(parts.SkipLast(1), p => Assert.Null(p.Keyboard));
        // split at paragraph boundaries: every part but the last ends a paragraph
        Assert.All(parts.SkipLast(1), p => Assert.EndsWith("word", p.Text));
        var plain = string.Join("\n\n", parts.Select(p => HtmlText.ToPlain(p.Text)));
        for (var i = 1; i <= 25; i++)
            Assert.Contains($"Paragraph {i}: the council & the mayor", plain);
    }

    [Fact]
    public async Task The_sources_button_expands_the_quoted_snippets_by_editing_the_answer()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(Chat, 42, "What did the council decide?");
        var answer = await bot.Server.WaitForAsync("sendMessage");
        var data = answer.FirstCallbackData!;

        bot.Server.PressButton(Chat, 42, answer.ResultMessageId!.Value, data);
        var edit = await bot.Server.WaitForAsync("editMessageText");
        var ack = await bot.Server.WaitForAsync("answerCallbackQuery");

        Assert.Equal(answer.ResultMessageId, (int?)edit.Long("message_id"));
        Assert.Equal("HTML", edit.Str("parse_mode"), ignoreCase: true);
        Assert.StartsWith(answer.Text, edit.Text);
        Assert.Contains("<b>Quoted passages</b>", edit.Text);
        Assert.Contains("<blockquote>The council voted 7 &lt; 9 &amp; approved &quot;the&quot; budget.</blockquote>", edit.Text);
        Assert.Contains("<blockquote>The bank raised rates by a quarter point.</blockquote>", edit.Text);
        TelegramHtmlChecker.AssertValid(edit.Text);
        Assert.Null(edit.Keyboard); // the Sources button is gone once expanded
        Assert.NotNull(ack.Str("callback_query_id"));

        bot.Server.PressButton(Chat, 42, answer.ResultMessageId!.Value, data);
        var again = await bot.Server.WaitForAsync("answerCallbackQuery", count: 2);
        Assert.Contains("already", again.Str("text"));
        bot.Server.PressButton(Chat, 42, answer.ResultMessageId!.Value, "src:unknowntoken");
        var gone = await bot.Server.WaitForAsync("answerCallbackQuery", count: 3);
        Assert.Contains("no longer available", gone.Str("text"));
        Assert.Single(bot.Server.CallsTo("editMessageText"));
    }

    [Fact]
    public async Task Sources_that_would_not_fit_in_the_answer_message_are_sent_as_a_reply()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var bigSnippet = string.Join(' ', Enumerable.Repeat("evidence", 120));
        bot.Answers.Handler = (r, _) =>
        {
            var a = ScriptedAnswerService.CitedAnswer(r.Question, string.Join(' ', Enumerable.Repeat("long answer text [1] [2].", 120)));
            return Task.FromResult(a with { Citations = [.. a.Citations.Select(c => c with { Snippet = bigSnippet })] });
        };
        bot.Server.SendText(Chat, 42, "Question?");
        var answer = await bot.Server.WaitForAsync("sendMessage");
        bot.Server.PressButton(Chat, 42, answer.ResultMessageId!.Value, answer.FirstCallbackData!);

        var followUp = await bot.Server.WaitForAsync("sendMessage", count: 2);
        await bot.Server.WaitForAsync("answerCallbackQuery");
        Assert.Contains("Quoted passages", followUp.Text);
        Assert.Equal(answer.ResultMessageId, (int?)followUp.ReplyTo);
        TelegramHtmlChecker.AssertValid(followUp.Text);
        Assert.Empty(bot.Server.CallsTo("editMessageText"));
    }

    [Fact]
    public async Task A_refusal_shows_the_closest_headlines_and_the_note_in_italics_without_a_sources_button()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Answers.Handler = (r, _) => Task.FromResult(new AnswerResult
        {
            Question = r.Question, StandaloneQuery = r.Question, Refused = true, Mode = AnswerMode.Llm,
            Answer = "My sources don't cover that.",
            ClosestHeadlines = ["Mars <rover> lands", "Moon & stars"],
            Note = "The language model was unavailable; this is an extractive answer.",
        });
        bot.Server.SendText(Chat, 42, "Who lives on Mars?");
        var sent = await bot.Server.WaitForAsync("sendMessage");

        Assert.Equal("My sources don't cover that.\n\nClosest headlines:\n• Mars &lt;rover&gt; lands\n• Moon &amp; stars\n\n<i>The language model was unavailable; this is an extractive answer.</i>", sent.Text);
        Assert.Null(sent.Keyboard);
        TelegramHtmlChecker.AssertValid(sent.Text);
    }

    [Fact]
    public async Task New_resets_this_chats_conversation()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(Group, 42, "/new", "supergroup", topicThreadId: 3);
        var sent = await bot.Server.WaitForAsync("sendMessage");
        Assert.Contains("new conversation", sent.Text);
        Assert.Equal([$"telegram:{Group}:3"], bot.Answers.Resets);
        bot.Server.SendText(Chat, 42, "/new");
        await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Equal([$"telegram:{Group}:3", "telegram:42"], bot.Answers.Resets);
    }

    [Fact]
    public async Task Non_text_messages_and_over_long_questions_get_a_short_hint()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.Enqueue(_ => new JsonObject { ["message"] = Updates.Photo((int)bot.Server.NextMessageId(), Chat, 42) });
        var photoHint = await bot.Server.WaitForAsync("sendMessage");
        Assert.Contains("only read text", photoHint.Text);

        bot.Server.SendText(Chat, 42, new string('q', 1001));
        var tooLong = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Contains("too long (1001 characters)", tooLong.Text);
        Assert.Empty(bot.Answers.Requests);
    }

    [Fact]
    public async Task Commands_start_help_sources_feeds_and_unknown_reply_sensibly()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var now = DateTimeOffset.UtcNow;
        bot.Articles.Articles.Add(InMemoryArticleStore.Article("a1", "Bridge <reopens> & traffic flows", "City Times", now.AddDays(-1)));
        bot.Articles.Articles.Add(InMemoryArticleStore.Article("a2", "Budget passes", "City Times", now.AddDays(-2)));
        bot.Articles.Articles.Add(InMemoryArticleStore.Article("a3", "Storm warning", "Weather Desk", new DateTimeOffset(2025, 3, 12, 0, 0, 0, TimeSpan.Zero)));
        bot.Feeds.Feeds["https://example.org/rss"] = new NewsBot.Core.Ports.FeedRecord
        {
            Url = "https://example.org/rss", Title = "Example", AddedAt = now, LastError = "HTTP 500 <oops>",
        };

        bot.Server.SendText(Chat, 42, "/start");
        var start = await bot.Server.WaitForAsync("sendMessage");
        Assert.Contains("What is known about &quot;Bridge &lt;reopens&gt; &amp; traffic flows&quot;?", start.Text);
        TelegramHtmlChecker.AssertValid(start.Text);

        bot.Server.SendText(Chat, 42, "/help");
        var help = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Contains("/ask", help.Text);
        Assert.DoesNotContain("/addfeed", help.Text); // not an admin

        bot.Server.SendText(Chat, 42, "/sources");
        var sources = await bot.Server.WaitForAsync("sendMessage", count: 3);
        Assert.Contains("• City Times — 2 articles", sources.Text);
        Assert.Contains("• Weather Desk — 1 article, newest 12 Mar 2025", sources.Text);

        bot.Server.SendText(Chat, 42, "/feeds");
        var feeds = await bot.Server.WaitForAsync("sendMessage", count: 4);
        Assert.Contains("https://example.org/rss", feeds.Text);
        Assert.Contains("last error: HTTP 500 &lt;oops&gt;", feeds.Text);
        TelegramHtmlChecker.AssertValid(feeds.Text);

        bot.Server.SendText(Chat, 42, "/frobnicate");
        var unknown = await bot.Server.WaitForAsync("sendMessage", count: 5);
        Assert.Equal("Unknown command /frobnicate, see /help.", unknown.Text);
        Assert.Empty(bot.Answers.Requests);

        var commands = bot.Server.CallsTo("setMyCommands");
        Assert.Contains(commands, c => c.Params["scope"] is null && !c.Params["commands"]!.ToJsonString().Contains("addfeed"));
        Assert.Contains(commands, c => c.Params["scope"]?["chat_id"]?.GetValue<long>() == TelegramBotHarness.AdminId &&
                                       c.Params["commands"]!.ToJsonString().Contains("addfeed"));
    }

    [Fact]
    public async Task Chats_are_served_concurrently_while_each_chats_messages_stay_in_order()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answers = new ScriptedAnswerService
        {
            Handler = async (r, ct) =>
            {
                if (r.Question == "slow")
                    await release.Task.WaitAsync(ct);
                return ScriptedAnswerService.CitedAnswer(r.Question);
            },
        };
        await using var bot = await TelegramBotHarness.StartAsync(answers: answers);
        bot.Server.SendText(Chat, 42, "slow");
        var queued = bot.Server.SendText(Chat, 42, "after slow");
        var other = bot.Server.SendText(43, 43, "other chat");

        var otherAnswer = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal(other.MessageId, otherAnswer.ReplyTo); // chat 43 was not held up by chat 42
        Assert.DoesNotContain(bot.Answers.Requests, r => r.Question == "after slow"); // chat 42 waits its turn

        release.SetResult();
        await bot.Server.WaitForAsync("sendMessage", count: 3);
        var chat42 = bot.Server.MessagesTo(Chat);
        Assert.Equal(2, chat42.Count);
        Assert.Equal(queued.MessageId, chat42[1].ReplyTo);
    }

    [Fact]
    public async Task In_a_group_only_a_whole_at_username_token_is_a_mention_of_the_bot_and_only_it_is_stripped()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var otherBot = bot.Server.SendText(Group, 42, "@NewsTestBot_helperbot what's new?", "supergroup");
        var email = bot.Server.SendText(Group, 42, "write to mail@NewsTestBot.com for the schedule", "supergroup");
        var both = bot.Server.SendText(Group, 42, "@NewsTestBot_helperbot and @NewsTestBot: what's up?", "supergroup");
        // Without entities (e.g. a client that sent none): the same rule by the characters around the name.
        var plainMessageId = (int)bot.Server.NextMessageId();
        var plain = bot.Server.Enqueue(_ =>
        {
            var m = Updates.Message(plainMessageId, Group, 42, null, "supergroup");
            m["text"] = "ping x@NewsTestBot or @NewsTestBotx please";
            return new JsonObject { ["message"] = m };
        });
        var noEntitiesMessageId = (int)bot.Server.NextMessageId();
        bot.Server.Enqueue(_ =>
        {
            var m = Updates.Message(noEntitiesMessageId, Group, 42, null, "supergroup");
            m["text"] = "so, @NewsTestBot, is the bridge open?";
            return new JsonObject { ["message"] = m };
        });

        var first = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal(both.MessageId, first.ReplyTo);
        var second = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Equal(noEntitiesMessageId, second.ReplyTo);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 5 && bot.Inbox.PendingCount == 0, "all updates handled");
        var sync = await bot.Server.SyncChatAsync(Group, 42, "supergroup"); // a late answer to the ignored ones would come first

        Assert.True(bot.Inbox.IsDone(otherBot.UpdateId) && bot.Inbox.IsDone(email.UpdateId) && bot.Inbox.IsDone(plain));
        Assert.Equal(["@NewsTestBot_helperbot and what's up?", "so, is the bridge open?", FakeBotApiServer.SyncText], bot.Answers.Requests.Select(r => r.Question));
        Assert.Equal(2, bot.Server.CallsBefore(sync).Count(c => c.Method == "sendMessage" && c.Ok));
    }

    [Fact]
    public async Task Anonymous_group_admins_and_channels_posting_in_a_group_are_answered_while_other_bots_are_ignored()
    {
        const long anonymousAdminBot = 1087968824; // GroupAnonymousBot
        const long channelBot = 136817688;          // Channel_Bot
        const long channel = -1009876543210;
        await using var bot = await TelegramBotHarness.StartAsync();

        JsonObject From(long chatId, JsonObject from, JsonObject? senderChat, string text)
        {
            var m = Updates.Message((int)bot.Server.NextMessageId(), chatId, 0, text, "supergroup");
            m["from"] = from;
            if (senderChat is not null)
                m["sender_chat"] = senderChat;
            return new JsonObject { ["message"] = m };
        }

        var otherBot = bot.Server.Enqueue(_ => From(Group, Updates.User(555, isBot: true, username: "OtherBot"), null, "@NewsTestBot what's new?"));
        bot.Server.Enqueue(_ => From(Group, Updates.User(anonymousAdminBot, isBot: true, username: "GroupAnonymousBot"),
            Updates.Chat(Group, "supergroup"), "/ask@NewsTestBot What did the council decide?"));
        var first = await bot.Server.WaitForAsync("sendMessage");
        var channelChat = new JsonObject { ["id"] = channel, ["type"] = "channel", ["title"] = "City channel" };
        bot.Server.Enqueue(_ => From(Group, Updates.User(channelBot, isBot: true, username: "Channel_Bot"), channelChat,
            "@NewsTestBot and the rates?"));
        var second = await bot.Server.WaitForAsync("sendMessage", count: 2);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 3 && bot.Inbox.PendingCount == 0, "all updates handled");

        Assert.True(bot.Inbox.IsDone(otherBot));
        Assert.Equal(Group, first.Long("chat_id"));
        Assert.Equal(Group, second.Long("chat_id"));
        var requests = bot.Answers.Requests.ToList();
        Assert.Equal(["What did the council decide?", "and the rates?"], requests.Select(r => r.Question));
        Assert.All(requests, r => Assert.Equal($"telegram:{Group}", r.ConversationId));
        Assert.Equal(2, bot.Server.SentMessages.Count);
    }

    [Theory]
    [InlineData("/sources", 42)]
    [InlineData("/status", TelegramBotHarness.AdminId)]
    [InlineData("/feeds", 42)]
    public async Task A_command_that_fails_replies_with_a_short_apology_and_logs_the_error(string command, long user)
    {
        await using var bot = await TelegramBotHarness.StartAsync(c => c["Telegram:MaxUpdateAttempts"] = "1", s =>
        {
            s.AddSingleton<IArticleStore>(new ThrowingArticleStore());
            s.AddSingleton<IFeedStore>(new ThrowingFeedStore());
        });
        var (updateId, messageId) = bot.Server.SendText(user, user, command);

        var reply = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal(messageId, reply.ReplyTo);
        Assert.Equal($"Sorry, {command} failed: please try again in a moment.", reply.Text);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(updateId), "the update to be marked done");
        Assert.Contains(bot.Logs.Lines, l => l.Contains("database is locked", StringComparison.Ordinal) && l.Contains(command, StringComparison.Ordinal));
        Assert.Single(bot.Server.SentMessages);
    }

    [Fact]
    public async Task A_source_with_a_huge_url_is_shown_without_a_link_and_the_answer_is_still_sent()
    {
        await using var bot = await TelegramBotHarness.StartAsync(c => c["Telegram:MaxUpdateAttempts"] = "1");
        var url = "https://news.example.org/a?" + string.Join("&", Enumerable.Range(0, 800).Select(i => $"p{i}=v"));
        bot.Answers.Handler = (r, _) =>
        {
            var a = ScriptedAnswerService.CitedAnswer(r.Question);
            return Task.FromResult(a with { Citations = [a.Citations[0] with { Article = a.Citations[0].Article with { Url = url } }, a.Citations[1]] });
        };
        var (updateId, messageId) = bot.Server.SendText(Chat, 42, "What did the council decide?");

        var sent = await bot.Server.WaitForAsync("sendMessage");
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.IsDone(updateId), "the update to be marked done");

        Assert.Equal(messageId, sent.ReplyTo);
        Assert.True(sent.Text.Length <= 4096, $"{sent.Text.Length} characters");
        Assert.Contains("the council approved the budget [1]", sent.Text);
        Assert.Contains("[1] Council &lt;approves&gt; budget &amp; &quot;cuts&quot;", sent.Text);
        Assert.DoesNotContain("p799=v", sent.Text);
        Assert.DoesNotContain("href=\"https://news.example.org/a?", sent.Text);
        TelegramHtmlChecker.AssertValid(sent.Text);
        Assert.Single(bot.Server.SentMessages);
    }

    [Fact]
    public async Task Anonymous_admins_of_different_groups_have_separate_rate_limits()
    {
        await using var bot = await TelegramBotHarness.StartAsync(c =>
        {
            c["Telegram:RateLimit:PerUserPerMinute"] = "1";
            c["Telegram:RateLimit:Burst"] = "1";
        });
        const long otherGroup = -1001111111111;
        foreach (var group in new[] { Group, otherGroup })
        {
            var m = Updates.Message((int)bot.Server.NextMessageId(), group, 0, "/ask@NewsTestBot What did the council decide?", "supergroup");
            m["from"] = Updates.User(1087968824, isBot: true, username: "GroupAnonymousBot");
            m["sender_chat"] = Updates.Chat(group, "supergroup");
            bot.Server.Enqueue(_ => new JsonObject { ["message"] = m });
        }

        await bot.Server.WaitForAsync("sendMessage", count: 2);
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 2 && bot.Inbox.PendingCount == 0, "both updates handled");
        Assert.Equal(new[] { $"telegram:{Group}", $"telegram:{otherGroup}" }.Order(StringComparer.Ordinal),
            bot.Answers.Requests.Select(r => r.ConversationId).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(bot.Server.SentMessages, c => c.Text.Contains("faster than I can answer", StringComparison.Ordinal));
    }
}
