using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace NewsBot.Telegram;

/// <summary>
/// Configuration section <c>Telegram</c>. The bot token is a secret: set it through the environment
/// (<c>Telegram__BotToken</c>), never in appsettings. Nothing logs this object.
/// </summary>
public sealed class TelegramOptions
{
    public const string SectionName = "Telegram";

    /// <summary>The token from @BotFather. Empty = the Telegram channel is off.</summary>
    public string? BotToken { get; set; }

    /// <summary>A local Bot API server (e.g. http://localhost:8081). Empty = api.telegram.org.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The public HTTPS URL Telegram posts updates to. Set = webhook mode, empty = long polling.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Shared secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; required in webhook mode.</summary>
    public string? WebhookSecretToken { get; set; }

    /// <summary>The path <c>MapTelegramWebhook</c> listens on.</summary>
    public string WebhookPath { get; set; } = "/telegram/webhook";

    /// <summary>Users who may use the bot. Empty together with <see cref="AllowedChatIds"/> = everyone.</summary>
    public List<long> AllowedUserIds { get; set; } = [];

    /// <summary>Chats (groups, or private chats by user id) where anyone may use the bot.</summary>
    public List<long> AllowedChatIds { get; set; } = [];

    /// <summary>Users who may run /addfeed, /removefeed and /status (always allowed to use the bot).</summary>
    public List<long> AdminUserIds { get; set; } = [];

    public TelegramRateLimitOptions RateLimit { get; set; } = new();

    /// <summary>How fast the bot itself sends (Telegram's flood limits); messages over a limit wait their turn, none is dropped.</summary>
    public TelegramSendLimitOptions SendLimits { get; set; } = new();

    /// <summary>Longer questions get a hint instead of an answer.</summary>
    public int MaxQuestionLength { get; set; } = 1000;

    /// <summary>Long-poll timeout passed to getUpdates.</summary>
    public int PollingTimeoutSeconds { get; set; } = 30;

    /// <summary>How many chats are answered at the same time (each chat's messages are handled in order).</summary>
    public int MaxConcurrentChats { get; set; } = 4;

    /// <summary>Attempts at handling one update before it is given up as poison (logged, marked done).</summary>
    public int MaxUpdateAttempts { get; set; } = 3;
}

/// <summary>Per-user token bucket: <see cref="Burst"/> messages at once, refilled at <see cref="PerUserPerMinute"/>.</summary>
public sealed class TelegramRateLimitOptions
{
    public int PerUserPerMinute { get; set; } = 10;
    public int Burst { get; set; } = 5;
}

/// <summary>
/// Telegram's limits on a bot's messages (sendMessage and editMessageText), enforced by the sender: at most
/// <see cref="MessagesPerSecond"/> in any second across all chats, <see cref="PerChatPerSecond"/> a second in one chat
/// with bursts of up to <see cref="PerChatBurst"/> (at most Burst messages in any Burst/PerChatPerSecond seconds), and at
/// most <see cref="PerGroupPerMinute"/> in any minute in one group (a negative chat id).
/// </summary>
public sealed class TelegramSendLimitOptions
{
    public int MessagesPerSecond { get; set; } = 30;
    public int PerChatPerSecond { get; set; } = 1;
    public int PerChatBurst { get; set; } = 3;
    public int PerGroupPerMinute { get; set; } = 20;
}

/// <summary>Validates <see cref="TelegramOptions"/> with messages that name the key and the fix. Never echoes the token.</summary>
public sealed partial class TelegramOptionsValidator : IValidateOptions<TelegramOptions>
{
    [GeneratedRegex("^[0-9]{1,16}:[A-Za-z0-9_-]{20,}$")]
    private static partial Regex TokenShape();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex SecretShape();

    public ValidateOptionsResult Validate(string? name, TelegramOptions o)
    {
        var errors = new List<string>();
        var enabled = !string.IsNullOrWhiteSpace(o.BotToken);

        if (enabled && !TokenShape().IsMatch(o.BotToken!.Trim()))
            errors.Add("Telegram:BotToken does not look like a bot token (expected digits, a colon and a long key, as @BotFather gives it); set it through the environment variable Telegram__BotToken.");

        if (!string.IsNullOrWhiteSpace(o.BaseUrl) && !IsHttpUrl(o.BaseUrl, out _))
            errors.Add("Telegram:BaseUrl must be an absolute http(s) URL of a Bot API server, e.g. http://localhost:8081; leave it empty to use api.telegram.org.");

        if (!string.IsNullOrWhiteSpace(o.WebhookUrl))
        {
            if (!IsHttpUrl(o.WebhookUrl, out var uri))
                errors.Add("Telegram:WebhookUrl must be an absolute https URL that Telegram can reach, e.g. https://bot.example.org/telegram/webhook; leave it empty to use long polling.");
            else if (uri.Scheme != Uri.UriSchemeHttps && !IsLoopback(uri))
                errors.Add("Telegram:WebhookUrl must use https (Telegram only posts to https webhooks); plain http is accepted for loopback addresses only.");

            if (string.IsNullOrEmpty(o.WebhookSecretToken))
                errors.Add("Telegram:WebhookSecretToken is required when Telegram:WebhookUrl is set; set it to a random string of 1-256 characters A-Z a-z 0-9 _ -");
        }

        if (!string.IsNullOrEmpty(o.WebhookSecretToken) && !SecretShape().IsMatch(o.WebhookSecretToken))
            errors.Add("Telegram:WebhookSecretToken may only contain 1-256 characters A-Z a-z 0-9 _ - (Telegram's rule); generate a new random one.");

        if (string.IsNullOrWhiteSpace(o.WebhookPath) || !o.WebhookPath.StartsWith('/'))
            errors.Add("Telegram:WebhookPath must start with '/', e.g. /telegram/webhook.");

        if (o.RateLimit is null)
            errors.Add("Telegram:RateLimit must not be null; remove the key to use the defaults (10 per minute, burst 5).");
        else
        {
            if (o.RateLimit.PerUserPerMinute is < 1 or > 10_000)
                errors.Add("Telegram:RateLimit:PerUserPerMinute must be between 1 and 10000 (default 10).");
            if (o.RateLimit.Burst is < 1 or > 1_000)
                errors.Add("Telegram:RateLimit:Burst must be between 1 and 1000 (default 5).");
        }

        if (o.SendLimits is null)
            errors.Add("Telegram:SendLimits must not be null; remove the key to use Telegram's limits (30 a second, 1 a second per chat with bursts of 3, 20 a minute per group).");
        else
        {
            if (o.SendLimits.MessagesPerSecond is < 1 or > 1_000)
                errors.Add("Telegram:SendLimits:MessagesPerSecond must be between 1 and 1000 (default 30, Telegram's limit for a bot).");
            if (o.SendLimits.PerChatPerSecond is < 1 or > 100)
                errors.Add("Telegram:SendLimits:PerChatPerSecond must be between 1 and 100 (default 1).");
            if (o.SendLimits.PerChatBurst is < 1 or > 100)
                errors.Add("Telegram:SendLimits:PerChatBurst must be between 1 and 100 (default 3).");
            if (o.SendLimits.PerGroupPerMinute is < 1 or > 1_000)
                errors.Add("Telegram:SendLimits:PerGroupPerMinute must be between 1 and 1000 (default 20, Telegram's limit for a group).");
        }

        if (o.MaxQuestionLength is < 10 or > 4000)
            errors.Add("Telegram:MaxQuestionLength must be between 10 and 4000 characters (default 1000).");
        if (o.PollingTimeoutSeconds is < 0 or > 50)
            errors.Add("Telegram:PollingTimeoutSeconds must be between 0 and 50 (default 30).");
        if (o.MaxConcurrentChats is < 1 or > 256)
            errors.Add("Telegram:MaxConcurrentChats must be between 1 and 256 (default 4).");
        if (o.MaxUpdateAttempts is < 1 or > 100)
            errors.Add("Telegram:MaxUpdateAttempts must be between 1 and 100 (default 3).");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHttpUrl(string value, out Uri uri)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out uri!) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return true;
        uri = null!;
        return false;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
