using Microsoft.Extensions.Logging;
using NewsBot.Telegram.Formatting;
using Telegram.Bot.Types;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram.Conversation;

/// <summary>
/// The "Sources" button (callback data "src:{token}"): edits the answer to append the quoted passage of
/// each cited source, or — when that would pass 4096 characters, or the edit fails for any reason — sends the
/// passages as a reply. The button press is answered once, before the edit.
/// </summary>
public sealed class SourcesCallbackHandler(SourcesCache cache, TelegramSender sender, LogRedaction redaction,
    ILogger<SourcesCallbackHandler> logger) : ITelegramCallbackHandler
{
    public const string CallbackPrefix = "src";

    public string Prefix => CallbackPrefix;

    public async Task<bool> HandleAsync(CallbackQuery query, string argument, CancellationToken ct)
    {
        var entry = cache.Get(argument);
        // Callback data comes from the client and may be forged or replayed on another message: a token belongs to the
        // one answer it was made for, so a press from another chat or under another message is treated as unknown
        // (else it would show one chat's sources in another, or overwrite another answer with this one's text).
        if (entry is not null && query.Message is { } pressedOn
            && (pressedOn.Chat.Id != entry.ChatId || (entry.MessageId != 0 && pressedOn.MessageId != entry.MessageId)))
            entry = null;
        if (entry is null)
        {
            await sender.AnswerCallbackAsync(query.Id, "These sources are no longer available; please ask again.", ct).ConfigureAwait(false);
            return true;
        }
        if (entry.Expanded)
        {
            await sender.AnswerCallbackAsync(query.Id, "The sources are shown already.", ct).ConfigureAwait(false);
            return true;
        }

        await sender.AnswerCallbackAsync(query.Id, null, ct).ConfigureAwait(false);

        var chatId = query.Message?.Chat.Id ?? entry.ChatId;
        var messageId = query.Message?.MessageId ?? entry.MessageId;
        int? topic = query.Message is { IsTopicMessage: true } msg ? msg.MessageThreadId : null;
        var snippets = AnswerFormatter.SnippetsSection(entry.Citations);
        var combined = entry.LastPartHtml + "\n\n" + snippets;
        var keyboard = entry.OtherButtons.Count > 0 ? new InlineKeyboardMarkup(entry.OtherButtons) : null;

        var edited = false;
        if (combined.Length <= TelegramHtml.MaxMessageLength && messageId != 0)
        {
            try
            {
                await sender.EditHtmlAsync(chatId, messageId, combined, keyboard, ct).ConfigureAwait(false);
                edited = true;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // E.g. the message is too old to edit or was deleted, or Telegram kept failing (5xx) after the
                // sender's retries: fall back to a new message rather than running the button press again.
                logger.LogInformation("Could not edit the answer to show sources, sending them instead: {Error}", redaction.Describe(e));
            }
        }
        if (!edited)
        {
            var parts = HtmlSplitter.Split(snippets);
            for (var i = 0; i < parts.Count; i++)
                await sender.SendHtmlAsync(chatId, topic, parts[i], i == 0 && messageId != 0 ? messageId : null, null, ct).ConfigureAwait(false);
        }
        entry.Expanded = true;
        return true;
    }
}
