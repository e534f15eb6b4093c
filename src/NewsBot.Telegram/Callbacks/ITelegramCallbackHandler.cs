using Telegram.Bot.Types;

namespace NewsBot.Telegram;

/// <summary>
/// Handles inline-button presses whose callback data is "{Prefix}:{argument}" (64 bytes at most, Telegram's limit).
/// Adding a button = one class implementing this plus one line in
/// <see cref="TelegramServiceCollectionExtensions.AddNewsBotTelegram"/>: <c>services.AddTelegramCallback&lt;MyHandler&gt;();</c>.
/// The <see cref="Callbacks.TelegramCallbackRouter"/> checks access and always answers the callback query when the
/// handler did not. The "Sources" button is one (<see cref="Conversation.SourcesCallbackHandler"/>, prefix "src").
/// </summary>
public interface ITelegramCallbackHandler
{
    string Prefix { get; }

    /// <summary>Handles the press; returns true when it answered the callback query itself.</summary>
    Task<bool> HandleAsync(CallbackQuery query, string argument, CancellationToken ct);
}
