using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.Telegram.Commands;

/// <summary>Whether the sender of a message administers the chat it was sent in (for <see cref="CommandAccess.ChatAdmins"/>).</summary>
public interface IChatAdmins
{
    Task<bool> IsChatAdminAsync(Message message, CancellationToken ct);

    /// <summary>The same for a button press: <paramref name="userId"/> pressed it in <paramref name="chat"/>.</summary>
    Task<bool> IsChatAdminAsync(Chat chat, long userId, CancellationToken ct);
}

/// <summary>
/// Private chats: yes. An anonymous group admin (sender_chat is the group itself): yes. Otherwise Telegram's
/// getChatMember decides (creator or administrator); when Telegram refuses to say, the answer is no.
/// </summary>
public sealed class TelegramChatAdmins(ITelegramBotClient bot, LogRedaction redaction, ILogger<TelegramChatAdmins> logger) : IChatAdmins
{
    public async Task<bool> IsChatAdminAsync(Message message, CancellationToken ct)
    {
        if (message.Chat.Type == ChatType.Private || message.SenderChat?.Id == message.Chat.Id)
            return true;
        if (message.From is null)
            return false;
        return await IsMemberAdminAsync(message.Chat.Id, message.From.Id, ct).ConfigureAwait(false);
    }

    public async Task<bool> IsChatAdminAsync(Chat chat, long userId, CancellationToken ct) =>
        chat.Type == ChatType.Private || await IsMemberAdminAsync(chat.Id, userId, ct).ConfigureAwait(false);

    private async Task<bool> IsMemberAdminAsync(long chatId, long userId, CancellationToken ct)
    {
        try
        {
            var member = await bot.GetChatMember(chatId, userId, ct).ConfigureAwait(false);
            return member.Status is ChatMemberStatus.Creator or ChatMemberStatus.Administrator;
        }
        catch (ApiRequestException e)
        {
            logger.LogInformation("getChatMember for user {UserId} in chat {ChatId} failed, treating them as no admin: {Error}",
                userId, chatId, redaction.Describe(e));
            return false;
        }
    }
}
