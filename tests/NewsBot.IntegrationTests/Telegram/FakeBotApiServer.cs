using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>One request the fake Bot API server received.</summary>
public sealed record ApiCall(string Method, string Token, JsonObject Params, int StatusCode, int? ResultMessageId = null)
{
    public string Text => Str("text") ?? "";
    public long? ReplyTo => Params["reply_parameters"]?["message_id"]?.GetValue<long>();
    public JsonNode? Keyboard => Params["reply_markup"]?["inline_keyboard"];
    public string? FirstCallbackData => Keyboard?[0]?[0]?["callback_data"]?.ToString();
    public bool Ok => StatusCode == 200;
    /// <summary>When the server recorded the call (UTC): the fault tests measure the waits between calls with it.</summary>
    public DateTime At { get; init; } = DateTime.UtcNow;
    public string? Str(string name) => Params[name]?.ToString();
    public long? Long(string name) => Params[name] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;
}

/// <summary>
/// A fake Telegram Bot API server on 127.0.0.1 (Kestrel), enough for the real TelegramBotClient:
/// getMe, getUpdates (offset confirms and drops updates, timeout long-polls and returns as soon as updates
/// are queued), sendMessage, sendChatAction, setMyCommands, answerCallbackQuery, editMessageText,
/// deleteWebhook, setWebhook. Records every call; can fail a method once with an error (e.g. 429 + retry_after),
/// or every call matching <see cref="FailWhen"/>. <see cref="IgnoreFutureOffset"/> mimics TDLib (the real and the
/// local Bot API server) for an offset past the newest update. Its own logging is off (its request paths contain the token).
/// </summary>
public sealed class FakeBotApiServer : IAsyncDisposable
{
    public const long BotId = 7000001;
    public const string BotUsername = "NewsTestBot";

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<JsonObject> _updates = [];
    private readonly Dictionary<long, string> _chatTypes = [];
    private readonly Dictionary<string, Queue<(int Code, int? RetryAfter, string Description)>> _failures = [];
    private readonly ConcurrentQueue<ApiCall> _calls = new();
    private TaskCompletionSource _updatesQueued = NewSignal();
    private TaskCompletionSource _callRecorded = NewSignal();
    private int _nextUpdateId = 100;
    private int _nextMessageId = 5000;

    /// <summary>When set, requests with another token get 401 Unauthorized.</summary>
    public string? AcceptedToken { get; set; }

    /// <summary>
    /// Decides per call (method, parameters) whether it fails, and with which error code and description;
    /// null lets the call through. Checked after <see cref="FailNext"/>'s queued failures.
    /// </summary>
    public Func<string, JsonObject, (int Code, string Description)?>? FailWhen { get; set; }

    /// <summary>
    /// Like TDLib behind the real Bot API (and a local Bot API server): a getUpdates offset past the newest
    /// update id issued is ignored, and the unconfirmed updates are returned from the start of the queue.
    /// Off: such an offset confirms (drops) everything queued, as the simplest reading of the docs suggests.
    /// </summary>
    public bool IgnoreFutureOffset { get; set; }

    /// <summary>
    /// When it returns true for a call (method), the server drops the connection without an answer, as a reset
    /// connection or a proxy dying mid-request looks to the client; the call is recorded with status code 0.
    /// </summary>
    public Func<string, bool>? ResetWhen { get; set; }

    public string BaseUrl { get; }

    /// <summary>The pace of successful sendMessage calls as they arrived (the soak command's meter).</summary>
    public NewsBot.Soak.SendRateMeter Rates { get => Volatile.Read(ref _rates); }
    private NewsBot.Soak.SendRateMeter _rates = new();

    /// <summary>Starts <see cref="Rates"/> afresh: the pace of what is sent from now on (after a warm-up, say).</summary>
    public void ResetRates() => Volatile.Write(ref _rates, new NewsBot.Soak.SendRateMeter());

    /// <summary>(chat id, user id) pairs that getChatMember reports as "administrator"; everyone else is a "member".</summary>
    public ConcurrentDictionary<(long ChatId, long UserId), bool> ChatAdministrators { get; } = new();

    private FakeBotApiServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<FakeBotApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeBotApiServer? server = null;
        app.Run(ctx => server!.HandleAsync(ctx));
        await app.StartAsync();
        server = new FakeBotApiServer(app, app.Urls.First());
        return server;
    }

    public IReadOnlyList<ApiCall> Calls => [.. _calls];

    public IReadOnlyList<ApiCall> CallsTo(string method) => [.. _calls.Where(c => c.Method == method)];

    /// <summary>Successful sendMessage calls.</summary>
    public IReadOnlyList<ApiCall> SentMessages => [.. _calls.Where(c => c.Method == "sendMessage" && c.Ok)];

    public IReadOnlyList<ApiCall> MessagesTo(long chatId) => [.. SentMessages.Where(c => c.Long("chat_id") == chatId)];

    /// <summary>Update ids queued and not yet confirmed by a getUpdates offset.</summary>
    public int UnconfirmedUpdates
    {
        get
        {
            lock (_lock)
                return _updates.Count;
        }
    }

    /// <summary>Makes the next call of <paramref name="method"/> fail with the given error.</summary>
    public void FailNext(string method, int errorCode, int? retryAfter = null, string? description = null)
    {
        lock (_lock)
        {
            if (!_failures.TryGetValue(method, out var q))
                _failures[method] = q = new Queue<(int, int?, string)>();
            q.Enqueue((errorCode, retryAfter, description ?? (errorCode == 429 ? $"Too Many Requests: retry after {retryAfter}" : "Error")));
        }
    }

    // ---- queuing updates ----

    public long NextMessageId() => Interlocked.Increment(ref _nextMessageId);

    /// <summary>Queues an update (update_id assigned here) and returns its id.</summary>
    public int Enqueue(Func<int, JsonObject> build)
    {
        int id;
        lock (_lock)
        {
            id = ++_nextUpdateId;
            var update = build(id);
            update["update_id"] = id;
            if (update["message"]?["chat"] is JsonObject chat)
                _chatTypes[chat["id"]!.GetValue<long>()] = chat["type"]!.GetValue<string>();
            _updates.Add(update);
            var signal = _updatesQueued;
            _updatesQueued = NewSignal();
            signal.TrySetResult();
        }
        return id;
    }

    /// <summary>A text message from a user; returns (update id, message id).</summary>
    public (int UpdateId, int MessageId) SendText(long chatId, long userId, string text, string chatType = "private",
        int? replyToBotMessageId = null, int? topicThreadId = null)
    {
        var messageId = (int)NextMessageId();
        var updateId = Enqueue(_ => new JsonObject { ["message"] = Updates.Message(messageId, chatId, userId, text, chatType, replyToBotMessageId, topicThreadId) });
        return (updateId, messageId);
    }

    public int PressButton(long chatId, long userId, int messageId, string data, string chatType = "private") =>
        Enqueue(id => new JsonObject { ["callback_query"] = Updates.Callback($"cb{id}", chatId, userId, messageId, data, chatType) });

    // ---- waiting ----

    /// <summary>Waits for the <paramref name="count"/>th successful call of <paramref name="method"/>: woken by each call recorded, not by a timer.</summary>
    public async Task<ApiCall> WaitForAsync(string method, Func<ApiCall, bool>? predicate = null, int count = 1, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task recorded;
            lock (_lock) recorded = _callRecorded.Task; // taken before looking, so a call recorded meanwhile wakes the wait
            var matches = _calls.Where(c => c.Method == method && c.Ok && (predicate?.Invoke(c) ?? true)).ToList();
            if (matches.Count >= count)
                return matches[count - 1];
            try
            {
                await recorded.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for {count} successful {method} call(s); got {matches.Count}. Calls: " +
                                           string.Join(", ", _calls.Select(c => c.Method + (c.Ok ? "" : $"({c.StatusCode})"))));
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, or fails after the timeout. The conditions are on state the bot
    /// changes without telling the server (an inbox, a service's requests), so this polls them: every 20 ms, the
    /// interval of the poll, not a wait for something to happen.
    /// </summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("Timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>The text of the message <see cref="SyncChatAsync"/> sends.</summary>
    public const string SyncText = "Anything new on the budget?";

    /// <summary>
    /// A barrier for "and nothing more happens": sends <see cref="SyncText"/> in the chat and waits for the bot's answer
    /// to it. The bot handles each chat's updates strictly in order, so by then whatever the chat's earlier updates would
    /// still cause (an update handled again, a retried send) has happened and shows in <see cref="Calls"/>.
    /// Returns the message id of <see cref="SyncText"/>; its answer replies to it. In a group the text mentions the bot.
    /// </summary>
    public async Task<int> SyncChatAsync(long chatId, long userId, string chatType = "private")
    {
        var text = chatType == "private" ? SyncText : $"@{BotUsername} {SyncText}";
        var (_, messageId) = SendText(chatId, userId, text, chatType);
        await WaitForAsync("sendMessage", c => c.ReplyTo == messageId);
        return messageId;
    }

    /// <summary>The calls before the first reply to <paramref name="syncMessageId"/> (see <see cref="SyncChatAsync"/>).</summary>
    public IReadOnlyList<ApiCall> CallsBefore(int syncMessageId) => [.. _calls.TakeWhile(c => c.ReplyTo != syncMessageId)];

    private void Record(ApiCall call)
    {
        _calls.Enqueue(call);
        TaskCompletionSource signal;
        lock (_lock)
        {
            signal = _callRecorded;
            _callRecorded = NewSignal();
        }
        signal.TrySetResult();
    }

    // ---- the server ----

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        var slash = path.IndexOf('/', 1);
        if (!path.StartsWith("/bot", StringComparison.Ordinal) || slash < 0)
        {
            await Reply(ctx, 404, new JsonObject { ["ok"] = false, ["error_code"] = 404, ["description"] = "Not Found" });
            return;
        }
        var token = path[4..slash];
        var method = path[(slash + 1)..];
        var parameters = await ReadParamsAsync(ctx.Request);

        if (AcceptedToken is not null && token != AcceptedToken)
        {
            Record(new ApiCall(method, token, parameters, 401));
            await Reply(ctx, 401, new JsonObject { ["ok"] = false, ["error_code"] = 401, ["description"] = "Unauthorized" });
            return;
        }

        if (ResetWhen?.Invoke(method) == true)
        {
            Record(new ApiCall(method, token, parameters, 0));
            ctx.Abort();
            return;
        }

        (int Code, int? RetryAfter, string Description)? failure = null;
        lock (_lock)
        {
            if (_failures.TryGetValue(method, out var q) && q.Count > 0)
                failure = q.Dequeue();
        }
        if (failure is null && FailWhen?.Invoke(method, parameters) is { } when)
            failure = (when.Code, null, when.Description);
        if (failure is { } f)
        {
            Record(new ApiCall(method, token, parameters, f.Code));
            var error = new JsonObject { ["ok"] = false, ["error_code"] = f.Code, ["description"] = f.Description };
            if (f.RetryAfter is { } ra)
                error["parameters"] = new JsonObject { ["retry_after"] = ra };
            await Reply(ctx, f.Code, error);
            return;
        }

        JsonNode? result;
        switch (method)
        {
            case "getMe":
                result = new JsonObject { ["id"] = BotId, ["is_bot"] = true, ["first_name"] = "News Test Bot", ["username"] = BotUsername };
                break;
            case "getUpdates":
                result = await GetUpdatesAsync(parameters, ctx.RequestAborted);
                if (result is null)
                    return; // client went away
                break;
            case "sendMessage":
                result = MessageResult((int)NextMessageId(), parameters);
                Rates.Record(parameters["chat_id"]?.GetValue<long>() ?? 0);
                break;
            case "editMessageText":
                result = MessageResult((int)(parameters["message_id"]?.GetValue<long>() ?? 0), parameters);
                break;
            case "getChatMember":
                {
                    var chatId = parameters["chat_id"]?.GetValue<long>() ?? 0;
                    var userId = parameters["user_id"]?.GetValue<long>() ?? 0;
                    var admin = ChatAdministrators.ContainsKey((chatId, userId));
                    result = new JsonObject
                    {
                        ["status"] = admin ? "administrator" : "member",
                        ["user"] = Updates.User(userId),
                    };
                    if (admin)
                    {
                        result["can_be_edited"] = false;
                        result["is_anonymous"] = false;
                    }
                    break;
                }
            case "sendChatAction" or "setMyCommands" or "answerCallbackQuery" or "deleteWebhook" or "setWebhook":
                result = true;
                break;
            default:
                Record(new ApiCall(method, token, parameters, 404));
                await Reply(ctx, 404, new JsonObject { ["ok"] = false, ["error_code"] = 404, ["description"] = "Not Found: method not found" });
                return;
        }
        Record(new ApiCall(method, token, parameters, 200, (result as JsonObject)?["message_id"]?.GetValue<int>()));
        await Reply(ctx, 200, new JsonObject { ["ok"] = true, ["result"] = result });
    }

    private async Task<JsonNode?> GetUpdatesAsync(JsonObject parameters, CancellationToken aborted)
    {
        var offset = parameters["offset"]?.GetValue<long>() ?? 0;
        var timeout = parameters["timeout"]?.GetValue<int>() ?? 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(timeout);
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (offset > 0 && !(IgnoreFutureOffset && offset > _nextUpdateId + 1))
                {
                    _updates.RemoveAll(u => u["update_id"]!.GetValue<int>() < offset);
                }
                if (_updates.Count > 0)
                    return new JsonArray([.. _updates.Take(100).Select(u => u.DeepClone())]);
                signal = _updatesQueued.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                return new JsonArray();
            try
            {
                await signal.WaitAsync(left, aborted);
            }
            catch (TimeoutException)
            {
                return new JsonArray();
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private JsonObject MessageResult(int messageId, JsonObject parameters)
    {
        var chatId = parameters["chat_id"]?.GetValue<long>() ?? 0;
        string type;
        lock (_lock)
            type = _chatTypes.GetValueOrDefault(chatId, "private");
        var message = new JsonObject
        {
            ["message_id"] = messageId,
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = new JsonObject { ["id"] = chatId, ["type"] = type },
            ["from"] = new JsonObject { ["id"] = BotId, ["is_bot"] = true, ["first_name"] = "News Test Bot", ["username"] = BotUsername },
            ["text"] = parameters["text"]?.ToString() ?? "",
        };
        if (parameters["message_thread_id"] is { } thread)
        {
            message["message_thread_id"] = thread.DeepClone();
            message["is_topic_message"] = true;
        }
        return message;
    }

    private static async Task<JsonObject> ReadParamsAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            var obj = new JsonObject();
            foreach (var (key, value) in form)
                obj[key] = value.ToString();
            return obj;
        }
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        return string.IsNullOrWhiteSpace(body) ? [] : JsonNode.Parse(body) as JsonObject ?? [];
    }

    private static async Task Reply(HttpContext ctx, int status, JsonObject body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Builders for Bot API update JSON.</summary>
public static class Updates
{
    public static JsonObject User(long id, bool isBot = false, string? username = null)
    {
        var user = new JsonObject { ["id"] = id, ["is_bot"] = isBot, ["first_name"] = isBot ? "Bot" : $"User{id}" };
        if (username is not null)
            user["username"] = username;
        return user;
    }

    public static JsonObject Chat(long id, string type) =>
        type == "private"
            ? new JsonObject { ["id"] = id, ["type"] = type, ["first_name"] = $"User{id}" }
            : new JsonObject { ["id"] = id, ["type"] = type, ["title"] = "Test group", ["is_forum"] = false };

    public static JsonObject Message(int messageId, long chatId, long userId, string? text, string chatType = "private",
        int? replyToBotMessageId = null, int? topicThreadId = null)
    {
        var message = new JsonObject
        {
            ["message_id"] = messageId,
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = Chat(chatId, chatType),
            ["from"] = User(userId),
        };
        if (text is not null)
        {
            message["text"] = text;
            if (Entities(text) is { } entities)
                message["entities"] = entities;
        }
        if (replyToBotMessageId is { } reply)
        {
            message["reply_to_message"] = new JsonObject
            {
                ["message_id"] = reply,
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["chat"] = Chat(chatId, chatType),
                ["from"] = User(FakeBotApiServer.BotId, isBot: true, username: FakeBotApiServer.BotUsername),
                ["text"] = "an earlier answer",
            };
        }
        if (topicThreadId is { } thread)
        {
            message["message_thread_id"] = thread;
            message["is_topic_message"] = true;
        }
        return message;
    }

    private static readonly System.Text.RegularExpressions.Regex EmailPattern =
        new(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+");

    private static readonly System.Text.RegularExpressions.Regex MentionPattern =
        new(@"(?<![A-Za-z0-9_@.])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])");

    /// <summary>
    /// The entities Telegram marks in a message text (offsets in UTF-16 units): a leading bot command,
    /// e-mail addresses and @username mentions; null when there are none.
    /// </summary>
    public static JsonArray? Entities(string text)
    {
        var found = new List<(int Offset, int Length, string Type)>();
        if (text.StartsWith('/'))
        {
            var end = text.IndexOfAny([' ', '\n']);
            found.Add((0, end < 0 ? text.Length : end, "bot_command"));
        }
        foreach (System.Text.RegularExpressions.Match m in EmailPattern.Matches(text))
            found.Add((m.Index, m.Length, "email"));
        foreach (System.Text.RegularExpressions.Match m in MentionPattern.Matches(text))
            if (!found.Any(e => m.Index < e.Offset + e.Length && e.Offset < m.Index + m.Length))
                found.Add((m.Index, m.Length, "mention"));
        return found.Count == 0
            ? null
            : new JsonArray([.. found.OrderBy(e => e.Offset).Select(e => (JsonNode)new JsonObject { ["type"] = e.Type, ["offset"] = e.Offset, ["length"] = e.Length })]);
    }

    public static JsonObject Photo(int messageId, long chatId, long userId) => new()
    {
        ["message_id"] = messageId,
        ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["chat"] = Chat(chatId, "private"),
        ["from"] = User(userId),
        ["photo"] = new JsonArray(new JsonObject { ["file_id"] = "AgAD", ["file_unique_id"] = "u1", ["width"] = 90, ["height"] = 90 }),
    };

    public static JsonObject Callback(string id, long chatId, long userId, int messageId, string data, string chatType = "private") => new()
    {
        ["id"] = id,
        ["from"] = User(userId),
        ["chat_instance"] = "ci1",
        ["data"] = data,
        ["message"] = new JsonObject
        {
            ["message_id"] = messageId,
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = Chat(chatId, chatType),
            ["from"] = User(FakeBotApiServer.BotId, isBot: true, username: FakeBotApiServer.BotUsername),
            ["text"] = "answer",
        },
    };

    public static string ToJson(JsonObject update) => update.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
