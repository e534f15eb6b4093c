using NewsBot.Core.Operations;
using NewsBot.Telegram.Conversation;

namespace NewsBot.Telegram.Commands;

/// <summary>/removefeed URL (bot admins): unregisters the feed; its articles stay searchable.</summary>
public sealed class RemoveFeedCommand(FeedRegistration registration, TelegramSender sender) : ITelegramCommand
{
    public string Name => "removefeed";

    public string Description => "Remove a feed: /removefeed <url>";

    public CommandAccess Access => CommandAccess.BotAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var url = context.Args;
        if (url.Length == 0)
        {
            await sender.ReplyTextAsync(context, "Usage: /removefeed <url> (see /feeds for the registered URLs)", ct).ConfigureAwait(false);
            return;
        }
        var removed = await registration.RemoveAsync(url, $"telegram:{context.UserId}", ct).ConfigureAwait(false);
        await sender.ReplyTextAsync(context, removed
            ? $"Removed the feed {url}. Articles already read stay searchable."
            : "No feed with that URL is registered (see /feeds).", ct).ConfigureAwait(false);
    }
}
