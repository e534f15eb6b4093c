using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NewsBot.Soak;

/// <summary>One message the bot sent (sendMessage), as the server received it.</summary>
public sealed record SentMessage(long ChatId, long? ReplyTo, string Text, long ReceivedAt);

/// <summary>
/// A Bot API server on 127.0.0.1 (Kestrel) that the real Telegram.Bot client can talk to, for the <c>soak</c> load test:
/// getMe, getUpdates (offset confirms, timeout long-polls and returns as soon as updates are queued), sendMessage,
/// editMessageText, getChatMember (everyone a member) and the calls the bot makes at start (setMyCommands,
/// deleteWebhook …). It queues users' messages, records what the bot sends and measures its pace
/// (<see cref="Rates"/>). Its own logging is off: its request paths contain the token.
/// </summary>
/// <remarks>
/// Telegram has no test server one can run locally without an account (the official local Bot API server forwards to
/// Telegram's data centres), hence this small stand-in. The integration tests' richer fake (failures on demand,
/// webhook posting, callback queries) measures rates with the same <see cref="SendRateMeter"/>.
/// </remarks>
public sealed class LoopbackBotApiServer : IAsyncDisposable
{
    public const long BotId = 7000001;
    public const string BotUsername = "NewsSoakBot";

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<JsonObject> _updates = [];
    private readonly ConcurrentQueue<SentMessage> _sent = new();
    private TaskCompletionSource _updatesQueued = NewSignal();
    private int _nextUpdateId;
    private int _nextMessageId = 1000;
    private int _otherCalls;
    private int _polls;

    private LoopbackBotApiServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The URL to give the bot as <c>Telegram:BaseUrl</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>The pace of the bot's messages as they arrived here.</summary>
    public SendRateMeter Rates { get; } = new();

    /// <summary>Every message the bot sent, in the order they arrived.</summary>
    public IReadOnlyList<SentMessage> Sent => [.. _sent];

    public int SentCount => _sent.Count;

    /// <summary>Requests other than getUpdates and sendMessage (start-up calls, chat actions, edits …).</summary>
    public int OtherCalls => Volatile.Read(ref _otherCalls);

    /// <summary>getUpdates calls so far (the bot is listening once there was one).</summary>
    public int Polls => Volatile.Read(ref _polls);

    public static async Task<LoopbackBotApiServer> StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        LoopbackBotApiServer? server = null;
        app.Run(ctx => server!.HandleAsync(ctx));
        await app.StartAsync(ct).ConfigureAwait(false);
        server = new LoopbackBotApiServer(app, app.Urls.First());
        return server;
    }

    /// <summary>
    /// Queues a user's text message (in a group it mentions the bot first, as a question to it there must) and returns
    /// its message id.
    /// </summary>
    public int SendText(long chatId, long userId, string text, bool group)
    {
        var messageId = Interlocked.Increment(ref _nextMessageId);
        if (group)
            text = $"@{BotUsername} {text}";
        var chat = group
            ? new JsonObject { ["id"] = chatId, ["type"] = "supergroup", ["title"] = $"Soak group {-chatId}", ["is_forum"] = false }
            : new JsonObject { ["id"] = chatId, ["type"] = "private", ["first_name"] = $"User{userId}" };
        var message = new JsonObject
        {
            ["message_id"] = messageId,
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["chat"] = chat,
            ["from"] = new JsonObject { ["id"] = userId, ["is_bot"] = false, ["first_name"] = $"User{userId}" },
            ["text"] = text,
        };
        if (group)
            message["entities"] = new JsonArray(new JsonObject { ["type"] = "mention", ["offset"] = 0, ["length"] = BotUsername.Length + 1 });
        lock (_lock)
        {
            _updates.Add(new JsonObject { ["update_id"] = ++_nextUpdateId, ["message"] = message });
            var signal = _updatesQueued;
            _updatesQueued = NewSignal();
            signal.TrySetResult();
        }
        return messageId;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "";
        var slash = path.IndexOf('/', 1);
        if (!path.StartsWith("/bot", StringComparison.Ordinal) || slash < 0)
        {
            await Reply(ctx, 404, new JsonObject { ["ok"] = false, ["error_code"] = 404, ["description"] = "Not Found" }).ConfigureAwait(false);
            return;
        }
        var method = path[(slash + 1)..];
        var parameters = await ReadParamsAsync(ctx.Request).ConfigureAwait(false);
        JsonNode? result;
        switch (method)
        {
            case "getUpdates":
                Interlocked.Increment(ref _polls);
                result = await GetUpdatesAsync(parameters, ctx.RequestAborted).ConfigureAwait(false);
                if (result is null)
                    return; // the bot went away
                break;
            case "sendMessage":
                {
                    var chatId = Long(parameters["chat_id"]) ?? 0;
                    Rates.Record(chatId);
                    _sent.Enqueue(new SentMessage(chatId, Long(parameters["reply_parameters"]?["message_id"]), parameters["text"]?.ToString() ?? "", Stopwatch.GetTimestamp()));
                    result = MessageResult(Interlocked.Increment(ref _nextMessageId), chatId, parameters);
                    break;
                }
            case "editMessageText":
                Interlocked.Increment(ref _otherCalls);
                result = MessageResult((int)(Long(parameters["message_id"]) ?? 0), Long(parameters["chat_id"]) ?? 0, parameters);
                break;
            case "getMe":
                Interlocked.Increment(ref _otherCalls);
                result = new JsonObject { ["id"] = BotId, ["is_bot"] = true, ["first_name"] = "News Soak Bot", ["username"] = BotUsername };
                break;
            case "getChatMember":
                Interlocked.Increment(ref _otherCalls);
                result = new JsonObject
                {
                    ["status"] = "member",
                    ["user"] = new JsonObject { ["id"] = Long(parameters["user_id"]) ?? 0, ["is_bot"] = false, ["first_name"] = "User" },
                };
                break;
            case "sendChatAction" or "setMyCommands" or "deleteMyCommands" or "answerCallbackQuery" or "deleteWebhook" or "setWebhook":
                Interlocked.Increment(ref _otherCalls);
                result = true;
                break;
            default:
                Interlocked.Increment(ref _otherCalls);
                await Reply(ctx, 404, new JsonObject { ["ok"] = false, ["error_code"] = 404, ["description"] = "Not Found: method not found" }).ConfigureAwait(false);
                return;
        }
        await Reply(ctx, 200, new JsonObject { ["ok"] = true, ["result"] = result }).ConfigureAwait(false);
    }

    private async Task<JsonNode?> GetUpdatesAsync(JsonObject parameters, CancellationToken aborted)
    {
        var offset = Long(parameters["offset"]) ?? 0;
        var limit = (int)Math.Clamp(Long(parameters["limit"]) ?? 100, 1, 100);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(Long(parameters["timeout"]) ?? 0);
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (offset > 0)
                    _updates.RemoveAll(u => u["update_id"]!.GetValue<int>() < offset);
                if (_updates.Count > 0)
                    return new JsonArray([.. _updates.Take(limit).Select(u => u.DeepClone())]);
                signal = _updatesQueued.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                return new JsonArray();
            try
            {
                await signal.WaitAsync(left, aborted).ConfigureAwait(false);
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

    private static JsonObject MessageResult(int messageId, long chatId, JsonObject parameters) => new()
    {
        ["message_id"] = messageId,
        ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["chat"] = chatId < 0
            ? new JsonObject { ["id"] = chatId, ["type"] = "supergroup", ["title"] = "Soak group" }
            : new JsonObject { ["id"] = chatId, ["type"] = "private", ["first_name"] = "User" },
        ["from"] = new JsonObject { ["id"] = BotId, ["is_bot"] = true, ["first_name"] = "News Soak Bot", ["username"] = BotUsername },
        ["text"] = parameters["text"]?.ToString() ?? "",
    };

    /// <summary>A number the client sent either as JSON or as a form field (a string).</summary>
    private static long? Long(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, out var l) => l,
        _ => null,
    };

    private static async Task<JsonObject> ReadParamsAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync().ConfigureAwait(false);
            var obj = new JsonObject();
            foreach (var (key, value) in form)
                obj[key] = value.ToString();
            return obj;
        }
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync().ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(body) ? [] : JsonNode.Parse(body) as JsonObject ?? [];
    }

    private static async Task Reply(HttpContext ctx, int status, JsonObject body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString()).ConfigureAwait(false);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
