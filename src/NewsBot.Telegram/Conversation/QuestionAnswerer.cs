using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Answering;
using NewsBot.Telegram.Formatting;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram.Conversation;

/// <summary>
/// Answers a question (a private message, a mention, a reply to the bot, or /ask): shows "typing…" while the
/// answer engine works, sends the answer with its citations, and puts a "Sources" button under the last part.
/// A failing answer engine gets an apology; failures to send propagate to the dispatcher.
/// </summary>
public sealed class QuestionAnswerer(
    ITelegramBotClient bot,
    TelegramSender sender,
    IOptions<TelegramOptions> options,
    IAnswerService answers,
    SourcesCache sourcesCache,
    TimeProvider time,
    LogRedaction redaction,
    ILogger<QuestionAnswerer> logger,
    NewsBot.Core.Stories.IStoryStore? stories = null)
{
    private static readonly TimeSpan TypingInterval = TimeSpan.FromSeconds(4);

    public async Task AnswerAsync(Message m, TelegramChatContext chat, string question, CancellationToken ct)
    {
        question = question.Trim();
        var max = options.Value.MaxQuestionLength;
        if (question.Length == 0)
        {
            await sender.ReplyTextAsync(chat, m.MessageId,
                "Ask me something about the news, e.g. /ask What happened in the markets today?", ct).ConfigureAwait(false);
            return;
        }
        if (question.Length > max)
        {
            await sender.ReplyTextAsync(chat, m.MessageId,
                $"That question is too long ({question.Length} characters). Please keep it under {max} characters.", ct).ConfigureAwait(false);
            return;
        }

        AnswerResult? result;
        await SendTypingAsync(chat, ct).ConfigureAwait(false);
        using (var typing = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var typingLoop = KeepTypingAsync(chat, typing.Token);
            try
            {
                result = await answers.AnswerAsync(new AnswerRequest { Question = question, ConversationId = chat.ConversationId }, ct)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogError("Answering a Telegram question in {ConversationId} failed: {Error}", chat.ConversationId, redaction.Full(ex));
                result = null;
            }
            finally
            {
                await typing.CancelAsync().ConfigureAwait(false);
                await typingLoop.ConfigureAwait(false);
            }
        }
        if (result is null)
        {
            await sender.ReplyTextAsync(chat, m.MessageId,
                "Sorry, something went wrong on my side while answering. Please try again in a minute.", ct).ConfigureAwait(false);
            return;
        }

        var parts = AnswerFormatter.Format(result);
        if (parts.Count == 0)
            parts = [TelegramHtml.Escape("I couldn't find anything in my sources to answer that.")];

        var (keyboard, entry) = BuildKeyboard(result, chat, parts[^1], await StoryOfAsync(result, ct).ConfigureAwait(false));
        var last = await sender.SendPartsAsync(chat, parts, m.MessageId, keyboard, ct).ConfigureAwait(false);
        if (entry is not null && last is not null)
            entry.MessageId = last.MessageId;

        logger.LogInformation("Answered Telegram question in {ConversationId}: {Parts} part(s), {Citations} citation(s), refused={Refused}",
            chat.ConversationId, parts.Count, result.Citations.Count, result.Refused);
    }

    /// <summary>
    /// The buttons under an answer: "Sources" when it cites any. A further answer button (e.g. "Follow this story")
    /// goes into <c>others</c>, so that it stays when the Sources button expands the answer, and gets its own
    /// <see cref="ITelegramCallbackHandler"/>.
    /// </summary>
    private (InlineKeyboardMarkup? Keyboard, SourcesEntry? Entry) BuildKeyboard(AnswerResult result, TelegramChatContext chat, string lastPart, string? storyId)
    {
        List<InlineKeyboardButton> others = [];
        if (storyId is not null && Digests.FollowCallbackHandler.Button(storyId) is { } follow)
            others.Add(follow);
        var row = new List<InlineKeyboardButton>();
        SourcesEntry? entry = null;
        if (result.Citations.Count > 0)
        {
            entry = new SourcesEntry { ChatId = chat.ChatId, LastPartHtml = lastPart, Citations = result.Citations, OtherButtons = others };
            var token = sourcesCache.Add(entry);
            row.Add(InlineKeyboardButton.WithCallbackData("Sources", $"{SourcesCallbackHandler.CallbackPrefix}:{token}"));
        }
        row.AddRange(others);
        return (row.Count == 0 ? null : new InlineKeyboardMarkup(row), entry);
    }

    /// <summary>The story an answer is about: a coverage answer's, else the story of its first source (none when refused).</summary>
    private async Task<string?> StoryOfAsync(AnswerResult result, CancellationToken ct)
    {
        if (stories is null || result.Refused || result.Citations.Count == 0) return null;
        if (result.Story is { } covered) return covered.StoryId;
        try
        {
            return (await stories.GetStoryOfArticleAsync(result.Citations[0].Article.Id, ct).ConfigureAwait(false))?.Id;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Looking up the story of an answer failed; no Follow button: {Error}", redaction.Describe(ex));
            return null;
        }
    }

    /// <summary>Shows "typing…" (Telegram shows it for about 5 s); failures only cost the indicator.</summary>
    private async Task SendTypingAsync(TelegramChatContext chat, CancellationToken ct)
    {
        try
        {
            await bot.SendChatAction(chat.ChatId, ChatAction.Typing, chat.MessageThreadId, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug("sendChatAction failed: {Error}", redaction.Describe(ex));
        }
    }

    /// <summary>Repeats "typing…" every few seconds until cancelled (the first one was sent before the answer started).</summary>
    private async Task KeepTypingAsync(TelegramChatContext chat, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TypingInterval, time, ct).ConfigureAwait(false);
                await SendTypingAsync(chat, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
