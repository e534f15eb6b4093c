using Microsoft.Extensions.Logging;
using NewsBot.Telegram.Formatting;
using Polly;
using Polly.Registry;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram.Conversation;

/// <summary>
/// Telegram refused a request for good (the bot was blocked or removed from the chat, the chat is gone, the bot may
/// not write there…): retrying it, or the update that caused it, cannot help.
/// </summary>
public sealed class TelegramPermanentSendException(string method, long? chatId, ApiRequestException inner)
    : Exception($"Telegram refused {method}{(chatId is { } id ? $" to chat {id}" : "")} for good: {inner.ErrorCode} {inner.Message}", inner)
{
    public string Method { get; } = method;
    public long? ChatId { get; } = chatId;
    public int ErrorCode { get; } = inner.ErrorCode;
}

/// <summary>
/// The send was cancelled before any request for it reached the Bot API (e.g. while it waited for its turn under the
/// flood limits at shutdown): the chat certainly did not get it.
/// </summary>
public sealed class TelegramSendCancelledException(string method, long? chatId, Exception inner, CancellationToken token)
    : OperationCanceledException($"{method}{(chatId is { } id ? $" to chat {id}" : "")} was cancelled before it was sent", inner, token);

/// <summary>
/// Sends HTML messages (link previews off, into the right forum topic, replying where asked). The client
/// retries 429 "retry after" itself up to its threshold; each call also runs through the host's pipeline
/// <see cref="TelegramRetry.SendPipelineKey"/>, which retries 429 (after Telegram's <c>retry_after</c>, for longer
/// waits too) and transient failures (5xx, network errors, timeouts) a few times, each message part on its own,
/// so a hiccup never makes the whole update run again (another answer, parts sent twice).
/// Permanent refusals (403 blocked/kicked, 400 chat not found …) throw <see cref="TelegramPermanentSendException"/>:
/// the dispatcher gives up on the update at once. Answering a callback query is best effort.
/// Messages and edits keep within Telegram's flood limits through <see cref="TelegramSendLimiter"/>: the chat's turn is
/// held for the whole send (its retries included, so one chat's messages keep their order), and every attempt waits
/// for a permit, since each request that reaches Telegram counts against the limits.
/// </summary>
public sealed class TelegramSender(ITelegramBotClient bot, ResiliencePipelineProvider<string> pipelines, TelegramSendLimiter limiter,
    LogRedaction redaction, ILogger<TelegramSender> logger)
{
    private readonly ResiliencePipeline _pipeline = pipelines.GetPipeline(TelegramRetry.SendPipelineKey);

    /// <summary>400 descriptions that mean the chat cannot be written to (any 403 means that too).</summary>
    private static readonly string[] PermanentBadRequests =
    [
        "chat not found", "user not found", "bot was blocked", "bot was kicked", "user is deactivated", "peer_id_invalid",
        "not enough rights", "have no rights", "chat_write_forbidden", "chat_restricted", "need administrator rights",
        "topic_closed", "topic_deleted", "message thread not found", "group chat was upgraded",
    ];

    public Task<Message> SendHtmlAsync(TelegramChatContext chat, string html, int? replyToMessageId = null,
        InlineKeyboardMarkup? keyboard = null, CancellationToken ct = default) =>
        SendHtmlAsync(chat.ChatId, chat.MessageThreadId, html, replyToMessageId, keyboard, ct);

    public Task<Message> SendHtmlAsync(long chatId, int? messageThreadId, string html, int? replyToMessageId = null,
        InlineKeyboardMarkup? keyboard = null, CancellationToken ct = default) =>
        WithRetryAsync("sendMessage", chatId, () => bot.SendMessage(
            chatId,
            html,
            ParseMode.Html,
            replyParameters: replyToMessageId is { } id ? new ReplyParameters { MessageId = id, AllowSendingWithoutReply = true } : null,
            replyMarkup: keyboard,
            linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true },
            messageThreadId: messageThreadId,
            cancellationToken: ct), ct);

    /// <summary>
    /// Sends each part in order; the first replies to <paramref name="replyToMessageId"/>, the last carries the keyboard.
    /// <see cref="TelegramSendCancelledException"/> only when no part was sent.
    /// </summary>
    public async Task<Message?> SendPartsAsync(TelegramChatContext chat, IReadOnlyList<string> parts, int? replyToMessageId,
        InlineKeyboardMarkup? keyboard, CancellationToken ct)
    {
        Message? last = null;
        for (var i = 0; i < parts.Count; i++)
        {
            try
            {
                last = await SendHtmlAsync(chat, parts[i], i == 0 ? replyToMessageId : null,
                    i == parts.Count - 1 ? keyboard : null, ct).ConfigureAwait(false);
            }
            catch (TelegramSendCancelledException e) when (i > 0)
            {
                throw new OperationCanceledException("cancelled after the first part was sent", e, ct); // the chat has part of it
            }
        }
        return last;
    }

    /// <summary>Plain text (escaped here) as a reply.</summary>
    public Task<Message> ReplyTextAsync(TelegramChatContext chat, int? replyToMessageId, string text, CancellationToken ct) =>
        SendHtmlAsync(chat, TelegramHtml.Escape(text), replyToMessageId, null, ct);

    public Task<Message> EditHtmlAsync(long chatId, int messageId, string html, InlineKeyboardMarkup? keyboard, CancellationToken ct) =>
        WithRetryAsync("editMessageText", chatId, () => bot.EditMessageText(
            chatId, messageId, html, ParseMode.Html,
            replyMarkup: keyboard,
            linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true },
            cancellationToken: ct), ct);

    /// <summary>
    /// Stops the button's spinner (with an optional notice). Best effort: a failure (e.g. the query is too old) is
    /// logged and swallowed, since the button's work must neither be skipped nor repeated because of it.
    /// </summary>
    public async Task AnswerCallbackAsync(string callbackQueryId, string? text, CancellationToken ct)
    {
        try
        {
            await WithRetryAsync("answerCallbackQuery", null, async () =>
            {
                await bot.AnswerCallbackQuery(callbackQueryId, text, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogInformation("Could not answer a Telegram button press: {Error}", redaction.Describe(ex));
        }
    }

    private async Task<T> WithRetryAsync<T>(string method, long? chatId, Func<Task<T>> call, CancellationToken ct)
    {
        var requested = false; // whether any attempt reached the Bot API (Telegram may then have the message)
        try
        {
            // one chat's messages go out in order: its turn is held across the retries of this one
            using var turn = chatId is { } id ? await limiter.EnterChatAsync(id, ct).ConfigureAwait(false) : null;
            // the method name reaches the pipeline's retry log through the context
            var context = ResilienceContextPool.Shared.Get(method, ct);
            try
            {
                return await _pipeline.ExecuteAsync(async _ =>
                {
                    if (chatId is { } chat)
                        await limiter.WaitToSendAsync(chat, ct).ConfigureAwait(false);
                    requested = true;
                    return await call().ConfigureAwait(false);
                }, context).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        catch (ApiRequestException e) when (IsPermanent(e))
        {
            throw new TelegramPermanentSendException(method, chatId, e);
        }
        catch (OperationCanceledException e) when (!requested && ct.IsCancellationRequested && e is not TelegramSendCancelledException)
        {
            throw new TelegramSendCancelledException(method, chatId, e, ct);
        }
    }

    private static bool IsPermanent(ApiRequestException e) =>
        e.ErrorCode == 403 ||
        (e.ErrorCode == 400 && PermanentBadRequests.Any(p => e.Message.Contains(p, StringComparison.OrdinalIgnoreCase)));
}
