using Microsoft.Extensions.Logging;
using NewsBot.Telegram.Callbacks;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.Telegram;

/// <summary>
/// Handles one Telegram update (the entry point <see cref="TelegramUpdateDispatcher"/> calls): decides whether the
/// bot is addressed (<see cref="MessageClassifier"/>), applies access control and the rate limit, then hands
/// commands to the <see cref="TelegramCommandRouter"/>, questions to the <see cref="QuestionAnswerer"/> and
/// inline-button presses to the <see cref="TelegramCallbackRouter"/>.
/// <para>
/// Messages from bots are ignored, except anonymous group admins and channels posting on behalf of a chat.
/// Edited messages are ignored (they are not requested from Telegram): to ask again, send a new message.
/// </para>
/// </summary>
public sealed class TelegramUpdateHandler(
    BotIdentity identity,
    TelegramSender sender,
    AccessPolicy access,
    UserRateLimiter rateLimiter,
    MessageClassifier classifier,
    TelegramCommandRouter commands,
    TelegramCallbackRouter callbacks,
    QuestionAnswerer questions,
    ILogger<TelegramUpdateHandler> logger)
{
    public async Task HandleAsync(Update update, CancellationToken ct)
    {
        await identity.WaitAsync(ct).ConfigureAwait(false);
        switch (update)
        {
            case { Message: { } message }:
                await HandleMessageAsync(message, ct).ConfigureAwait(false);
                break;
            case { CallbackQuery: { } query }:
                await callbacks.RouteAsync(query, ct).ConfigureAwait(false);
                break;
            default:
                logger.LogDebug("Ignoring Telegram update {UpdateId} of type {Type}", update.Id, update.Type);
                break;
        }
    }

    private async Task HandleMessageAsync(Message m, CancellationToken ct)
    {
        // Bots are ignored, except the stand-ins Telegram uses for an anonymous group admin (GroupAnonymousBot) or a
        // channel writing in a group (Channel_Bot): they come with sender_chat, the chat the message is sent on behalf of.
        if (m.From is null || (m.From.IsBot && m.SenderChat is null) ||
            m.Chat.Type is not (ChatType.Private or ChatType.Group or ChatType.Supergroup))
            return;

        var addressed = classifier.Classify(m);
        if (addressed is null)
            return;

        var chat = TelegramChatContext.For(m);
        switch (access.Check(m.From.Id, m.Chat.Id))
        {
            case AccessDecision.Ignore:
                return;
            case AccessDecision.RefuseOnce:
                logger.LogInformation("Refusing Telegram user {UserId} in chat {ChatId}: not in Telegram:AllowedUserIds/AllowedChatIds",
                    m.From.Id, m.Chat.Id);
                await sender.ReplyTextAsync(chat, m.MessageId,
                    "Sorry, this is a private news bot: its operator has not enabled it for you. I won't reply to further messages.", ct).ConfigureAwait(false);
                return;
        }

        if (addressed.Command is not { } name || commands.IsRateLimited(name))
        {
            // Anonymous admins and channels share one bot account across all chats: limit them per sender chat.
            var rate = rateLimiter.Check(m.SenderChat?.Id ?? m.From.Id);
            if (!rate.Allowed)
            {
                if (rate.Notify)
                {
                    var seconds = Math.Max(1, (int)Math.Ceiling(rate.RetryAfter.TotalSeconds));
                    await sender.ReplyTextAsync(chat, m.MessageId,
                        $"You're sending messages faster than I can answer them. Please try again in about {seconds} second{(seconds == 1 ? "" : "s")}.", ct).ConfigureAwait(false);
                }
                return;
            }
        }

        if (addressed.NonText)
        {
            await sender.ReplyTextAsync(chat, m.MessageId,
                "I can only read text. Please type your question" + (chat.IsPrivate ? "." : ", e.g. /ask What happened today?"), ct).ConfigureAwait(false);
            return;
        }

        if (addressed.Command is { } command)
            await commands.RouteAsync(m, chat, command, addressed.Args, ct).ConfigureAwait(false);
        else
            await questions.AnswerAsync(m, chat, addressed.Question ?? "", ct).ConfigureAwait(false);
    }
}
