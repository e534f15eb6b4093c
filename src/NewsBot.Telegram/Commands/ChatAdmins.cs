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
        try
        {
            var member = await bot.GetChatMember(message.Chat.Id, message.From.Id, ct).ConfigureAwait(false);
            return member.Status is ChatMemberStatus.Creator or ChatMemberStatus.Administrator;
        }
        catch (ApiRequestException e)
        {
            logger.LogInformation("getChatMember for user {UserId} in chat {ChatId} failed, treating them as no admin: {Error}",
                message.From.Id, message.Chat.Id, redaction.Describe(e));
            return false;
        }
    }
}
