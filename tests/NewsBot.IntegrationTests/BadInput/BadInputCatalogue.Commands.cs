using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.BadInput;

/// <summary>The catalogue, continued: junk arguments to every command, forged and replayed button presses.</summary>
public sealed partial class BadInputCatalogue
{
    /// <summary>Sends a command in a fresh private chat (as <paramref name="from"/>, default the chat's own user) and returns the reply.</summary>
    async Task<string> CommandAsync(string command, long? from = null)
    {
        var chat = from ?? bot.NewChat();
        var (_, id) = bot.Bot.SendText(chat, chat, command);
        var reply = await bot.Bot.WaitForAsync("sendMessage", c => c.ReplyTo == id, timeout: TimeSpan.FromSeconds(60));
        Assert.Empty(TelegramHtmlChecker.Problems(reply.Text));
        return reply.Text;
    }

    [Fact]
    public async Task Subscribe_at_25_99_on_Mars_is_refused_with_the_reason()
    {
        // Tried: /subscribe 25:99 Mars/Olympus. Promise: refused saying why; nothing stored (/settings shows no digest).
        var chat = bot.NewChat();
        Assert.Contains("not a time of day", await CommandAsync("/subscribe 25:99 Mars/Olympus", chat));
        Assert.Contains("Daily digest: none", await CommandAsync("/settings", chat));
    }

    [Fact]
    public async Task Subscribe_with_an_unknown_time_zone_is_refused_with_the_reason()
    {
        // Tried: a valid time with a zone that does not exist, and one with a path-traversal shape.
        Assert.Contains("not a time zone", await CommandAsync("/subscribe 08:00 Europe/Atlantis"));
        Assert.Contains("not a time zone", await CommandAsync("/subscribe 08:00 ../../etc/localtime"));
    }

    [Fact]
    public async Task Subscribe_with_a_lone_plus_and_overlong_filter_words_does_not_crash()
    {
        // Tried: filter words that are only "+" or "-", and 300 filter words. Promise: a reply (subscribed or refused), no crash.
        var chat = bot.NewChat();
        var reply = await CommandAsync("/subscribe 07:30 UTC + - +\"\" " + string.Join(' ', Enumerable.Range(0, 300).Select(i => "-w" + i)), chat);
        Assert.True(reply.Contains("Subscribed", StringComparison.Ordinal) || reply.Contains("Usage", StringComparison.Ordinal), reply);
        await AssertStillAnswersAsync(chat);
    }

    [Fact]
    public async Task Unsubscribe_without_a_subscription_says_so()
    {
        // Tried: /unsubscribe in a chat that never subscribed (and with junk after it). Promise: says there is none.
        Assert.Contains("has no daily digest", await CommandAsync("/unsubscribe everything now!"));
    }

    [Fact]
    public async Task Settings_with_junk_arguments_shows_the_settings()
    {
        // Tried: /settings with arguments it does not take. Promise: the arguments are ignored; the settings are shown.
        Assert.Contains("digest", (await CommandAsync("/settings <b>reset</b> --all")).ToLowerInvariant());
    }

    [Fact]
    public async Task Follow_with_nothing_asks_what_to_follow()
    {
        // Tried: /follow with no topic (and with only spaces). Promise: asks for a topic; follows nothing.
        var chat = bot.NewChat();
        Assert.Contains("Tell me what to follow", await CommandAsync("/follow", chat));
        Assert.Contains("Tell me what to follow", await CommandAsync("/follow      ", chat));
        Assert.Contains("This chat follows no story", await CommandAsync("/following", chat));
    }

    [Fact]
    public async Task Follow_with_only_filter_words_or_markup_is_refused_or_kept_as_escaped_text()
    {
        // Tried: /follow +only -filters, and a topic of HTML markup. Promise: a valid reply; markup arrives escaped.
        var chat = bot.NewChat();
        var filtersOnly = await CommandAsync("/follow +bridge -ferry", chat);
        Assert.False(string.IsNullOrWhiteSpace(filtersOnly));
        var markup = await CommandAsync("/follow </b><a href=\"javascript:alert(1)\">x</a>", chat);
        Assert.DoesNotContain("<a href=\"javascript", markup);
        if (markup.StartsWith("No story matches", StringComparison.Ordinal))
            Assert.Contains("&lt;a href=", markup); // the topic is shown as text
    }

    [Theory]
    [InlineData("/unfollow 99")]
    [InlineData("/unfollow abc")]
    [InlineData("/unfollow -1")]
    [InlineData("/unfollow 0")]
    [InlineData("/unfollow 99999999999999999999999")]
    public async Task Unfollow_with_a_number_that_is_not_on_the_list_is_refused_with_the_reason(string command)
    {
        // Tried: /unfollow with numbers that are out of range, negative, not numbers, or overflow an int.
        // Promise: a refusal saying what /unfollow takes; the one story followed stays followed.
        var chat = bot.NewChat();
        await CommandAsync("/follow harbour bridge closure", chat);
        var reply = await CommandAsync(command, chat);
        Assert.DoesNotContain("Stopped following", reply);
        Assert.Contains("harbour bridge closure", await CommandAsync("/following", chat));
    }

    [Fact]
    public async Task Digest_with_junk_window_and_count_is_refused_with_the_usage()
    {
        // Tried: /digest with a window and a count it cannot read (negative, huge, words, markup).
        foreach (var args in new[] { "-5", "99999999h 0", "yesterday", "48h 500", "<soon>" })
            Assert.Contains("Usage: /digest", await CommandAsync("/digest " + args));
    }

    [Fact]
    public async Task Stories_with_junk_arguments_ignores_them_and_lists_the_top_stories()
    {
        // Tried: /stories with arguments it does not take in Telegram: an unreadable --since, "show" with an unknown id,
        // SQL. Promise: the arguments are ignored; the reply is the same list as a plain /stories.
        var plain = await CommandAsync("/stories");
        Assert.StartsWith("<b>Top stories", plain);
        foreach (var junk in new[] { "--since never", "show s000000000000", "show ' OR 1=1 --" })
            Assert.Equal(plain, await CommandAsync("/stories " + junk));
    }

    [Fact]
    public async Task Ask_with_nothing_asks_for_a_question()
    {
        // Tried: /ask with no question, and /ask with only the bot's name. Promise: a hint, not an answer to "".
        Assert.Contains("/ask", await CommandAsync("/ask"));
        Assert.Contains("/ask", await CommandAsync($"/ask@{FakeBotApiServer.BotUsername}"));
    }

    [Fact]
    public async Task Start_help_new_sources_and_feeds_ignore_junk_arguments()
    {
        // Tried: the argument-less commands with junk after them. Promise: each does its usual job.
        var chat = bot.NewChat();
        foreach (var command in new[] { "/start <script>", "/help me please", "/new all chats", "/sources --json", "/feeds ' OR 1=1" })
            Assert.False(string.IsNullOrWhiteSpace(await CommandAsync(command, chat)));
        Assert.Contains("Valley Wire", await CommandAsync("/sources ../../etc/passwd", chat));
    }

    [Fact]
    public async Task Unknown_and_malformed_commands_get_the_help_hint()
    {
        // Tried: an unknown command, a lone "/", a command of 300 letters, and one addressed to another bot.
        var chat = bot.NewChat();
        Assert.Contains("/help", await CommandAsync("/frobnicate now", chat));
        Assert.Contains("/help", await CommandAsync("/" + new string('x', 300), chat));
        bot.Bot.SendText(chat, chat, "/");
        bot.Bot.SendText(chat, chat, "/start@SomeOtherBot");
        await AssertStillAnswersAsync(chat);
    }

    [Fact]
    public async Task Addfeed_with_junk_urls_is_refused_and_nothing_is_registered()
    {
        // Tried (as an admin): /addfeed with nothing, not-a-URL, javascript:, file:, a URL with a password, a metadata
        // address, and a 3,000-character URL. Promise: each refused with the reason; /feeds lists no new feed.
        Assert.Contains("Usage: /addfeed", await CommandAsync("/addfeed", RealBot.Admin));
        foreach (var url in new[]
                 {
                     "not a url", "javascript:alert(1)", "file:///etc/passwd", "http://user:secret@news.example/feed",
                     "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/feed", "https://news.example/" + new string('a', 3000),
                 })
        {
            var reply = await CommandAsync("/addfeed " + url, RealBot.Admin);
            Assert.DoesNotContain("Added", reply);
            Assert.DoesNotContain("secret", reply);
        }
        Assert.DoesNotContain("169.254", await CommandAsync("/feeds", RealBot.Admin));
    }

    [Fact]
    public async Task Removefeed_with_nothing_or_an_unknown_url_says_so()
    {
        // Tried (as an admin): /removefeed with nothing and with a URL that is not registered.
        Assert.Contains("Usage: /removefeed", await CommandAsync("/removefeed", RealBot.Admin));
        Assert.DoesNotContain("Removed", await CommandAsync("/removefeed https://never.example/rss.xml", RealBot.Admin));
    }

    [Fact]
    public async Task Status_with_junk_arguments_reports_the_status_to_an_admin()
    {
        // Tried (as an admin): /status with arguments. Promise: the status snapshot (articles counted), arguments ignored.
        Assert.Contains("rticles", await CommandAsync("/status --verbose <b>", RealBot.Admin));
    }

    // ---- button presses: callback data comes from the client and may be forged or replayed ----

    /// <summary>Asks a question whose answer carries the Sources button; returns the answer message and its token.</summary>
    async Task<(ApiCall Answer, string Data)> AnswerWithSourcesButtonAsync(long chat)
    {
        var answer = await bot.AskAsync(chat, "How many hectares were flooded by the Lenne?");
        var data = answer.FirstCallbackData;
        Assert.NotNull(data);
        Assert.StartsWith("src:", data);
        return (answer, data);
    }

    async Task<string?> PressAsync(long chat, int messageId, string data)
    {
        var before = bot.Bot.CallsTo("answerCallbackQuery").Count;
        bot.Bot.PressButton(chat, chat, messageId, data);
        var answered = await bot.Bot.WaitForAsync("answerCallbackQuery", count: before + 1);
        return answered.Str("text");
    }

    [Fact]
    public async Task Forged_sources_token_is_answered_no_longer_available()
    {
        // Tried: "src:" with a token that was never issued, with nothing, and with 60 bytes of junk.
        var chat = bot.NewChat();
        var (answer, _) = await AnswerWithSourcesButtonAsync(chat);
        var messageId = answer.ResultMessageId!.Value;
        foreach (var data in new[] { "src:AAAAAAAAAAAA", "src:", "src:" + new string('\u00e9', 30) })
            Assert.Contains("no longer available", await PressAsync(chat, messageId, data));
        Assert.DoesNotContain(bot.Bot.CallsTo("editMessageText"), c => c.Long("chat_id") == chat);
    }

    [Fact]
    public async Task Sources_token_replayed_from_another_chat_shows_nothing_there()
    {
        // Tried: the Sources button's data of one chat's answer pressed in another chat (a forged press of a user who saw
        // both). Promise: refused as unknown; the other chat gets neither the passages nor an edit. (This was a bug:
        // the token alone was trusted.)
        var owner = bot.NewChat();
        var (_, data) = await AnswerWithSourcesButtonAsync(owner);
        var stranger = bot.NewChat();
        var (strangerAnswer, _) = await AnswerWithSourcesButtonAsync(stranger);
        Assert.Contains("no longer available", await PressAsync(stranger, strangerAnswer.ResultMessageId!.Value, data));
        Assert.DoesNotContain(bot.Bot.CallsTo("editMessageText"), c => c.Long("chat_id") == stranger);
        Assert.Single(bot.Bot.MessagesTo(stranger));
    }

    [Fact]
    public async Task Sources_token_replayed_under_another_message_does_not_overwrite_it()
    {
        // Tried: the Sources data of the first answer pressed under the second answer of the same chat.
        // Promise: the second answer is not replaced by the first's text. (This was a bug.)
        var chat = bot.NewChat();
        var (_, firstData) = await AnswerWithSourcesButtonAsync(chat);
        var (second, _) = await AnswerWithSourcesButtonAsync(chat);
        Assert.Contains("no longer available", await PressAsync(chat, second.ResultMessageId!.Value, firstData));
        Assert.DoesNotContain(bot.Bot.CallsTo("editMessageText"), c => c.Long("chat_id") == chat);
    }

    [Fact]
    public async Task Sources_button_pressed_twice_expands_once()
    {
        // Tried: the same press replayed (a double tap, a client resending). Promise: one edit; the second press is told so.
        var chat = bot.NewChat();
        var (answer, data) = await AnswerWithSourcesButtonAsync(chat);
        await PressAsync(chat, answer.ResultMessageId!.Value, data);
        await bot.Bot.WaitForAsync("editMessageText", c => c.Long("chat_id") == chat);
        Assert.Contains("shown already", await PressAsync(chat, answer.ResultMessageId!.Value, data));
        Assert.Single(bot.Bot.CallsTo("editMessageText"), c => c.Long("chat_id") == chat);
        bot.AssertRepliesAreValidAndCiteOnlyRealSources(chat);
    }

    [Fact]
    public async Task Forged_follow_button_data_follows_nothing()
    {
        // Tried: "fol:" with a story id that does not exist, with nothing, and with SQL. Promise: told the story is gone
        // (or that the button no longer works); /following stays empty.
        var chat = bot.NewChat();
        Assert.Contains("no longer in my sources", await PressAsync(chat, 1, "fol:s0123456789ab"));
        Assert.Contains("no longer in my sources", await PressAsync(chat, 1, "fol:' OR 1=1 --"));
        await PressAsync(chat, 1, "fol:"); // answered (so the client stops its spinner), nothing else

        Assert.Contains("This chat follows no story", await CommandAsync("/following", chat));
    }

    [Fact]
    public async Task Button_data_with_an_unknown_prefix_or_none_is_answered_no_longer_works()
    {
        // Tried: callback data of no known prefix, without a colon, empty, and 64 bytes of colons.
        var chat = bot.NewChat();
        foreach (var data in new[] { "xyz:1", "src", "", new string(':', 64) })
            Assert.Contains("no longer", await PressAsync(chat, 1, data));
        await AssertStillAnswersAsync(chat);
    }
}
