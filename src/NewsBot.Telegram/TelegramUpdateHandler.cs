using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Answering;
using NewsBot.Core.Ports;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram;

/// <summary>
/// Handles one Telegram update: decides whether the bot is addressed, applies access control and the
/// rate limit, runs commands, answers questions with citations, and dispatches inline-button presses.
/// <para>
/// Private chats: any text is a question. Groups: only commands (/ask …, /cmd@ThisBot), messages that
/// @mention the bot (the whole token) and replies to the bot's messages; everything else is ignored silently.
/// Messages from bots are ignored, except anonymous group admins and channels posting on behalf of a chat.
/// A command that fails (e.g. the database is busy) gets a short apology.
/// Edited messages are ignored (they are not requested from Telegram): to ask again, send a new message.
/// </para>
/// </summary>
public sealed partial class TelegramUpdateHandler(
    ITelegramBotClient bot,
    BotIdentity identity,
    TelegramSender sender,
    IOptions<TelegramOptions> options,
    IAnswerService answers,
    IArticleStore articles,
    IFeedStore feeds,
    IFeedPoller feedPoller,
    AccessPolicy access,
    UserRateLimiter rateLimiter,
    SourcesCache sourcesCache,
    IEnumerable<ITelegramAnswerButtons> answerButtons,
    IEnumerable<ITelegramCallbackHandler> callbackHandlers,
    IServiceProvider services,
    TimeProvider time,
    LogRedaction redaction,
    ILogger<TelegramUpdateHandler> logger)
{
    public const string ConversationPrefix = "telegram";
    private static readonly TimeSpan TypingInterval = TimeSpan.FromSeconds(4);

    /// <summary>Commands anyone may use, in the order /help and the command menu show them.</summary>
    public static readonly IReadOnlyList<BotCommand> PublicCommands =
    [
        new("ask", "Ask a question about the news"),
        new("new", "Start a new conversation (forget earlier questions)"),
        new("sources", "Outlets I have read, with article counts"),
        new("feeds", "Registered news feeds and their state"),
        new("help", "What I can do"),
        new("start", "Introduction and example questions"),
    ];

    /// <summary>Commands for <see cref="TelegramOptions.AdminUserIds"/> only.</summary>
    public static readonly IReadOnlyList<BotCommand> AdminCommands =
    [
        new("addfeed", "Add an RSS/Atom feed: /addfeed <url>"),
        new("removefeed", "Remove a feed: /removefeed <url>"),
        new("status", "Index and ingestion status"),
    ];

    private static readonly HashSet<string> KnownCommands =
        [.. PublicCommands.Select(c => c.Command), .. AdminCommands.Select(c => c.Command)];

    private sealed record Addressed(string? Command, string Args, string? Question, bool NonText);

    public async Task HandleAsync(Update update, CancellationToken ct)
    {
        await identity.WaitAsync(ct).ConfigureAwait(false);
        switch (update)
        {
            case { Message: { } message }:
                await HandleMessageAsync(message, ct).ConfigureAwait(false);
                break;
            case { CallbackQuery: { } query }:
                await HandleCallbackAsync(query, ct).ConfigureAwait(false);
                break;
            default:
                logger.LogDebug("Ignoring Telegram update {UpdateId} of type {Type}", update.Id, update.Type);
                break;
        }
    }

    /// <summary>"telegram:{chatId}", or "telegram:{chatId}:{threadId}" for a forum topic.</summary>
    public static string ConversationIdFor(long chatId, int? topicThreadId) =>
        topicThreadId is { } thread ? $"{ConversationPrefix}:{chatId}:{thread}" : $"{ConversationPrefix}:{chatId}";

    public static TelegramChatContext ContextFor(Message m)
    {
        int? topic = m.IsTopicMessage ? m.MessageThreadId : null;
        return new TelegramChatContext(m.Chat.Id, topic, ConversationIdFor(m.Chat.Id, topic), m.From?.Id ?? 0,
            m.Chat.Type == ChatType.Private);
    }

    private async Task HandleMessageAsync(Message m, CancellationToken ct)
    {
        // Bots are ignored, except the stand-ins Telegram uses for an anonymous group admin (GroupAnonymousBot) or a
        // channel writing in a group (Channel_Bot): they come with sender_chat, the chat the message is sent on behalf of.
        if (m.From is null || (m.From.IsBot && m.SenderChat is null) ||
            m.Chat.Type is not (ChatType.Private or ChatType.Group or ChatType.Supergroup))
            return;

        var addressed = Classify(m);
        if (addressed is null)
            return;

        var chat = ContextFor(m);
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

        if (addressed.Command is not ("start" or "help"))
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
            await RunCommandAsync(m, chat, command, addressed.Args, ct).ConfigureAwait(false);
        else
            await AnswerAsync(m, chat, addressed.Question ?? "", ct).ConfigureAwait(false);
    }

    /// <summary>What the message asks of the bot, or null when it is not addressed to the bot.</summary>
    private Addressed? Classify(Message m)
    {
        var isPrivate = m.Chat.Type == ChatType.Private;
        var replyToBot = m.ReplyToMessage?.From?.Id is { } to && to == identity.Id;
        var text = m.Text?.Trim();

        if (string.IsNullOrEmpty(text))
            return isPrivate || replyToBot ? new Addressed(null, "", null, NonText: true) : null;

        if (text.StartsWith('/'))
        {
            var end = text.IndexOfAny([' ', '\n', '\t']);
            var head = end < 0 ? text[1..] : text[1..end];
            var args = end < 0 ? "" : text[(end + 1)..].Trim();
            var at = head.IndexOf('@');
            var name = (at < 0 ? head : head[..at]).ToLowerInvariant();
            var target = at < 0 ? null : head[(at + 1)..];
            if (target is not null && !target.Equals(identity.Username, StringComparison.OrdinalIgnoreCase))
                return null; // a command for another bot
            if (!isPrivate && target is null && !KnownCommands.Contains(name))
                return null; // a bare unknown command in a group is probably for another bot
            if (name.Length == 0)
                return null;
            return new Addressed(name, args, null, false);
        }

        if (isPrivate)
            return new Addressed(null, "", text, false);

        var mentions = MentionsOf(m, identity.Username);
        if (mentions.Count > 0)
            return new Addressed(null, "", StripMentions(m.Text!, mentions), false);

        return replyToBot ? new Addressed(null, "", text, false) : null;
    }

    /// <summary>
    /// Where the text mentions @<paramref name="username"/> as a whole token: Telegram's "mention" entities when
    /// the message has entities, else occurrences with no username character (A-Z a-z 0-9 _) on either side, so
    /// "@ThisBot_helperbot" or "mail@ThisBot.com" are not mentions. (Start, Length) in UTF-16 units of the untrimmed text.
    /// </summary>
    private static List<(int Start, int Length)> MentionsOf(Message m, string username)
    {
        var found = new List<(int Start, int Length)>();
        var text = m.Text ?? "";
        if (username.Length == 0)
            return found;
        var target = "@" + username;
        if (m.Entities is { } entities)
        {
            foreach (var e in entities)
            {
                if (e.Type == MessageEntityType.Mention && e.Offset >= 0 && e.Length == target.Length && e.Offset + e.Length <= text.Length &&
                    string.Compare(text, e.Offset, target, 0, target.Length, StringComparison.OrdinalIgnoreCase) == 0)
                    found.Add((e.Offset, e.Length));
            }
            return found;
        }
        for (var i = text.IndexOf(target, StringComparison.OrdinalIgnoreCase); i >= 0;
             i = text.IndexOf(target, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = i + target.Length;
            if ((i == 0 || !IsUsernameChar(text[i - 1])) && (end == text.Length || !IsUsernameChar(text[end])))
                found.Add((i, target.Length));
        }
        return found;
    }

    private static bool IsUsernameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>Removes the given mentions with the spaces around them and a following "," or ":".</summary>
    private static string StripMentions(string text, IEnumerable<(int Start, int Length)> mentions)
    {
        var cuts = new List<(int Start, int End)>();
        foreach (var (start, length) in mentions.OrderBy(x => x.Start))
        {
            var s = start;
            var e = start + length;
            if (e < text.Length && text[e] is ',' or ':')
                e++;
            while (e < text.Length && char.IsWhiteSpace(text[e]))
                e++;
            while (s > 0 && char.IsWhiteSpace(text[s - 1]))
                s--;
            if (cuts.Count > 0 && s <= cuts[^1].End)
                cuts[^1] = (cuts[^1].Start, Math.Max(e, cuts[^1].End));
            else
                cuts.Add((s, e));
        }
        var sb = new System.Text.StringBuilder(text);
        for (var i = cuts.Count - 1; i >= 0; i--)
            sb.Remove(cuts[i].Start, cuts[i].End - cuts[i].Start).Insert(cuts[i].Start, ' ');
        return SpaceBeforePunctuation().Replace(sb.ToString(), "$1").Trim();
    }

    [GeneratedRegex(@"\s+([?.!,;:])")]
    private static partial Regex SpaceBeforePunctuation();

    private async Task RunCommandAsync(Message m, TelegramChatContext chat, string command, string args, CancellationToken ct)
    {
        var userId = m.From!.Id;
        if (AdminCommands.Any(c => c.Command == command) && !access.IsAdmin(userId))
        {
            await sender.ReplyTextAsync(chat, m.MessageId,
                $"Sorry, /{command} is only available to this bot's administrators.", ct).ConfigureAwait(false);
            return;
        }

        try
        {
            await RunKnownCommandAsync(m, chat, command, args, userId, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or RequestException or TelegramPermanentSendException))
        {
            // E.g. "database is locked": tell the user instead of leaving them without a reply. Failures to send
            // (Telegram errors) propagate: the dispatcher retries or gives up on the update.
            logger.LogError("Telegram command /{Command} in {ConversationId} failed: {Error}", command, chat.ConversationId, redaction.Describe(ex));
            await sender.ReplyTextAsync(chat, m.MessageId,
                $"Sorry, /{TelegramHtml.Truncate(command, 40)} failed: please try again in a moment.", ct).ConfigureAwait(false);
        }
    }

    private async Task RunKnownCommandAsync(Message m, TelegramChatContext chat, string command, string args, long userId, CancellationToken ct)
    {
        switch (command)
        {
            case "start":
                await sender.SendHtmlAsync(chat, await StartTextAsync(ct).ConfigureAwait(false), m.MessageId, null, ct).ConfigureAwait(false);
                break;
            case "help":
                await sender.SendHtmlAsync(chat, HelpText(access.IsAdmin(userId)), m.MessageId, null, ct).ConfigureAwait(false);
                break;
            case "ask":
                await AnswerAsync(m, chat, args, ct).ConfigureAwait(false);
                break;
            case "new":
                await answers.ResetConversationAsync(chat.ConversationId, ct).ConfigureAwait(false);
                await sender.ReplyTextAsync(chat, m.MessageId,
                    "OK, new conversation: I've forgotten the earlier questions in this chat.", ct).ConfigureAwait(false);
                break;
            case "sources":
                await SendLongAsync(chat, m.MessageId, await SourcesTextAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                break;
            case "feeds":
                await SendLongAsync(chat, m.MessageId, await FeedsTextAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                break;
            case "addfeed":
                await AddFeedAsync(m, chat, args, ct).ConfigureAwait(false);
                break;
            case "removefeed":
                await RemoveFeedAsync(m, chat, args, ct).ConfigureAwait(false);
                break;
            case "status":
                await SendLongAsync(chat, m.MessageId, await StatusTextAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                break;
            default:
                await sender.ReplyTextAsync(chat, m.MessageId,
                    $"Unknown command /{TelegramHtml.Truncate(command, 40)}, see /help.", ct).ConfigureAwait(false);
                break;
        }
    }

    private async Task SendLongAsync(TelegramChatContext chat, int replyTo, string html, CancellationToken ct) =>
        await sender.SendPartsAsync(chat, HtmlSplitter.Split(html), replyTo, null, ct).ConfigureAwait(false);

    // ---- questions ----

    private async Task AnswerAsync(Message m, TelegramChatContext chat, string question, CancellationToken ct)
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

        var (keyboard, entry) = BuildKeyboard(result, chat, parts[^1]);
        var last = await sender.SendPartsAsync(chat, parts, m.MessageId, keyboard, ct).ConfigureAwait(false);
        if (entry is not null && last is not null)
            entry.MessageId = last.MessageId;

        logger.LogInformation("Answered Telegram question in {ConversationId}: {Parts} part(s), {Citations} citation(s), refused={Refused}",
            chat.ConversationId, parts.Count, result.Citations.Count, result.Refused);
    }

    private (InlineKeyboardMarkup? Keyboard, SourcesEntry? Entry) BuildKeyboard(AnswerResult result, TelegramChatContext chat, string lastPart)
    {
        // EXTENSION POINT: ITelegramAnswerButtons implementations (e.g. a future "Follow this story") add buttons here.
        var extra = answerButtons.SelectMany(b => b.GetButtons(result, chat)).ToList();
        var row = new List<InlineKeyboardButton>();
        SourcesEntry? entry = null;
        if (result.Citations.Count > 0)
        {
            entry = new SourcesEntry { ChatId = chat.ChatId, LastPartHtml = lastPart, Citations = result.Citations, OtherButtons = extra };
            var token = sourcesCache.Add(entry);
            row.Add(InlineKeyboardButton.WithCallbackData("Sources", $"{SourcesCallbackHandler.CallbackPrefix}:{token}"));
        }
        row.AddRange(extra);
        return (row.Count == 0 ? null : new InlineKeyboardMarkup(row), entry);
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

    // ---- callback queries ----

    private async Task HandleCallbackAsync(CallbackQuery query, CancellationToken ct)
    {
        var chatId = query.Message?.Chat.Id ?? query.From.Id;
        if (!access.IsAllowed(query.From.Id, chatId))
        {
            await sender.AnswerCallbackAsync(query.Id, "Sorry, this is a private news bot.", ct).ConfigureAwait(false);
            return;
        }

        var data = query.Data ?? "";
        var colon = data.IndexOf(':');
        var prefix = colon < 0 ? data : data[..colon];
        var argument = colon < 0 ? "" : data[(colon + 1)..];
        var handler = callbackHandlers.FirstOrDefault(h => h.Prefix == prefix);

        var answered = false;
        try
        {
            if (handler is not null)
                answered = await handler.HandleAsync(query, argument, ct).ConfigureAwait(false);
        }
        finally
        {
            if (!answered)
                await sender.AnswerCallbackAsync(query.Id, handler is null ? "This button no longer works." : null, ct).ConfigureAwait(false);
        }
    }

    // ---- command texts ----

    private async Task<string> StartTextAsync(CancellationToken ct)
    {
        var examples = new List<string>();
        try
        {
            var recent = await articles.GetRecentArticlesAsync(time.GetUtcNow().AddDays(-14), 10, ct).ConfigureAwait(false);
            examples.AddRange(recent.Select(a => a.Title.Trim()).Where(t => t.Length is > 0 and <= 120)
                .Distinct(StringComparer.OrdinalIgnoreCase).Take(3).Select(t => $"What is known about \"{t}\"?"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Could not read recent headlines for /start: {Error}", redaction.Describe(ex));
        }
        string[] generic =
        [
            "What happened in the news today?",
            "What did the central bank decide about interest rates?",
            "What's the latest on the climate talks?",
        ];
        examples.AddRange(generic.Take(3 - examples.Count));

        return "Hi! I answer questions about the news I have read, citing my sources like [1] [2] with links, " +
               "or I tell you honestly when my sources don't cover something.\n\n" +
               "Try asking:\n" + string.Join("\n", examples.Select(e => "• " + TelegramHtml.Escape(e))) + "\n\n" +
               "In groups, mention me or use /ask. Follow-up questions continue the conversation; /new starts over. /help lists all commands.";
    }

    private static string HelpText(bool admin)
    {
        var lines = new List<string>
        {
            "Ask me about the news: in a private chat just type your question; in a group use /ask, mention me, or reply to one of my messages.",
            "Answers cite their sources as [1] [2]; press <b>Sources</b> under an answer to see the quoted passages.",
            "",
        };
        lines.AddRange(PublicCommands.Select(c => $"/{c.Command} — {TelegramHtml.Escape(c.Description)}"));
        if (admin)
        {
            lines.Add("");
            lines.Add("Admin:");
            lines.AddRange(AdminCommands.Select(c => $"/{c.Command} — {TelegramHtml.Escape(c.Description)}"));
        }
        return string.Join("\n", lines);
    }

    private async Task<string> SourcesTextAsync(CancellationToken ct)
    {
        var outlets = await articles.GetOutletsAsync(ct).ConfigureAwait(false);
        if (outlets.Count == 0)
            return "I haven't read any articles yet.";
        var total = outlets.Sum(o => o.Articles);
        var lines = outlets.OrderByDescending(o => o.Articles).ThenBy(o => o.Outlet, StringComparer.OrdinalIgnoreCase).Take(100)
            .Select(o => $"• {TelegramHtml.Escape(TelegramHtml.Truncate(o.Outlet, 100))} — {o.Articles} article{(o.Articles == 1 ? "" : "s")}" +
                         (o.Newest is { } n ? $", newest {TelegramHtml.Date(n)}" : ""));
        var more = outlets.Count > 100 ? $"\n… and {outlets.Count - 100} more." : "";
        return $"<b>Sources</b>: {outlets.Count} outlet{(outlets.Count == 1 ? "" : "s")}, {total} article{(total == 1 ? "" : "s")}\n" +
               string.Join("\n", lines) + more;
    }

    private async Task<string> FeedsTextAsync(CancellationToken ct)
    {
        var list = await feeds.ListFeedsAsync(ct).ConfigureAwait(false);
        if (list.Count == 0)
            return "No feeds are registered yet.";
        var lines = list.OrderBy(f => f.Title ?? f.Url, StringComparer.OrdinalIgnoreCase).Take(100).Select(f =>
        {
            var line = $"• {TelegramHtml.Escape(TelegramHtml.Truncate(f.Title ?? f.Url, 100))}\n  {TelegramHtml.Escape(f.Url)}\n  last poll {TelegramHtml.DateTime(f.LastPolledAt)}";
            if (!string.IsNullOrWhiteSpace(f.LastError))
                line += $"; <i>last error: {TelegramHtml.Escape(TelegramHtml.Truncate(f.LastError, 200))}</i>";
            return line;
        });
        var more = list.Count > 100 ? $"\n… and {list.Count - 100} more." : "";
        return $"<b>Feeds</b> ({list.Count})\n" + string.Join("\n", lines) + more;
    }

    private async Task<string> StatusTextAsync(CancellationToken ct)
    {
        var provider = services.GetService<ISystemStatusProvider>();
        SystemStatus status;
        if (provider is not null)
            status = await provider.GetStatusAsync(ct).ConfigureAwait(false);
        else
        {
            var counts = await articles.GetCountsAsync(ct).ConfigureAwait(false);
            var list = await feeds.ListFeedsAsync(ct).ConfigureAwait(false);
            status = new SystemStatus
            {
                Articles = counts.Articles,
                LastIngestedAt = counts.LastIngestedAt,
                Feeds = list.Count,
                FeedsWithErrors = [.. list.Where(f => !string.IsNullOrWhiteSpace(f.LastError)).Select(f => new FeedError(f.Url, f.LastError!, f.LastPolledAt))],
            };
        }

        var lines = new List<string>
        {
            "<b>Status</b>",
            $"Articles: {status.Articles}" + (provider is not null ? $", chunks: {status.Chunks}" : ""),
            $"Last ingest: {TelegramHtml.DateTime(status.LastIngestedAt)}",
            $"Feeds: {status.Feeds}, with errors: {status.FeedsWithErrors.Count}",
        };
        foreach (var f in status.FeedsWithErrors.Take(10))
            lines.Add($"  • {TelegramHtml.Escape(f.Url)}: <i>{TelegramHtml.Escape(TelegramHtml.Truncate(f.Error, 200))}</i>");
        void Add(string label, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
                lines.Add($"{label}: {TelegramHtml.Escape(value)}");
        }
        Add("Embedding model", status.EmbeddingModel);
        Add("Answer mode", status.AnswerMode);
        Add("Language model", status.LlmModel);
        Add("Index", status.IndexProvider);
        Add("Store", status.StorePath is null ? null : status.StorePath + (status.StoreSizeBytes is { } b ? $" ({FormatBytes(b)})" : ""));
        return string.Join("\n", lines);
    }

    private static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    // ---- admin: feeds ----

    private async Task AddFeedAsync(Message m, TelegramChatContext chat, string args, CancellationToken ct)
    {
        var url = args.Trim();
        if (url.Length == 0 || url.Contains(' ', StringComparison.Ordinal))
        {
            await sender.ReplyTextAsync(chat, m.MessageId, "Usage: /addfeed <url of an RSS or Atom feed>", ct).ConfigureAwait(false);
            return;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            await sender.ReplyTextAsync(chat, m.MessageId, "That isn't a web address: feeds must be http:// or https:// URLs.", ct).ConfigureAwait(false);
            return;
        }

        FeedProbe probe;
        try
        {
            probe = await feedPoller.ProbeAsync(url, trusted: false, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Probing feed {Url} failed: {Error}", url, redaction.Describe(ex));
            probe = new FeedProbe(false, null, "the feed could not be fetched");
        }
        if (!probe.Ok)
        {
            await sender.ReplyTextAsync(chat, m.MessageId,
                $"I couldn't add that feed: {probe.Error ?? "it is not a readable RSS or Atom feed"}", ct).ConfigureAwait(false);
            return;
        }

        var added = await feeds.AddFeedAsync(new FeedRecord
        {
            Url = url,
            Title = probe.Title,
            AddedAt = time.GetUtcNow(),
            AddedBy = $"telegram:{m.From!.Id}",
            Trusted = false,
        }, ct).ConfigureAwait(false);

        logger.LogInformation("Telegram admin {UserId} {Outcome} feed {Url}", m.From.Id, added ? "added" : "re-added (already registered)", url);
        var title = string.IsNullOrWhiteSpace(probe.Title) ? url : $"“{probe.Title}” ({url})";
        await sender.ReplyTextAsync(chat, m.MessageId, added
            ? $"Added the feed {title}. New articles appear after its next poll."
            : $"The feed {title} was already registered.", ct).ConfigureAwait(false);
    }

    private async Task RemoveFeedAsync(Message m, TelegramChatContext chat, string args, CancellationToken ct)
    {
        var url = args.Trim();
        if (url.Length == 0)
        {
            await sender.ReplyTextAsync(chat, m.MessageId, "Usage: /removefeed <url> (see /feeds for the registered URLs)", ct).ConfigureAwait(false);
            return;
        }
        var removed = await feeds.RemoveFeedAsync(url, ct).ConfigureAwait(false);
        logger.LogInformation("Telegram admin {UserId} removed feed {Url}: {Removed}", m.From!.Id, url, removed);
        await sender.ReplyTextAsync(chat, m.MessageId, removed
            ? $"Removed the feed {url}. Articles already read stay searchable."
            : "No feed with that URL is registered (see /feeds).", ct).ConfigureAwait(false);
    }
}
