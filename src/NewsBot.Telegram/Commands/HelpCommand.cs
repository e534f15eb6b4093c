using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Commands;

/// <summary>/help: how to ask, then every registered command; the admin commands only for the bot's admins.</summary>
public sealed class HelpCommand(TelegramSender sender) : ITelegramCommand
{
    public string Name => "help";

    public string Description => "What I can do";

    public bool RateLimited => false;

    public Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        sender.SendHtmlAsync(context.Chat, Text(context.Commands, context.IsBotAdmin), context.MessageId, null, ct);

    public static string Text(IReadOnlyList<ITelegramCommand> commands, bool admin)
    {
        var lines = new List<string>
        {
            "Ask me about the news: in a private chat just type your question; in a group use /ask, mention me, or reply to one of my messages.",
            "Answers cite their sources as [1] [2]; press <b>Sources</b> under an answer to see the quoted passages.",
            "",
        };
        lines.AddRange(commands.Where(c => c.Access != CommandAccess.BotAdmins).Select(Line));
        if (admin)
        {
            lines.Add("");
            lines.Add("Admin:");
            lines.AddRange(commands.Where(c => c.Access == CommandAccess.BotAdmins).Select(Line));
        }
        return string.Join("\n", lines);
    }

    private static string Line(ITelegramCommand c) => $"/{c.Name} — {TelegramHtml.Escape(c.Description)}";
}
