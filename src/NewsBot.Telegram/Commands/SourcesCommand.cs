using NewsBot.Core.Ports;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Commands;

/// <summary>/sources: the outlets read, most articles first (at most 100 listed).</summary>
public sealed class SourcesCommand(IArticleStore articles, TelegramSender sender) : ITelegramCommand
{
    public string Name => "sources";

    public string Description => "Outlets I have read, with article counts";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        await sender.SendLongAsync(context, await TextAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    private async Task<string> TextAsync(CancellationToken ct)
    {
        var outlets = await articles.GetOutletsAsync(ct).ConfigureAwait(false);
        if (outlets.Count == 0)
            return "I haven't read any articles yet.";
        var total = outlets.Sum(o => o.Articles);
        var lines = outlets.OrderByDescending(o => o.Articles).ThenBy(o => o.Outlet, StringComparer.OrdinalIgnoreCase).Take(100)
            .Select(o => $"• {TelegramHtml.Escape(TelegramHtml.Truncate(o.Outlet, 100))} — {o.Articles} article{(o.Articles == 1 ? "" : "s")}" +
                         (o.Newest is { } n ? $", newest {TelegramHtml.Date(n)}" : ""));
        var more = outlets.Count > 100 ? $"\n… and {outlets.Count - 100} more." : "";
        return $"<b>Sources</b>: {outlets.Count} outlet{(outlets.Count == 1 ? "" : "s")}, {total} article{(total == 1 ? "" : "s")}\n" +
               string.Join("\n", lines) + more;
    }
}
