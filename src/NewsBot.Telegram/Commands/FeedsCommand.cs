using NewsBot.Core.Ports;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Commands;

/// <summary>/feeds: the registered feeds with their last poll and last error (at most 100 listed).</summary>
public sealed class FeedsCommand(IFeedStore feeds, TelegramSender sender) : ITelegramCommand
{
    public string Name => "feeds";

    public string Description => "Registered news feeds and their state";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        await sender.SendLongAsync(context, await TextAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    private async Task<string> TextAsync(CancellationToken ct)
    {
        var list = await feeds.ListFeedsAsync(ct).ConfigureAwait(false);
        if (list.Count == 0)
            return "No feeds are registered yet.";
        var lines = list.OrderBy(f => f.Title ?? f.Url, StringComparer.OrdinalIgnoreCase).Take(100).Select(f =>
        {
            var line = $"• {TelegramHtml.Escape(TelegramHtml.Truncate(f.Title ?? f.Url, 100))}\n  {TelegramHtml.Escape(f.Url)}\n  last poll {TelegramHtml.DateTime(f.LastPolledAt)}";
            if (!string.IsNullOrWhiteSpace(f.LastError))
                line += $"; <i>last error: {TelegramHtml.Escape(TelegramHtml.Truncate(f.LastError, 200))}</i>";
            return line;
        });
        var more = list.Count > 100 ? $"\n… and {list.Count - 100} more." : "";
        return $"<b>Feeds</b> ({list.Count})\n" + string.Join("\n", lines) + more;
    }
}
