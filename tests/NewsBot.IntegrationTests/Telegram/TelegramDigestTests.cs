using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Digests;
using NewsBot.Core.Ports;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// Daily digests and follows through the real Telegram.Bot client and a fake Bot API server: the commands, the
/// admin rule in groups, and a scheduled digest sent once at the chat's local time, also after a restart.
/// </summary>
public sealed class TelegramDigestTests
{
    const long Chat = 501, Group = -1001, Member = 77, GroupAdmin = 78;

    [Fact]
    public async Task A_chat_subscribed_at_a_local_time_gets_exactly_one_digest_then_and_none_again_after_a_restart()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        await using var h = await TelegramBotHarness.StartAsync(clock: clock);
        var (_, sub) = h.Server.SendText(Chat, Chat, "/subscribe 09:00 Europe/Kyiv -sport");
        var reply = await h.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == Chat && c.ReplyTo == sub);
        Assert.Contains("09:00 (Europe/Kyiv)", reply.Text);
        Assert.Contains("-sport", reply.Text);

        // The command stamps the subscription with the bot's clock, which here is real time (the harness's fake clock
        // drives the scheduler only), and no digest is owed for a slot before the subscription: the first one is due at
        // the first 09:00 in Kyiv after that stamp. (Fixed dates here failed once the real clock passed them.)
        var subscribedAt = Assert.Single(await h.Services.GetRequiredService<IDigestSubscriptionStore>().ListAsync()).SubscribedAt;
        var due = NextLocalTime(subscribedAt, new TimeOnly(9, 0), "Europe/Kyiv");
        clock.SetUtcNow(due.AddMinutes(-1));
        Assert.Equal(0, await h.Services.GetRequiredService<DigestScheduler>().RunDueAsync());
        clock.SetUtcNow(due);
        Assert.Equal(1, await h.Services.GetRequiredService<DigestScheduler>().RunDueAsync());
        var digest = await h.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == Chat && c.ReplyTo is null);
        Assert.StartsWith("Quiet day", digest.Text); // nothing was ingested: the configured quiet-day message

        // a restarted worker: a new scheduler over the same database sends nothing more that day
        var restarted = new DigestScheduler(h.Services.GetRequiredService<IDigestSubscriptionStore>(), h.Services.GetRequiredService<DigestComposer>(),
            h.Services.GetRequiredService<IChatNotifier>(), new DigestOptions(), clock, TestLog.For<DigestScheduler>());
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(0, await restarted.RunDueAsync());
        Assert.Single(h.Server.MessagesTo(Chat), c => c.ReplyTo is null);

        var (_, settings) = h.Server.SendText(Chat, Chat, "/settings");
        var shown = await h.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == Chat && c.ReplyTo == settings);
        Assert.Contains("Daily digest: 09:00 (Europe/Kyiv), filter -sport.", shown.Text);
    }

    /// <summary>The first instant after <paramref name="after"/> when the clock in <paramref name="zone"/> shows <paramref name="time"/>.</summary>
    static DateTimeOffset NextLocalTime(DateTimeOffset after, TimeOnly time, string zone)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var local = TimeZoneInfo.ConvertTime(after, tz);
        for (var day = DateOnly.FromDateTime(local.DateTime); ; day = day.AddDays(1))
        {
            var candidate = new DateTimeOffset(day.ToDateTime(time), tz.GetUtcOffset(day.ToDateTime(time)));
            if (candidate > after) return candidate.ToUniversalTime();
        }
    }

    [Fact]
    public async Task Junk_times_and_zones_are_refused_with_the_reason_and_nothing_is_stored()
    {
        await using var h = await TelegramBotHarness.StartAsync();
        var (_, a) = h.Server.SendText(Chat, Chat, "/subscribe 25:99 Mars/Olympus");
        Assert.Contains("not a time of day", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == a)).Text);
        var (_, b) = h.Server.SendText(Chat, Chat, "/subscribe 08:00 Mars/Olympus");
        Assert.Contains("not a time zone", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == b)).Text);
        Assert.Empty(await h.Services.GetRequiredService<IDigestSubscriptionStore>().ListAsync());
    }

    [Fact]
    public async Task In_groups_only_admins_change_the_subscription_and_follows()
    {
        await using var h = await TelegramBotHarness.StartAsync();
        h.Server.ChatAdministrators[(Group, GroupAdmin)] = true;
        var (_, m1) = h.Server.SendText(Group, Member, "/subscribe 08:00", chatType: "supergroup");
        await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == m1);
        var (_, m2) = h.Server.SendText(Group, Member, "/follow harbour bridge", chatType: "supergroup");
        await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == m2);
        Assert.Empty(await h.Services.GetRequiredService<IDigestSubscriptionStore>().ListAsync());
        Assert.Empty(await h.Services.GetRequiredService<NewsBot.Core.Follows.IFollowStore>().ListAsync(Group));

        var (_, m3) = h.Server.SendText(Group, GroupAdmin, "/subscribe 08:00", chatType: "supergroup");
        Assert.Contains("Subscribed", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == m3)).Text);
        Assert.Equal(Group, Assert.Single(await h.Services.GetRequiredService<IDigestSubscriptionStore>().ListAsync()).ChatId);
    }

    [Fact]
    public async Task Follow_needs_a_topic_lists_and_unfollows_by_number()
    {
        await using var h = await TelegramBotHarness.StartAsync();
        var (_, empty) = h.Server.SendText(Chat, Chat, "/follow");
        Assert.Contains("Tell me what to follow", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == empty)).Text);
        var (_, f) = h.Server.SendText(Chat, Chat, "/follow tram <strike> & more");
        Assert.Contains("No story matches “tram &lt;strike&gt; &amp; more” yet", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == f)).Text);
        var (_, l) = h.Server.SendText(Chat, Chat, "/following");
        Assert.Contains("1. tram &lt;strike&gt; &amp; more", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == l)).Text);
        var (_, u) = h.Server.SendText(Chat, Chat, "/unfollow 1");
        Assert.Contains("Stopped following", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == u)).Text);
        Assert.Empty(await h.Services.GetRequiredService<NewsBot.Core.Follows.IFollowStore>().ListAsync(Chat));
    }

    [Fact]
    public async Task Digest_and_stories_on_demand_reply_to_the_command_even_when_nothing_happened()
    {
        await using var h = await TelegramBotHarness.StartAsync();
        var (_, d) = h.Server.SendText(Chat, Chat, "/digest 48h 3");
        Assert.StartsWith("Quiet day", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == d)).Text);
        var (_, bad) = h.Server.SendText(Chat, Chat, "/digest <soon>");
        Assert.Contains("I didn't understand", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == bad)).Text);
        var (_, st) = h.Server.SendText(Chat, Chat, "/stories");
        Assert.StartsWith("No stories in the last 24 hours", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == st)).Text);
    }

    [Fact]
    public async Task The_follow_button_is_for_group_admins_and_a_story_that_is_gone_is_said_so()
    {
        await using var h = await TelegramBotHarness.StartAsync();
        h.Server.PressButton(Group, Member, 10, "fol:s0123456789ab", chatType: "supergroup");
        Assert.Contains("Only the group's admins", (await h.Server.WaitForAsync("answerCallbackQuery")).Str("text"));
        h.Server.PressButton(Chat, Chat, 11, "fol:s0123456789ab");
        Assert.Contains("no longer in my sources", (await h.Server.WaitForAsync("answerCallbackQuery", count: 2)).Str("text"));
        Assert.Empty(await h.Services.GetRequiredService<NewsBot.Core.Follows.IFollowStore>().ListAsync(null));
    }
}
