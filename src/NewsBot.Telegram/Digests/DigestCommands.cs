using NewsBot.Core.Digests;
using NewsBot.Core.Time;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Digests;

/// <summary>/digest [24h|48h|7d] [N]: the top stories now, each with a cited summary and a Follow button.</summary>
public sealed class DigestCommand(DigestComposer composer, DigestOptions options, TelegramNotifier notifier, TimeProvider time, TelegramSender sender) : ITelegramCommand
{
    public string Name => "digest";

    public string Description => "Top stories now: /digest [24h|48h|7d] [how many]";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var since = now - options.Window;
        var top = options.Top;
        foreach (var arg in context.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(arg, out var n) && n is >= 1 and <= 20) top = n;
            else if (TimeExpressions.ParseSince(arg, now, TimeZoneInfo.Utc, out var error) is { } s && error is null && s < now) since = s;
            else
            {
                await sender.ReplyTextAsync(context, $"I didn't understand “{TelegramHtml.Truncate(arg, 40)}”. Usage: /digest [24h|48h|7d] [1–20], e.g. /digest 48h 3", ct).ConfigureAwait(false);
                return;
            }
        }
        var digest = await composer.ComposeAsync(new DigestRequest { Since = since, Until = now, Top = top }, ct).ConfigureAwait(false);
        await notifier.SendDigestAsync(context.Chat.ChatId, context.Chat.MessageThreadId, digest, scheduled: false, context.MessageId, ct).ConfigureAwait(false);
    }
}

/// <summary>/subscribe [HH:MM] [Area/City] [+word] [-word]: a daily digest for this chat (in groups, admins only).</summary>
public sealed class SubscribeCommand(IDigestSubscriptionStore subscriptions, DigestOptions options, TimeProvider time, TelegramSender sender) : ITelegramCommand
{
    public string Name => "subscribe";

    public string Description => "Daily digest: /subscribe [08:00] [Europe/London] [-sport +bridge]";

    public CommandAccess Access => CommandAccess.ChatAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var filter = KeywordFilter.Parse(context.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries), out var rest);
        string timeText = options.DefaultTime, zone = options.DefaultTimeZone;
        foreach (var arg in rest)
        {
            if (arg.Contains(':') && arg.Any(char.IsDigit) && !arg.Contains('/')) timeText = arg;
            else zone = arg;
        }
        if (rest.Count > 2)
        {
            await sender.ReplyTextAsync(context, "Usage: /subscribe [HH:MM] [time zone such as Europe/Kyiv] [+word] [-word]", ct).ConfigureAwait(false);
            return;
        }
        var schedule = DailySchedule.TryParse(timeText, zone, out var error);
        if (schedule is null)
        {
            await sender.ReplyTextAsync(context, error + " Usage: /subscribe [HH:MM] [time zone] [+word] [-word]", ct).ConfigureAwait(false);
            return;
        }
        await subscriptions.SetAsync(new DigestSubscription
        {
            ChatId = context.Chat.ChatId,
            Time = schedule.TimeText,
            TimeZone = schedule.Zone.Id,
            Filter = filter,
            SubscribedAt = time.GetUtcNow(),
            SubscribedBy = context.UserId == 0 ? null : context.UserId,
        }, ct).ConfigureAwait(false);
        var filterText = filter.IsEmpty ? "" : $" Filter: {filter}.";
        await sender.ReplyTextAsync(context, $"Subscribed: a daily digest at {schedule.TimeText} ({schedule.Zone.Id}).{filterText} /settings shows it, /unsubscribe stops it.", ct).ConfigureAwait(false);
    }
}

/// <summary>/unsubscribe: no more daily digests here (in groups, admins only).</summary>
public sealed class UnsubscribeCommand(IDigestSubscriptionStore subscriptions, TelegramSender sender) : ITelegramCommand
{
    public string Name => "unsubscribe";

    public string Description => "Stop the daily digest";

    public CommandAccess Access => CommandAccess.ChatAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var removed = await subscriptions.RemoveAsync(context.Chat.ChatId, ct).ConfigureAwait(false);
        await sender.ReplyTextAsync(context, removed ? "Unsubscribed: no more daily digests here." : "This chat has no daily digest.", ct).ConfigureAwait(false);
    }
}

/// <summary>/settings: what this chat gets (its daily digest and the stories it follows).</summary>
public sealed class SettingsCommand(IDigestSubscriptionStore subscriptions, NewsBot.Core.Follows.IFollowStore follows, TelegramSender sender) : ITelegramCommand
{
    public string Name => "settings";

    public string Description => "What this chat gets: daily digest and followed stories";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var sub = await subscriptions.GetAsync(context.Chat.ChatId, ct).ConfigureAwait(false);
        var followed = await follows.ListAsync(context.Chat.ChatId, ct).ConfigureAwait(false);
        var digest = sub is null
            ? "Daily digest: none (/subscribe 08:00 Europe/London)."
            : $"Daily digest: {sub.Time} ({TelegramHtml.Escape(sub.TimeZone)}){(sub.Filter.IsEmpty ? "" : $", filter {TelegramHtml.Escape(sub.Filter.ToString())}")}.";
        await sender.SendLongAsync(context, $"<b>Settings</b>\n{digest}\n\n{DigestFormatter.Following(followed)}", ct).ConfigureAwait(false);
    }
}
