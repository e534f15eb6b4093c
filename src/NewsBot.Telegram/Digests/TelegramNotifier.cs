using NewsBot.Core.Digests;
using NewsBot.Core.Follows;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram.Digests;

/// <summary>A notification certainly not delivered (cancelled before anything was sent): the caller may send it again.</summary>
public sealed class NotificationNotSentException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// What the worker pushes to chats (digests, quiet days, follow updates and endings), through the same sender
/// as answers (its retries and rate limits). A chat Telegram refuses for good (blocked, kicked, gone) becomes
/// <see cref="ChatUnreachableException"/>, so the scheduler drops its subscription and follows. So does a private
/// chat whose user the allow-list (<c>Telegram:AllowedUserIds</c>/<c>AllowedChatIds</c>) no longer lets in: what
/// was subscribed while allowed is not pushed after the operator removed them. (A group's subscription is kept: it
/// was made by one of its admins who was allowed, and NewsBot does not record which.)
/// </summary>
public sealed class TelegramNotifier(TelegramSender sender, AccessPolicy access) : IChatNotifier
{
    public async Task NotifyAsync(long chatId, ChatNotification notification, CancellationToken ct = default)
    {
        if (chatId > 0 && !access.IsAllowed(chatId, chatId))
            throw new ChatUnreachableException($"chat {chatId} is no longer allowed (Telegram:AllowedUserIds/AllowedChatIds)");
        try
        {
            switch (notification)
            {
                case DigestNotification d:
                    await SendDigestAsync(chatId, null, d.Digest, d.Scheduled, null, ct).ConfigureAwait(false);
                    break;
                case QuietDayNotification q:
                    await sender.SendHtmlAsync(chatId, null, DigestFormatter.QuietDay(q.Since), null, null, ct).ConfigureAwait(false);
                    break;
                case FollowUpdateNotification u:
                    await sender.SendHtmlAsync(chatId, null, DigestFormatter.FollowUpdate(u.Update), null, null, ct).ConfigureAwait(false);
                    break;
                case FollowEndedNotification e:
                    await sender.SendHtmlAsync(chatId, null, DigestFormatter.FollowEnded(e.Follow, e.Reason), null, null, ct).ConfigureAwait(false);
                    break;
                default:
                    throw new ArgumentException($"No Telegram form for {notification.GetType().Name}.", nameof(notification));
            }
        }
        catch (TelegramPermanentSendException e)
        {
            throw new ChatUnreachableException(e.Message, e);
        }
        catch (TelegramSendCancelledException e)
        {
            // Stopped while the message waited for its turn under the flood limits: nothing reached the chat. Not a
            // cancellation to the scheduler (that means "maybe sent" and gives nothing back), but a failed send, so the
            // digest day or follow update is given back and sent after the restart instead of being lost.
            throw new NotificationNotSentException(e.Message, e);
        }
    }

    /// <summary>
    /// Sends with <paramref name="commit"/> made right before the first request leaves (<see cref="SendCommit"/>): after the
    /// flood limiter's permit and the request's serialisation, once, not again on a retry. A digest of several parts is
    /// committed before its first part.
    /// </summary>
    public Task<bool> NotifyOnceAsync(long chatId, ChatNotification notification, Func<CancellationToken, Task<bool>> commit,
        CancellationToken ct = default) =>
        SendCommit.RunAsync(commit, () => NotifyAsync(chatId, notification, ct), ct);

    /// <summary>A digest, with a "Follow N" button per story under its last part.</summary>
    public async Task SendDigestAsync(long chatId, int? threadId, Digest digest, bool scheduled, int? replyTo, CancellationToken ct)
    {
        var parts = DigestFormatter.Digest(digest, scheduled);
        var buttons = digest.Stories.Select((s, i) => FollowCallbackHandler.Button(s.StoryId, $"Follow {i + 1}")).OfType<InlineKeyboardButton>().ToList();
        var keyboard = buttons.Count == 0 ? null : new InlineKeyboardMarkup(buttons.Chunk(4).Select(r => r.ToArray()));
        await sender.SendPartsAsync(new TelegramChatContext(chatId, threadId, TelegramChatContext.ConversationIdFor(chatId, threadId), 0, false),
            parts, replyTo, keyboard, ct).ConfigureAwait(false);
    }
}
