using NewsBot.Core.Follows;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Digests;

/// <summary>/follow &lt;topic&gt; [+word] [-word]: updates when the best-matching story moves (in groups, admins only).</summary>
public sealed class FollowCommand(FollowService follows, TelegramSender sender) : ITelegramCommand
{
    public string Name => "follow";

    public string Description => "Follow a story: /follow harbour bridge closure [+word] [-word]";

    public CommandAccess Access => CommandAccess.ChatAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var r = await follows.FollowTopicAsync(context.Chat.ChatId, context.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries), ct).ConfigureAwait(false);
        await sender.SendLongAsync(context, Reply(r), ct).ConfigureAwait(false);
    }

    /// <summary>What /follow and the Follow button say.</summary>
    public static string Reply(FollowResult r)
    {
        if (r.Error is not null) return TelegramHtml.Escape(r.Error);
        if (r.Story is { } story)
            return $"Following <b>{TelegramHtml.Escape(TelegramHtml.Truncate(story.Title, AnswerFormatter.MaxTitleLength))}</b> " +
                   $"({story.Articles.Count} article{(story.Articles.Count == 1 ? "" : "s")} from {TelegramHtml.Escape(string.Join(", ", story.Outlets))} so far). " +
                   "I'll tell you when something new is reported. /following lists what you follow.";
        return $"No story matches “{TelegramHtml.Escape(r.Follow!.Topic)}” yet; I'll tell you when one does. /following lists what you follow.";
    }
}

/// <summary>/following: the stories this chat follows, numbered for /unfollow.</summary>
public sealed class FollowingCommand(FollowService follows, TelegramSender sender) : ITelegramCommand
{
    public string Name => "following";

    public string Description => "The stories this chat follows";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        await sender.SendLongAsync(context, DigestFormatter.Following(await follows.ListAsync(context.Chat.ChatId, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);
}

/// <summary>/unfollow N|all: stop following (in groups, admins only).</summary>
public sealed class UnfollowCommand(FollowService follows, TelegramSender sender) : ITelegramCommand
{
    public string Name => "unfollow";

    public string Description => "Stop following: /unfollow N (from /following) or /unfollow all";

    public CommandAccess Access => CommandAccess.ChatAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        if (context.Args.Length == 0)
        {
            await sender.SendLongAsync(context, "Which one? " + DigestFormatter.Following(await follows.ListAsync(context.Chat.ChatId, ct).ConfigureAwait(false)), ct).ConfigureAwait(false);
            return;
        }
        var (removed, error) = await follows.UnfollowAsync(context.Chat.ChatId, context.Args, ct).ConfigureAwait(false);
        await sender.ReplyTextAsync(context, error ?? (removed == 1 ? "Stopped following that story." : $"Stopped following {removed} stories."), ct).ConfigureAwait(false);
    }
}

/// <summary>
/// The "Follow this story" button under answers and digest items (callback data "fol:{storyId}"). In groups only
/// the group's admins may press it, as for /follow; anyone else is told so and nothing changes.
/// </summary>
public sealed class FollowCallbackHandler(FollowService follows, IChatAdmins admins, TelegramSender sender) : ITelegramCallbackHandler
{
    public const string CallbackPrefix = "fol";

    public string Prefix => CallbackPrefix;

    public async Task<bool> HandleAsync(global::Telegram.Bot.Types.CallbackQuery query, string argument, CancellationToken ct)
    {
        if (query.Message is not { } message || argument.Length == 0)
            return false;
        if (!await admins.IsChatAdminAsync(message.Chat, query.From.Id, ct).ConfigureAwait(false))
        {
            await sender.AnswerCallbackAsync(query.Id, "Only the group's admins can follow stories here.", ct).ConfigureAwait(false);
            return true;
        }
        var r = await follows.FollowStoryAsync(message.Chat.Id, argument, ct).ConfigureAwait(false);
        await sender.AnswerCallbackAsync(query.Id, r.Error is null ? "Following this story." : TelegramHtml.Truncate(r.Error, 190), ct).ConfigureAwait(false);
        if (r.Error is null)
        {
            int? topic = message.IsTopicMessage ? message.MessageThreadId : null;
            await sender.SendHtmlAsync(message.Chat.Id, topic, FollowCommand.Reply(r), message.MessageId, null, ct).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>The button for a story, or null when its id does not fit Telegram's 64-byte callback data.</summary>
    public static global::Telegram.Bot.Types.ReplyMarkups.InlineKeyboardButton? Button(string storyId, string label = "Follow this story")
    {
        var data = $"{CallbackPrefix}:{storyId}";
        return System.Text.Encoding.UTF8.GetByteCount(data) <= 64 ? global::Telegram.Bot.Types.ReplyMarkups.InlineKeyboardButton.WithCallbackData(label, data) : null;
    }
}
