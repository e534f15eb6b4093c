using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Digests;
using NewsBot.Core.Follows;
using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.Security;

/// <summary>
/// Allow-lists and admin rights hold alike for messages, commands, button presses, subscriptions and follows: the real
/// Telegram channel (TelegramBotHarness: the real Telegram.Bot client against the fake Bot API server, a real SQLite
/// file for subscriptions and follows).
/// </summary>
public sealed class AccessControlTests
{
    const long Allowed = TelegramBotHarness.UserId, Stranger = 66, Group = -100_777, GroupAdmin = 78, Member = 79;

    static Action<Dictionary<string, string?>> AllowOnly(long user) => s => s["Telegram:AllowedUserIds:0"] = user.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_user_outside_the_allow_list_gets_one_refusal_and_nothing_else_whatever_they_send_or_press()
    {
        await using var h = await TelegramBotHarness.StartAsync(AllowOnly(Allowed));
        var updates = new List<int>
        {
            h.Server.SendText(Stranger, Stranger, "/subscribe 08:00 Europe/Kyiv").UpdateId,
            h.Server.SendText(Stranger, Stranger, "/follow harbour bridge").UpdateId,
            h.Server.SendText(Stranger, Stranger, "What did the council decide?").UpdateId,
            h.Server.SendText(Stranger, Stranger, "/addfeed https://news.example/rss.xml").UpdateId,
            h.Server.SendText(Stranger, Stranger, "/digest").UpdateId,
            h.Server.PressButton(Stranger, Stranger, 5, "fol:s0123456789ab"),
            h.Server.PressButton(Stranger, Stranger, 6, "src:AAAAAAAAAAAA"),
        };
        await FakeBotApiServer.EventuallyAsync(() => updates.All(u => h.Inbox.IsDone(u)), "every update to be handled");

        var refusal = Assert.Single(h.Server.MessagesTo(Stranger));
        Assert.Contains("private news bot", refusal.Text);
        Assert.All(h.Server.CallsTo("answerCallbackQuery"), c => Assert.Equal("Sorry, this is a private news bot.", c.Str("text")));
        Assert.Equal(2, h.Server.CallsTo("answerCallbackQuery").Count);
        Assert.Empty(h.Answers.Requests);
        Assert.Empty(h.Poller.Probes);
        Assert.Empty(await h.Services.GetRequiredService<IDigestSubscriptionStore>().ListAsync());
        Assert.Empty(await h.Services.GetRequiredService<IFollowStore>().ListAsync(null));
        Assert.Empty(h.Server.CallsTo("editMessageText"));

        // the allowed user is served as usual
        await h.Server.SyncChatAsync(Allowed, Allowed);
    }

    [Fact]
    public async Task A_group_member_who_is_not_an_admin_cannot_undo_the_admins_subscription_and_follows()
    {
        await using var h = await TelegramBotHarness.StartAsync();
        h.Server.ChatAdministrators[(Group, GroupAdmin)] = true;
        var (_, s) = h.Server.SendText(Group, GroupAdmin, "/subscribe 08:00", chatType: "supergroup");
        Assert.Contains("Subscribed", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == s)).Text);
        var (_, f) = h.Server.SendText(Group, GroupAdmin, "/follow harbour bridge", chatType: "supergroup");
        await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == f);

        foreach (var command in new[] { "/unsubscribe", "/unfollow all", "/unfollow 1", "/subscribe 23:00 Asia/Tokyo", "/follow something else" })
        {
            var (_, id) = h.Server.SendText(Group, Member, command, chatType: "supergroup");
            Assert.Contains("admin", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == id)).Text);
        }
        h.Server.PressButton(Group, Member, 10, "fol:s0123456789ab", chatType: "supergroup");
        Assert.Contains("Only the group's admins", (await h.Server.WaitForAsync("answerCallbackQuery")).Str("text"));

        var subscription = Assert.Single(await h.Services.GetRequiredService<IDigestSubscriptionStore>().ListAsync());
        Assert.Equal("08:00", subscription.Time);
        Assert.Equal("harbour bridge", Assert.Single(await h.Services.GetRequiredService<IFollowStore>().ListAsync(Group)).Topic);
    }

    [Theory]
    [InlineData("/addfeed https://news.example/rss.xml")]
    [InlineData("/removefeed https://news.example/rss.xml")]
    [InlineData("/status")]
    public async Task Bot_admin_commands_are_refused_to_group_admins_and_to_allowed_users_alike(string command)
    {
        await using var h = await TelegramBotHarness.StartAsync(s => { AllowOnly(Allowed)(s); s["Telegram:AllowedChatIds:0"] = Group.ToString(System.Globalization.CultureInfo.InvariantCulture); });
        h.Server.ChatAdministrators[(Group, GroupAdmin)] = true;
        var (_, inGroup) = h.Server.SendText(Group, GroupAdmin, command, chatType: "supergroup");
        var (_, inPrivate) = h.Server.SendText(Allowed, Allowed, command);

        Assert.Contains("admin", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == inGroup)).Text);
        Assert.Contains("admin", (await h.Server.WaitForAsync("sendMessage", c => c.ReplyTo == inPrivate)).Text);
        Assert.Empty(h.Poller.Probes);
        Assert.Empty(h.Feeds.Feeds);
    }

    [Fact]
    public async Task A_private_subscription_is_not_delivered_once_its_user_is_no_longer_allowed()
    {
        // A user subscribed while the bot was open; the operator then set an allow-list without them. Promise: no digest
        // goes out to them and the subscription is dropped. (This was a bug: digests kept being pushed.)
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 7, 59, 0, TimeSpan.Zero));
        await using var h = await TelegramBotHarness.StartAsync(AllowOnly(Allowed), clock: clock);
        var store = h.Services.GetRequiredService<IDigestSubscriptionStore>();
        foreach (var chat in new[] { Allowed, Stranger })
            await store.SetAsync(new DigestSubscription { ChatId = chat, Time = "08:00", TimeZone = "UTC", SubscribedAt = clock.GetUtcNow().AddDays(-3), SubscribedBy = chat });

        clock.SetUtcNow(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, await h.Services.GetRequiredService<DigestScheduler>().RunDueAsync());

        await h.Server.WaitForAsync("sendMessage", c => c.Long("chat_id") == Allowed);
        Assert.Empty(h.Server.MessagesTo(Stranger));
        Assert.Equal(Allowed, Assert.Single(await store.ListAsync()).ChatId);
    }
}
