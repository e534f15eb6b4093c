using NewsBot.Telegram.Conversation;
using Polly;
using Telegram.Bot.Exceptions;

namespace NewsBot.Telegram;

/// <summary>
/// What the Telegram channel retries, and the keys of the three Polly pipelines it runs its calls through. How often
/// and how long to wait is configured by the host, in one place for every pipeline (ResilienceRegistration).
/// </summary>
public static class TelegramRetry
{
    /// <summary>One Bot API call that sends or edits a message part (the SAME part is sent again, never a recomputed answer).</summary>
    public const string SendPipelineKey = "newsbot-telegram-send";

    /// <summary>Getting the bot going and keeping it fed: getMe/setWebhook at start, reading the inbox, getUpdates. Retried until stopped.</summary>
    public const string ReconnectPipelineKey = "newsbot-telegram-reconnect";

    /// <summary>Handling one stored update again after it failed (bounded by <c>Telegram:MaxUpdateAttempts</c>).</summary>
    public const string UpdatePipelineKey = "newsbot-telegram-updates";

    /// <summary>How many times the update being handled was tried so far (set by the dispatcher for the update pipeline).</summary>
    public static readonly ResiliencePropertyKey<int> UpdateAttempts = new("newsbot.telegram.update-attempts");

    /// <summary><c>Telegram:MaxUpdateAttempts</c>: the update pipeline retries while <see cref="UpdateAttempts"/> is below it.</summary>
    public static readonly ResiliencePropertyKey<int> MaxUpdateAttempts = new("newsbot.telegram.max-update-attempts");

    /// <summary>Telegram's <c>retry_after</c> of a 429 (at least 1 s), else null.</summary>
    public static TimeSpan? RetryAfter(Exception e) =>
        e is ApiRequestException { ErrorCode: 429, Parameters.RetryAfter: int s } ? TimeSpan.FromSeconds(Math.Max(1, s)) : null;

    /// <summary>
    /// A send worth repeating: 429, 5xx from the Bot API, network failures and timeouts (not our own cancellation,
    /// <paramref name="ct"/>). 4xx other than 429 are not: the same request gets the same answer.
    /// </summary>
    public static bool IsTransientSendFailure(Exception e, CancellationToken ct) => e switch
    {
        _ when SendCommit.StoppedByCommit(e) => false, // the request was stopped on purpose by its commit
        ApiRequestException api => api.ErrorCode is 429 or >= 500,
        RequestException or HttpRequestException or IOException => true,
        OperationCanceledException => !ct.IsCancellationRequested,
        _ => false,
    };

    /// <summary>Nothing to retry: the token is rejected (401), or Telegram refused a chat for good.</summary>
    public static bool IsFatal(Exception e) =>
        e is ApiRequestException { ErrorCode: 401 } or TelegramPermanentSendException;

    /// <summary>A hint for the log line of a retry (409: two bots on one token).</summary>
    public static string Hint(Exception e) => e is ApiRequestException { ErrorCode: 409 }
        ? " (Telegram reports a conflict: another instance is polling with this token, or a webhook is set)"
        : "";
}
