using Microsoft.Extensions.Logging;
using NewsBot.Telegram.Formatting;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram.Conversation;

/// <summary>
/// Sends HTML messages (link previews off, into the right forum topic, replying where asked). The client
/// retries 429 "retry after" itself up to its threshold; this adds a last retry for longer waits.
/// </summary>
public sealed class TelegramSender(ITelegramBotClient bot, TimeProvider time, LogRedaction redaction, ILogger<TelegramSender> logger)
{
    private const int MaxAttempts = 3;
    private const int MaxRetryAfterSeconds = 300;

    public Task<Message> SendHtmlAsync(TelegramChatContext chat, string html, int? replyToMessageId = null,
        InlineKeyboardMarkup? keyboard = null, CancellationToken ct = default) =>
        SendHtmlAsync(chat.ChatId, chat.MessageThreadId, html, replyToMessageId, keyboard, ct);

    public Task<Message> SendHtmlAsync(long chatId, int? messageThreadId, string html, int? replyToMessageId = null,
        InlineKeyboardMarkup? keyboard = null, CancellationToken ct = default) =>
        WithRetryAsync("sendMessage", () => bot.SendMessage(
            chatId,
            html,
            ParseMode.Html,
            replyParameters: replyToMessageId is { } id ? new ReplyParameters { MessageId = id, AllowSendingWithoutReply = true } : null,
            replyMarkup: keyboard,
            linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true },
            messageThreadId: messageThreadId,
            cancellationToken: ct), ct);

    /// <summary>Sends each part in order; the first replies to <paramref name="replyToMessageId"/>, the last carries the keyboard.</summary>
    public async Task<Message?> SendPartsAsync(TelegramChatContext chat, IReadOnlyList<string> parts, int? replyToMessageId,
        InlineKeyboardMarkup? keyboard, CancellationToken ct)
    {
        Message? last = null;
        for (var i = 0; i < parts.Count; i++)
        {
            last = await SendHtmlAsync(chat, parts[i], i == 0 ? replyToMessageId : null,
                i == parts.Count - 1 ? keyboard : null, ct).ConfigureAwait(false);
        }
        return last;
    }

    /// <summary>Plain text (escaped here) as a reply.</summary>
    public Task<Message> ReplyTextAsync(TelegramChatContext chat, int? replyToMessageId, string text, CancellationToken ct) =>
        SendHtmlAsync(chat, TelegramHtml.Escape(text), replyToMessageId, null, ct);

    public Task<Message> EditHtmlAsync(long chatId, int messageId, string html, InlineKeyboardMarkup? keyboard, CancellationToken ct) =>
        WithRetryAsync("editMessageText", () => bot.EditMessageText(
            chatId, messageId, html, ParseMode.Html,
            replyMarkup: keyboard,
            linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true },
            cancellationToken: ct), ct);

    public Task AnswerCallbackAsync(string callbackQueryId, string? text, CancellationToken ct) =>
        WithRetryAsync("answerCallbackQuery", async () =>
        {
            await bot.AnswerCallbackQuery(callbackQueryId, text, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }, ct);

    private async Task<T> WithRetryAsync<T>(string method, Func<Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (ApiRequestException e) when (e.ErrorCode == 429 && attempt < MaxAttempts &&
                                                e.Parameters?.RetryAfter is int wait && wait <= MaxRetryAfterSeconds)
            {
                logger.LogWarning("Telegram asked to slow down on {Method}: retrying in {RetryAfter} s ({Error})",
                    method, wait, redaction.Describe(e));
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, wait)), time, ct).ConfigureAwait(false);
            }
        }
    }
}
