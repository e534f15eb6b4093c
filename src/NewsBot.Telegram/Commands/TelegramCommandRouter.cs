using Microsoft.Extensions.Logging;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace NewsBot.Telegram.Commands;

/// <summary>
/// Runs a slash command: finds its <see cref="ITelegramCommand"/>, checks <see cref="ITelegramCommand.Access"/>,
/// and turns a failure (e.g. "database is locked") into a short apology. Failures to send (Telegram errors)
/// propagate: the dispatcher retries the update or gives up on it.
/// </summary>
public sealed class TelegramCommandRouter
{
    private readonly Dictionary<string, ITelegramCommand> _byName;
    private readonly AccessPolicy _access;
    private readonly IChatAdmins _chatAdmins;
    private readonly TelegramSender _sender;
    private readonly LogRedaction _redaction;
    private readonly ILogger<TelegramCommandRouter> _logger;

    public TelegramCommandRouter(IEnumerable<ITelegramCommand> commands, AccessPolicy access, IChatAdmins chatAdmins,
        TelegramSender sender, LogRedaction redaction, ILogger<TelegramCommandRouter> logger)
    {
        Commands = [.. commands];
        _byName = new Dictionary<string, ITelegramCommand>(StringComparer.Ordinal);
        foreach (var c in Commands)
        {
            if (!_byName.TryAdd(c.Name, c))
                throw new InvalidOperationException($"Two Telegram commands are named /{c.Name}: {_byName[c.Name].GetType().Name} and {c.GetType().Name}.");
        }
        _access = access;
        _chatAdmins = chatAdmins;
        _sender = sender;
        _redaction = redaction;
        _logger = logger;
    }

    /// <summary>Every registered command, in registration order.</summary>
    public IReadOnlyList<ITelegramCommand> Commands { get; }

    /// <summary>Whether a command counts against the sender's rate limit (unknown commands do).</summary>
    public bool IsRateLimited(string name) => !_byName.TryGetValue(name, out var c) || c.RateLimited;

    /// <summary>The command menu: everyone's commands, or (admins) all of them.</summary>
    public IReadOnlyList<BotCommand> Menu(bool admin) =>
        [.. Commands.Where(c => admin || c.Access != CommandAccess.BotAdmins).OrderBy(c => c.Access == CommandAccess.BotAdmins)
            .Select(c => new BotCommand(c.Name, c.Description))];

    public async Task RouteAsync(Message m, TelegramChatContext chat, string name, string args, CancellationToken ct)
    {
        if (!_byName.TryGetValue(name, out var command))
        {
            await _sender.ReplyTextAsync(chat, m.MessageId, $"Unknown command /{TelegramHtml.Truncate(name, 40)}, see /help.", ct).ConfigureAwait(false);
            return;
        }

        var userId = m.From?.Id ?? 0;
        var isBotAdmin = _access.IsAdmin(userId);
        if (command.Access == CommandAccess.BotAdmins && !isBotAdmin)
        {
            await _sender.ReplyTextAsync(chat, m.MessageId, $"Sorry, /{name} is only available to this bot's administrators.", ct).ConfigureAwait(false);
            return;
        }
        if (command.Access == CommandAccess.ChatAdmins && !isBotAdmin && !await _chatAdmins.IsChatAdminAsync(m, ct).ConfigureAwait(false))
        {
            await _sender.ReplyTextAsync(chat, m.MessageId, $"Sorry, in groups only the group's administrators can use /{name}.", ct).ConfigureAwait(false);
            return;
        }

        try
        {
            await command.HandleAsync(new TelegramCommandContext(m, chat, args, isBotAdmin, Commands), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or RequestException or TelegramPermanentSendException))
        {
            // E.g. "database is locked": tell the user instead of leaving them without a reply.
            _logger.LogError("Telegram command /{Command} in {ConversationId} failed: {Error}", name, chat.ConversationId, _redaction.Describe(ex));
            await _sender.ReplyTextAsync(chat, m.MessageId, $"Sorry, /{TelegramHtml.Truncate(name, 40)} failed: please try again in a moment.", ct).ConfigureAwait(false);
        }
    }
}
