using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;
using Telegram.Bot.Types;

namespace NewsBot.Telegram.Commands;

/// <summary>Who may run a command.</summary>
public enum CommandAccess
{
    Everyone,

    /// <summary>Anyone in a private chat; in groups only the group's administrators (and the bot's admins).</summary>
    ChatAdmins,

    /// <summary>Only <see cref="TelegramOptions.AdminUserIds"/>; listed under "Admin:" in /help and in the admins' menu.</summary>
    BotAdmins,
}

/// <summary>
/// One slash command. Adding a command = one class implementing this (constructor-inject only what it needs)
/// plus one line in <see cref="TelegramServiceCollectionExtensions.AddNewsBotTelegram"/>:
/// <c>services.AddTelegramCommand&lt;MyCommand&gt;();</c>. The router does the rest: access checks, the
/// "failed, try again" apology, /help and the Telegram command menu (in registration order).
/// </summary>
public interface ITelegramCommand
{
    /// <summary>The command without '/', lower case (Telegram allows a-z, 0-9 and '_').</summary>
    string Name { get; }

    /// <summary>One line for /help and the command menu.</summary>
    string Description { get; }

    CommandAccess Access => CommandAccess.Everyone;

    /// <summary>False for commands that must work even when the user is rate limited (/start, /help).</summary>
    bool RateLimited => true;

    Task HandleAsync(TelegramCommandContext context, CancellationToken ct);
}

/// <summary>A command as the router hands it to its handler.</summary>
/// <param name="Args">The text after the command, trimmed ("" when none).</param>
/// <param name="IsBotAdmin">Whether the sender is in <see cref="TelegramOptions.AdminUserIds"/>.</param>
/// <param name="Commands">Every registered command, in registration order (for /help).</param>
public sealed record TelegramCommandContext(
    Message Message, TelegramChatContext Chat, string Args, bool IsBotAdmin, IReadOnlyList<ITelegramCommand> Commands)
{
    public int MessageId => Message.MessageId;

    public long UserId => Message.From?.Id ?? 0;
}

public static class TelegramSenderExtensions
{
    /// <summary>Sends HTML of any length as a reply, split into messages of at most 4096 characters.</summary>
    public static async Task SendLongAsync(this TelegramSender sender, TelegramCommandContext context, string html, CancellationToken ct) =>
        await sender.SendPartsAsync(context.Chat, HtmlSplitter.Split(html), context.MessageId, null, ct).ConfigureAwait(false);

    public static Task<Message> ReplyTextAsync(this TelegramSender sender, TelegramCommandContext context, string text, CancellationToken ct) =>
        sender.ReplyTextAsync(context.Chat, context.MessageId, text, ct);
}
