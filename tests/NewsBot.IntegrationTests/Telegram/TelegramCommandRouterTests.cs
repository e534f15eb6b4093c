using System.Text.Json.Nodes;
using NewsBot.Telegram;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// The command router through the real Telegram.Bot client: addressing (/cmd@ThisBot, other bots' commands),
/// unknown commands, per-command access (bot admins; group admins via getChatMember), the apology for a failing
/// command, and /help and the command menu generated from the registered commands, including ones a test adds.
/// </summary>
public sealed class TelegramCommandRouterTests
{
    private const long User = TelegramBotHarness.UserId;
    private const long Admin = TelegramBotHarness.AdminId;
    private const long Group = -1001234567890;
    private const long GroupAdmin = 55;

    private static Task<TelegramBotHarness> StartAsync() => TelegramBotHarness.StartAsync(services: s =>
    {
        s.AddTelegramCommand<AlertsCommand>();
        s.AddTelegramCommand<BoomCommand>();
    });

    /// <summary>Sends <paramref name="ignored"/>, then "/help" as a marker in the same chat, and returns what was sent.</summary>
    private static async Task<IReadOnlyList<ApiCall>> SentAfterAsync(TelegramBotHarness bot, long chat, long user, string ignored, string chatType)
    {
        bot.Server.SendText(chat, user, ignored, chatType);
        bot.Server.SendText(chat, user, "/help", chatType);
        await bot.Server.WaitForAsync("sendMessage", m => m.Long("chat_id") == chat && m.Text.StartsWith("Ask me about the news", StringComparison.Ordinal));
        await FakeBotApiServer.EventuallyAsync(() => bot.Inbox.PendingCount == 0, "both updates handled");
        return bot.Server.MessagesTo(chat);
    }

    [Fact]
    public async Task A_command_addressed_to_this_bot_runs_in_groups_and_one_for_another_bot_is_ignored()
    {
        await using var bot = await StartAsync();
        bot.Server.SendText(Group, User, $"/ask@{FakeBotApiServer.BotUsername} What did the council decide?", "supergroup");
        await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal("What did the council decide?", Assert.Single(bot.Answers.Requests).Question);

        var sent = await SentAfterAsync(bot, Group, User, "/ask@SomeOtherBot What did the council decide?", "supergroup");
        Assert.Equal(2, sent.Count); // the answer and /help: nothing for the other bot's command
        Assert.Single(bot.Answers.Requests);

        sent = await SentAfterAsync(bot, User, User, "/ask@SomeOtherBot Who won?", "private");
        Assert.Single(sent);
    }

    [Fact]
    public async Task Unknown_commands_get_the_usual_reply_when_addressed_and_bare_ones_in_groups_are_ignored()
    {
        await using var bot = await StartAsync();
        var sent = await SentAfterAsync(bot, Group, User, "/frobnicate", "supergroup");
        Assert.Single(sent);

        bot.Server.SendText(Group, User, $"/frobnicate@{FakeBotApiServer.BotUsername}", "supergroup");
        var unknown = await bot.Server.WaitForAsync("sendMessage", count: 2);
        Assert.Equal("Unknown command /frobnicate, see /help.", unknown.Text);
    }

    [Fact]
    public async Task Bot_admin_commands_are_refused_to_others_in_groups_too()
    {
        await using var bot = await StartAsync();
        bot.Server.SendText(Group, User, $"/status@{FakeBotApiServer.BotUsername}", "supergroup");
        var refused = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal("Sorry, /status is only available to this bot's administrators.", refused.Text);
    }

    [Fact]
    public async Task A_group_admin_command_runs_for_the_groups_admins_and_in_private_chats_and_is_refused_to_other_members()
    {
        await using var bot = await StartAsync();
        bot.Server.ChatAdministrators[(Group, GroupAdmin)] = true;

        bot.Server.SendText(Group, User, "/alerts", "supergroup");
        var refused = await bot.Server.WaitForAsync("sendMessage");
        Assert.Equal("Sorry, in groups only the group's administrators can use /alerts.", refused.Text);

        bot.Server.SendText(Group, GroupAdmin, "/alerts", "supergroup");
        Assert.Equal($"subscribed {Group}", (await bot.Server.WaitForAsync("sendMessage", count: 2)).Text);

        bot.Server.SendText(Group, Admin, "/alerts", "supergroup"); // the bot's admin, no admin of the group
        Assert.Equal($"subscribed {Group}", (await bot.Server.WaitForAsync("sendMessage", count: 3)).Text);

        bot.Server.SendText(User, User, "/alerts");
        Assert.Equal($"subscribed {User}", (await bot.Server.WaitForAsync("sendMessage", count: 4)).Text);

        // An anonymous admin writes as the group itself: no getChatMember needed.
        var asked = bot.Server.CallsTo("getChatMember").Count;
        bot.Server.Enqueue(_ =>
        {
            var m = Updates.Message((int)bot.Server.NextMessageId(), Group, 0, "/alerts", "supergroup");
            m["from"] = Updates.User(1087968824, isBot: true, username: "GroupAnonymousBot");
            m["sender_chat"] = Updates.Chat(Group, "supergroup");
            return new JsonObject { ["message"] = m };
        });
        Assert.Equal($"subscribed {Group}", (await bot.Server.WaitForAsync("sendMessage", count: 5)).Text);
        Assert.Equal(asked, bot.Server.CallsTo("getChatMember").Count);
        Assert.Equal(2, asked); // the member and the group admin; the bot's admin needs no look-up
    }

    [Fact]
    public async Task A_failing_command_gets_an_apology_and_the_next_message_is_handled()
    {
        await using var bot = await StartAsync();
        bot.Server.SendText(User, User, "/boom");
        Assert.Equal("Sorry, /boom failed: please try again in a moment.", (await bot.Server.WaitForAsync("sendMessage")).Text);
        Assert.Contains("database is locked", bot.AllLogs);
        bot.Server.SendText(User, User, "/alerts");
        Assert.Equal($"subscribed {User}", (await bot.Server.WaitForAsync("sendMessage", count: 2)).Text);
    }

    [Fact]
    public async Task Help_and_the_command_menu_list_the_registered_commands_admin_ones_only_for_admins()
    {
        await using var bot = await StartAsync();
        bot.Server.SendText(User, User, "/help");
        var help = (await bot.Server.WaitForAsync("sendMessage")).Text;
        Assert.Contains("/alerts — Subscribe this chat to the digest", help);
        Assert.Contains("/ask — Ask a question about the news", help);
        Assert.DoesNotContain("/status", help);

        bot.Server.SendText(Admin, Admin, "/help");
        var adminHelp = (await bot.Server.WaitForAsync("sendMessage", count: 2)).Text;
        Assert.Contains("Admin:\n/addfeed — Add an RSS/Atom feed: /addfeed &lt;url&gt;\n/removefeed", adminHelp);
        Assert.Contains("/status — Index and ingestion status", adminHelp);

        await FakeBotApiServer.EventuallyAsync(() => bot.Server.CallsTo("setMyCommands").Count >= 2, "both command menus set");
        var menus = bot.Server.CallsTo("setMyCommands");
        string[] Names(ApiCall c) => [.. c.Params["commands"]!.AsArray().Select(x => x!["command"]!.ToString())];
        var everyone = menus.Single(c => c.Params["scope"] is null);
        Assert.Equal(["ask", "new", "sources", "feeds", "help", "start", "stories", "digest", "subscribe", "unsubscribe", "settings", "follow", "following", "unfollow", "alerts", "boom"], Names(everyone));
        var admins = menus.Single(c => c.Params["scope"] is not null);
        Assert.Equal(["ask", "new", "sources", "feeds", "help", "start", "stories", "digest", "subscribe", "unsubscribe", "settings", "follow", "following", "unfollow", "alerts", "boom", "addfeed", "removefeed", "status"], Names(admins));
    }

    private sealed class AlertsCommand(TelegramSender sender) : ITelegramCommand
    {
        public string Name => "alerts";

        public string Description => "Subscribe this chat to the digest";

        public CommandAccess Access => CommandAccess.ChatAdmins;

        public Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
            sender.ReplyTextAsync(context, $"subscribed {context.Chat.ChatId}", ct);
    }

    private sealed class BoomCommand : ITelegramCommand
    {
        public string Name => "boom";

        public string Description => "Always fails";

        public Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
            throw new InvalidOperationException("database is locked");
    }
}
