using NewsBot.Core.Answering;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram;

/// <summary>Where a reply goes: the chat, its forum topic (if any) and the conversation id for the answer engine.</summary>
public sealed record TelegramChatContext(long ChatId, int? MessageThreadId, string ConversationId, long UserId, bool IsPrivate);

/// <summary>
/// EXTENSION POINT — buttons added under an answer next to "Sources".
/// A future "Follow this story" feature registers an implementation (e.g. a button with callback data
/// "follow:{token}", ≤ 64 bytes) and an <see cref="ITelegramCallbackHandler"/> with the same prefix.
/// Register with <c>services.AddSingleton&lt;ITelegramAnswerButtons, …&gt;()</c>; none exist today.
/// </summary>
public interface ITelegramAnswerButtons
{
    IEnumerable<InlineKeyboardButton> GetButtons(AnswerResult answer, TelegramChatContext chat);
}

/// <summary>
/// Handles inline-button presses whose callback data is "{Prefix}:{argument}". The dispatcher always
/// answers the callback query when the handler did not. The "Sources" button is one ("src").
/// </summary>
public interface ITelegramCallbackHandler
{
    string Prefix { get; }

    /// <summary>Handles the press; returns true when it answered the callback query itself.</summary>
    Task<bool> HandleAsync(CallbackQuery query, string argument, CancellationToken ct);
}
