using System.Text.Json.Nodes;
using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.BadInput;

/// <summary>
/// The bad-input catalogue: one test per kind of bad input, named so that the list reads as a document of what
/// NewsBot promises when it gets it. Every case runs against the real NewsBot (<see cref="RealBot"/>: the real
/// pipeline, a real SQLite data directory, the real worker and Telegram.Bot client against the fake Bot API server,
/// loopback HTTP servers for feeds and pages). The promises: a clear answer or error, nothing lost, no crash, bounded
/// memory and time, and every reply valid Telegram HTML that links only articles NewsBot really has.
/// This file: odd message text, update kinds the bot does not answer, and questions in every supported language.
/// </summary>
[Collection(BadInputCollection.Name)]
public sealed partial class BadInputCatalogue(RealBot bot)
{
    /// <summary>Sends <paramref name="text"/> in a fresh private chat, checks every reply there, returns the first.</summary>
    async Task<ApiCall> AskInNewChatAsync(string text)
    {
        var chat = bot.NewChat();
        var reply = await bot.AskAsync(chat, text);
        bot.AssertRepliesAreValidAndCiteOnlyRealSources(chat);
        return reply;
    }

    /// <summary>The bot still answers an ordinary question in <paramref name="chat"/>: the bad input broke nothing.</summary>
    async Task AssertStillAnswersAsync(long chat)
    {
        var reply = await bot.AskAsync(chat, "How many hectares were flooded by the Lenne?");
        Assert.Contains("2,300", reply.Text);
        Assert.Contains("[1]", reply.Text);
        bot.AssertRepliesAreValidAndCiteOnlyRealSources(chat);
    }

    [Fact]
    public async Task Question_with_NUL_bytes_is_answered_and_no_NUL_reaches_the_reply()
    {
        // Tried: NUL characters inside a question (JSON "\u0000"). Promise: answered from the sources as if they were not there.
        var reply = await AskInNewChatAsync("How many hectares\0 were flooded\0 by the Lenne?\0");
        Assert.DoesNotContain('\0', reply.Text);
        Assert.Contains("2,300", reply.Text);
    }

    [Fact]
    public async Task Question_with_an_unpaired_surrogate_is_answered_without_a_crash()
    {
        // Tried: text that is not valid Unicode (a lone UTF-16 surrogate, what invalid UTF-8 becomes in a JSON update).
        // Promise: no crash; the reply is valid and the chat keeps working.
        var chat = bot.NewChat();
        var reply = await bot.AskAsync(chat, "How many hectares were flooded by the Lenne? \ud800\udfff\udc00");
        Assert.Empty(TelegramHtmlChecker.Problems(reply.Text));
        await AssertStillAnswersAsync(chat);
    }

    [Fact]
    public async Task Question_with_zero_width_characters_is_answered_as_the_visible_question()
    {
        // Tried: zero-width spaces, joiners and a BOM inside the words of a question. Promise: read as the visible text.
        var reply = await AskInNewChatAsync("How many hec\u200Btares were flo\u200Coded by the Le\u200Dnne\uFEFF?\u2060");
        Assert.Contains("2,300", reply.Text);
    }

    [Fact]
    public async Task Question_with_right_to_left_overrides_is_answered_and_the_reply_stays_valid()
    {
        // Tried: RIGHT-TO-LEFT OVERRIDE and isolate characters wrapped around the question (text spoofing).
        // Promise: answered; the reply is valid Telegram HTML.
        var reply = await AskInNewChatAsync("\u202EHow many hectares were flooded by the Lenne?\u202C \u2067x\u2069");
        Assert.Contains("2,300", reply.Text);
    }

    [Fact]
    public async Task Question_in_Arabic_script_gets_a_valid_reply()
    {
        // Tried: a right-to-left language NewsBot has no messages for (and no model to phrase a refusal).
        // Promise: a valid reply (an answer or an honest refusal), no crash.
        var reply = await AskInNewChatAsync("كم هكتارا غمرتها مياه نهر لينه؟");
        Assert.False(string.IsNullOrWhiteSpace(reply.Text));
    }

    [Fact]
    public async Task Emoji_only_message_gets_an_honest_reply_not_an_invented_answer()
    {
        // Tried: a message of emoji only (with skin tones, ZWJ sequences and flags). Promise: a valid reply that cites nothing.
        var reply = await AskInNewChatAsync("🚋🚋👩🏽‍🚒🇺🇦❓");
        Assert.DoesNotContain("[1]", reply.Text);
    }

    [Fact]
    public async Task Question_of_10000_characters_gets_a_short_hint_within_seconds()
    {
        // Tried: a 10,000-character question (more than Telegram itself allows). Promise: a short hint naming the limit,
        // quickly, without running retrieval on it.
        var started = DateTime.UtcNow;
        var question = string.Concat(Enumerable.Repeat("What did the council decide about the tram? ", 230))[..10_000];
        var reply = await AskInNewChatAsync(question);
        Assert.Contains("too long (10000 characters)", reply.Text);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Edited_message_is_ignored_and_the_chat_keeps_working()
    {
        // Tried: an edited_message update (a user editing an earlier question). Promise: ignored (documented: send a new
        // message), confirmed so it is not delivered again, and the next question is answered.
        var chat = bot.NewChat();
        var edited = Updates.Message((int)bot.Bot.NextMessageId(), chat, chat, "What about the tram? (edited)");
        edited["edit_date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        bot.Bot.Enqueue(_ => new JsonObject { ["edited_message"] = edited });
        var sync = await bot.Bot.SyncChatAsync(chat, chat);
        Assert.DoesNotContain(bot.Bot.CallsBefore(sync), c => c.Long("chat_id") == chat && c.Method == "sendMessage");
        await AssertStillAnswersAsync(chat);
    }

    [Fact]
    public async Task Channel_post_is_ignored()
    {
        // Tried: a channel_post update from a channel the bot was added to. Promise: no reply, nothing breaks.
        var channel = -1_009_000_000_000 - bot.NewChat();
        var post = new JsonObject
        {
            ["message_id"] = (int)bot.Bot.NextMessageId(),
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = new JsonObject { ["id"] = channel, ["type"] = "channel", ["title"] = "News channel" },
            ["sender_chat"] = new JsonObject { ["id"] = channel, ["type"] = "channel", ["title"] = "News channel" },
            ["text"] = "/ask How many hectares were flooded by the Lenne?",
        };
        bot.Bot.Enqueue(_ => new JsonObject { ["channel_post"] = post });
        var chat = bot.NewChat();
        await bot.Bot.SyncChatAsync(chat, chat); // later updates are handled: the post was taken and passed over
        Assert.Empty(bot.Bot.MessagesTo(channel));
    }

    [Fact]
    public async Task Forwarded_message_is_answered_as_a_question_of_the_forwarder()
    {
        // Tried: a question forwarded from another user (forward_origin). Promise: answered in this chat, as any text.
        var chat = bot.NewChat();
        var id = (int)bot.Bot.NextMessageId();
        var forwarded = Updates.Message(id, chat, chat, "How many hectares were flooded by the Lenne?");
        forwarded["forward_origin"] = new JsonObject { ["type"] = "user", ["date"] = 1764000000, ["sender_user"] = Updates.User(555) };
        bot.Bot.Enqueue(_ => new JsonObject { ["message"] = forwarded });
        var reply = await bot.Bot.WaitForAsync("sendMessage", c => c.ReplyTo == id);
        Assert.Contains("2,300", reply.Text);
        Assert.Empty(bot.Bot.MessagesTo(555));
        bot.AssertRepliesAreValidAndCiteOnlyRealSources(chat);
    }

    [Fact]
    public async Task Sticker_gets_the_text_only_hint()
    {
        // Tried: a sticker in a private chat. Promise: "I can only read text" and nothing else.
        var chat = bot.NewChat();
        var id = (int)bot.Bot.NextMessageId();
        var sticker = Updates.Message(id, chat, chat, text: null);
        sticker["sticker"] = new JsonObject
        {
            ["file_id"] = "CAACAgIAAxkB", ["file_unique_id"] = "AgADsticker", ["type"] = "regular",
            ["width"] = 512, ["height"] = 512, ["is_animated"] = false, ["is_video"] = false, ["emoji"] = "🚋",
        };
        bot.Bot.Enqueue(_ => new JsonObject { ["message"] = sticker });
        Assert.StartsWith("I can only read text", (await bot.Bot.WaitForAsync("sendMessage", c => c.ReplyTo == id)).Text);
    }

    [Fact]
    public async Task Photo_with_a_caption_gets_the_text_only_hint_and_the_caption_is_not_answered()
    {
        // Tried: a photo whose caption is a question. Promise: the text-only hint (a caption is not a question), no answer.
        var chat = bot.NewChat();
        var id = (int)bot.Bot.NextMessageId();
        var photo = Updates.Photo(id, chat, chat);
        photo["caption"] = "How many hectares were flooded by the Lenne?";
        bot.Bot.Enqueue(_ => new JsonObject { ["message"] = photo });
        var reply = await bot.Bot.WaitForAsync("sendMessage", c => c.ReplyTo == id);
        Assert.StartsWith("I can only read text", reply.Text);
        Assert.DoesNotContain("2,300", string.Concat(bot.Bot.MessagesTo(chat).Select(c => c.Text)));
    }

    [Fact]
    public async Task Message_from_another_bot_is_ignored()
    {
        // Tried: a question sent by another bot (is_bot, no sender_chat). Promise: bots are not answered (no loops).
        var chat = bot.NewChat();
        var id = (int)bot.Bot.NextMessageId();
        var message = Updates.Message(id, chat, chat, "How many hectares were flooded by the Lenne?");
        message["from"] = Updates.User(chat, isBot: true, username: "other_bot");
        bot.Bot.Enqueue(_ => new JsonObject { ["message"] = message });
        var sync = await bot.Bot.SyncChatAsync(chat, chat);
        Assert.DoesNotContain(bot.Bot.Calls, c => c.ReplyTo == id);
        Assert.NotEqual(0, sync);
    }

    [Fact]
    public async Task Update_of_an_unknown_kind_is_skipped_and_the_next_is_handled()
    {
        // Tried: update kinds the bot never asked for (a poll, a reaction) and one Telegram.Bot does not know at all.
        // Promise: each is confirmed and skipped; later updates are answered.
        bot.Bot.Enqueue(_ => new JsonObject { ["poll"] = new JsonObject { ["id"] = "p1", ["question"] = "?", ["options"] = new JsonArray(), ["total_voter_count"] = 0, ["is_closed"] = false, ["is_anonymous"] = true, ["type"] = "regular", ["allows_multiple_answers"] = false } });
        bot.Bot.Enqueue(_ => new JsonObject { ["future_kind_of_update"] = new JsonObject { ["x"] = 1 } });
        var chat = bot.NewChat();
        await AssertStillAnswersAsync(chat);
    }

    [Theory]
    [InlineData("en", "How many hectares of farmland were flooded by the Lenne?", "My sources don't cover that.")]
    [InlineData("de", "Wie viele Hektar Ackerland wurden von der Lenne überflutet?", "Dazu finde ich nichts in meinen Quellen.")]
    [InlineData("fr", "Combien d'hectares de terres agricoles la Lenne a-t-elle inondés ?", "Mes sources ne couvrent pas ce sujet.")]
    [InlineData("es", "¿Cuántas hectáreas de tierras de cultivo inundó el río Lenne?", "Mis fuentes no cubren eso.")]
    [InlineData("it", "Quanti ettari di terreni agricoli sono stati allagati dal fiume Lenne?", "Le mie fonti non trattano questo argomento.")]
    [InlineData("pt", "Quantos hectares de terras agrícolas foram inundados pelo rio Lenne?", "As minhas fontes não cobrem isso.")]
    [InlineData("nl", "Hoeveel hectare landbouwgrond is door de Lenne overstroomd?", "Mijn bronnen gaan daar niet over.")]
    [InlineData("ru", "Сколько гектаров сельхозугодий затопила река Ленне?", "В моих источниках нет информации об этом.")]
    [InlineData("uk", "Скільки гектарів сільгоспугідь затопила річка Ленне?", "У моїх джерелах немає інформації про це.")]
    public async Task Question_in_each_supported_language_is_answered_with_citations_or_refused_in_that_language(string language, string question, string refusal)
    {
        // Tried: the same question in each language the README lists built-in messages for. Promise: either an answer
        // that cites the flood article, or the refusal in the question's own language; never an English refusal to a
        // German question, never an uncited claim, always valid HTML.
        var reply = await AskInNewChatAsync(question);
        if (reply.Text.Contains("[1]", StringComparison.Ordinal))
            Assert.Contains("lenne-floods", reply.Text);
        else
            Assert.Contains(refusal, reply.Text);
        Assert.False(string.IsNullOrEmpty(language));
    }
}

/// <summary>The catalogue's cases share one real NewsBot (started once: the model and the worker take seconds).</summary>
[CollectionDefinition(Name)]
public sealed class BadInputCollection : ICollectionFixture<RealBot>
{
    public const string Name = "Bad-input catalogue";
}
