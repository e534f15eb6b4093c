using NewsBot.Telegram.Commands;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.Telegram.Conversation;

/// <summary>What a message addressed to the bot asks for: a command, a question, or (NonText) something the bot cannot read.</summary>
/// <param name="Command">The command name, lower case, without '/' and '@bot'; null for a question.</param>
/// <param name="Args">The text after the command, trimmed.</param>
/// <param name="Question">The question (mentions of the bot removed); null for a command.</param>
public sealed record AddressedMessage(string? Command, string Args, string? Question, bool NonText);

/// <summary>
/// Decides whether a message is addressed to the bot. Private chats: any text is a question, any /command is
/// for the bot. Groups: /cmd@ThisBot, a bare /cmd the bot knows, messages that @mention the bot (the whole
/// token) and replies to the bot's messages; everything else (including /cmd@OtherBot) is not for the bot.
/// </summary>
public sealed class MessageClassifier(BotIdentity identity, IEnumerable<ITelegramCommand> commands)
{
    private readonly HashSet<string> _known = [.. commands.Select(c => c.Name)];

    /// <summary>The request, or null when the message is not addressed to the bot.</summary>
    public AddressedMessage? Classify(Message m)
    {
        var isPrivate = m.Chat.Type == ChatType.Private;
        var replyToBot = m.ReplyToMessage?.From?.Id is { } to && to == identity.Id;
        var text = m.Text?.Trim();

        if (string.IsNullOrEmpty(text))
            return isPrivate || replyToBot ? new AddressedMessage(null, "", null, NonText: true) : null;

        if (text.StartsWith('/'))
        {
            var end = text.IndexOfAny([' ', '\n', '\t']);
            var head = end < 0 ? text[1..] : text[1..end];
            var args = end < 0 ? "" : text[(end + 1)..].Trim();
            var at = head.IndexOf('@');
            var name = (at < 0 ? head : head[..at]).ToLowerInvariant();
            var target = at < 0 ? null : head[(at + 1)..];
            if (target is not null && !target.Equals(identity.Username, StringComparison.OrdinalIgnoreCase))
                return null; // a command for another bot
            if (!isPrivate && target is null && !_known.Contains(name))
                return null; // a bare unknown command in a group is probably for another bot
            if (name.Length == 0)
                return null;
            return new AddressedMessage(name, args, null, false);
        }

        if (isPrivate)
            return new AddressedMessage(null, "", text, false);

        var mentions = Mentions.Find(m, identity.Username);
        if (mentions.Count > 0)
            return new AddressedMessage(null, "", Mentions.Strip(m.Text!, mentions), false);

        return replyToBot ? new AddressedMessage(null, "", text, false) : null;
    }
}
