using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Ports;
using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>Allow lists, admin-only commands and the per-user rate limit.</summary>
public sealed class TelegramAccessTests
{
    [Fact]
    public async Task With_an_allow_list_an_unknown_user_gets_one_polite_refusal_and_then_silence()
    {
        await using var bot = await TelegramBotHarness.StartAsync(c => c["Telegram:AllowedUserIds:0"] = "99");
        for (var i = 0; i < 3; i++)
            bot.Server.SendText(42, 42, $"question {i}");
        bot.Server.SendText(42, 42, "/help");
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 4 && bot.Inbox.PendingCount == 0, "all four updates handled");

        var refusal = Assert.Single(bot.Server.MessagesTo(42));
        Assert.Contains("private news bot", refusal.Text);
        Assert.Empty(bot.Answers.Requests);

        bot.Server.SendText(99, 99, "I am allowed");
        var answer = await bot.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == 99);
        Assert.Contains("Sources:", answer.Text);
        Assert.Single(bot.Server.MessagesTo(42));
    }

    [Fact]
    public async Task An_allowed_chat_lets_everyone_in_it_ask()
    {
        const long group = -100777;
        await using var bot = await TelegramBotHarness.StartAsync(c => c["Telegram:AllowedChatIds:0"] = group.ToString());
        bot.Server.SendText(group, 555, "/ask anything new?", "supergroup");
        await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal("anything new?", Assert.Single(bot.Answers.Requests).Question);
    }

    [Fact]
    public async Task A_non_admin_trying_addfeed_is_refused_politely_and_nothing_is_probed()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(42, 42, "/addfeed https://example.org/feed.xml");
        var sent = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal("Sorry, /addfeed is only available to this bot's administrators.", sent.Text);
        Assert.Empty(bot.Poller.Probes);
        Assert.Empty(bot.Feeds.Feeds);

        bot.Server.SendText(42, 42, "/status");
        var status = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Contains("administrators", status.Text);
    }

    [Fact]
    public async Task An_admin_addfeed_of_a_loopback_url_is_refused_with_the_probes_ssrf_message()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var admin = TelegramBotHarness.AdminId;
        bot.Server.SendText(admin, admin, "/addfeed http://127.0.0.1/feed");
        var sent = await bot.Server.WaitForAsync("sendMessage");

        Assert.Equal(("http://127.0.0.1/feed", false), Assert.Single(bot.Poller.Probes));
        Assert.Equal("I couldn't add that feed: the address 127.0.0.1 is a private or loopback address, which feeds added from chats may not use", sent.Text);
        Assert.Empty(bot.Feeds.Feeds);
    }

    [Fact]
    public async Task An_admin_can_add_and_remove_a_public_feed_which_is_stored_untrusted_and_attributed()
    {
        await using var bot = await TelegramBotHarness.StartAsync();
        var admin = TelegramBotHarness.AdminId;
        bot.Server.SendText(admin, admin, "/addfeed https://example.org/feed.xml");
        var added = await bot.Server.WaitForAsync("sendMessage");
        Assert.Contains("Added the feed “Example &lt;Feed&gt;” (https://example.org/feed.xml)", added.Text);
        var feed = Assert.Single(bot.Feeds.Feeds.Values);
        Assert.Equal("telegram:1", feed.AddedBy);
        Assert.False(feed.Trusted);
        Assert.Equal("Example <Feed>", feed.Title);

        bot.Server.SendText(admin, admin, "/removefeed https://example.org/feed.xml");
        var removed = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Contains("Removed the feed", removed.Text);
        Assert.Empty(bot.Feeds.Feeds);
    }

    [Fact]
    public async Task An_admin_gets_status_from_the_status_provider()
    {
        await using var bot = await TelegramBotHarness.StartAsync(services: s => s.AddSingleton<ISystemStatusProvider>(new FixedStatus()));
        var admin = TelegramBotHarness.AdminId;
        bot.Server.SendText(admin, admin, "/status");
        var sent = await bot.Server.WaitForAsync("sendMessage");
        Assert.Contains("Articles: 1234, chunks: 5678", sent.Text);
        Assert.Contains("Embedding model: all-MiniLM-L6-v2", sent.Text);
        Assert.Contains("Index: qdrant", sent.Text);
        Assert.Contains("Store: /data/newsbot.db (1.5 MB)", sent.Text);
        Assert.Contains("https://bad.example/rss: <i>timeout &lt;30s&gt;</i>", sent.Text);
        TelegramHtmlChecker.AssertValid(sent.Text);
    }

    [Fact]
    public async Task The_rate_limit_answers_once_with_when_to_retry_and_then_stays_quiet_until_tokens_refill()
    {
        // The token buckets (System.Threading.RateLimiting) keep real time (the library has no TimeProvider hook): one
        // token every 30 s here, long enough that even a heavily loaded machine handles the four messages before a refill
        // (with one every 6 s, a CI machine shared by several builds once took longer than that for the four).
        await using var bot = await TelegramBotHarness.StartAsync(c =>
        {
            c["Telegram:RateLimit:Burst"] = "2";
            c["Telegram:RateLimit:PerUserPerMinute"] = "2";
        });

        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 1; i <= 4; i++)
            bot.Server.SendText(42, 42, $"question {i}");
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.Count == 4 && bot.Inbox.PendingCount == 0, "four updates handled");
        // the four checks fell within one refill period (the bucket is made at the first check, after `started`), so no
        // refill can have come between them: what follows is the burst and the limit, not the timing
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(29.5), $"the machine took {started.Elapsed} for four messages, longer than a refill period");

        var messages = bot.Server.MessagesTo(42);
        Assert.Equal(3, messages.Count);
        Assert.Equal("You're sending messages faster than I can answer them. Please try again in about 30 seconds.", messages[2].Text);
        Assert.Equal(["question 1", "question 2"], bot.Answers.Requests.Select(r => r.Question));

        // The scenario: the bucket refills in real time, one token per 30 s on a timer that starts when the user's bucket
        // is made (at the first message's check, which a loaded machine may reach well after `started`). Every 30.3 s
        // window that begins after that check holds a refill tick, so wait from the moment all four were handled.
        await Task.Delay(TimeSpan.FromSeconds(30.3));
        bot.Server.SendText(42, 42, "question 5");
        await bot.Server.WaitForAsync("sendMessage", count: 4);
        Assert.Equal("question 5", bot.Answers.Requests.Last().Question);
        Assert.Single(bot.Server.SentMessages, m => m.Text.Contains("faster than I can answer"));
    }

    private sealed class FixedStatus : ISystemStatusProvider
    {
        public Task<SystemStatus> GetStatusAsync(CancellationToken ct = default) => Task.FromResult(new SystemStatus
        {
            Articles = 1234,
            Chunks = 5678,
            LastIngestedAt = new DateTimeOffset(2025, 3, 12, 14, 3, 0, TimeSpan.Zero),
            Feeds = 3,
            FeedsWithErrors = [new FeedError("https://bad.example/rss", "timeout <30s>", null)],
            EmbeddingModel = "all-MiniLM-L6-v2",
            AnswerMode = "llm",
            LlmModel = "gpt-4o-mini",
            IndexProvider = "qdrant",
            StorePath = "/data/newsbot.db",
            StoreSizeBytes = 1_572_864,
        });
    }
}
