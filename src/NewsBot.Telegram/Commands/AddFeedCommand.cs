using NewsBot.Core.Operations;
using NewsBot.Telegram.Conversation;

namespace NewsBot.Telegram.Commands;

/// <summary>/addfeed URL (bot admins): <see cref="FeedRegistration"/> as for <c>newsbot feeds add</c>, untrusted (SSRF guard).</summary>
public sealed class AddFeedCommand(FeedRegistration registration, TelegramSender sender) : ITelegramCommand
{
    public string Name => "addfeed";

    public string Description => "Add an RSS/Atom feed: /addfeed <url>";

    public CommandAccess Access => CommandAccess.BotAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var url = context.Args;
        if (url.Length == 0 || url.Contains(' ', StringComparison.Ordinal))
        {
            await sender.ReplyTextAsync(context, "Usage: /addfeed <url of an RSS or Atom feed>", ct).ConfigureAwait(false);
            return;
        }

        var r = await registration.AddAsync(url, $"telegram:{context.UserId}", trusted: false, ct).ConfigureAwait(false);
        var title = string.IsNullOrWhiteSpace(r.Title) ? r.Url : $"“{r.Title}” ({r.Url})";
        await sender.ReplyTextAsync(context, r.Outcome switch
        {
            AddFeedOutcome.InvalidUrl => $"That isn't a web address: {r.Error}.",
            AddFeedOutcome.NotAFeed => $"I couldn't add that feed: {r.Error}",
            AddFeedOutcome.Added => $"Added the feed {title}. New articles appear after its next poll.",
            _ => $"The feed {title} was already registered.",
        }, ct).ConfigureAwait(false);
    }
}
