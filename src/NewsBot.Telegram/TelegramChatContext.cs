using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.Telegram;

/// <summary>Where a reply goes: the chat, its forum topic (if any) and the conversation id for the answer engine.</summary>
public sealed record TelegramChatContext(long ChatId, int? MessageThreadId, string ConversationId, long UserId, bool IsPrivate)
{
    public const string ConversationPrefix = "telegram";

    /// <summary>"telegram:{chatId}", or "telegram:{chatId}:{threadId}" for a forum topic.</summary>
    public static string ConversationIdFor(long chatId, int? topicThreadId) =>
        topicThreadId is { } thread ? $"{ConversationPrefix}:{chatId}:{thread}" : $"{ConversationPrefix}:{chatId}";

    public static TelegramChatContext For(Message m)
    {
        int? topic = m.IsTopicMessage ? m.MessageThreadId : null;
        return new TelegramChatContext(m.Chat.Id, topic, ConversationIdFor(m.Chat.Id, topic), m.From?.Id ?? 0,
            m.Chat.Type == ChatType.Private);
    }
}
