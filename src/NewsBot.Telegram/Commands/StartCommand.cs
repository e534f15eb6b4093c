using Microsoft.Extensions.Logging;
using NewsBot.Core.Ports;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Commands;

/// <summary>/start: the introduction, with example questions from recent headlines (generic ones when there are none).</summary>
public sealed class StartCommand(IArticleStore articles, TelegramSender sender, TimeProvider time, LogRedaction redaction,
    ILogger<StartCommand> logger) : ITelegramCommand
{
    public string Name => "start";

    public string Description => "Introduction and example questions";

    public bool RateLimited => false;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        await sender.SendHtmlAsync(context.Chat, await TextAsync(ct).ConfigureAwait(false), context.MessageId, null, ct).ConfigureAwait(false);

    private async Task<string> TextAsync(CancellationToken ct)
    {
        var examples = new List<string>();
        try
        {
            var recent = await articles.GetRecentArticlesAsync(time.GetUtcNow().AddDays(-14), 10, ct).ConfigureAwait(false);
            examples.AddRange(recent.Select(a => a.Article.Title.Trim()).Where(t => t.Length is > 0 and <= 120)
                .Distinct(StringComparer.OrdinalIgnoreCase).Take(3).Select(t => $"What is known about \"{t}\"?"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not read recent headlines for /start: {Error}", redaction.Describe(ex));
        }
        string[] generic =
        [
            "What happened in the news today?",
            "What did the central bank decide about interest rates?",
            "What's the latest on the climate talks?",
        ];
        examples.AddRange(generic.Take(3 - examples.Count));

        return "Hi! I answer questions about the news I have read, citing my sources like [1] [2] with links, " +
               "or I tell you honestly when my sources don't cover something.\n\n" +
               "Try asking:\n" + string.Join("\n", examples.Select(e => "• " + TelegramHtml.Escape(e))) + "\n\n" +
               "In groups, mention me or use /ask. Follow-up questions continue the conversation; /new starts over. /help lists all commands.";
    }
}
