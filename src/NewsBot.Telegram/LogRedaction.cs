using Microsoft.Extensions.Options;

namespace NewsBot.Telegram;

/// <summary>
/// Describes exceptions for logs with the bot token cut out. Errors from the Telegram client are logged
/// through this instead of as exception objects, in case a message or an inner exception carries the
/// request URL (which contains the token).
/// </summary>
public sealed class LogRedaction(IOptions<TelegramOptions> options)
{
    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var token = options.Value.BotToken?.Trim();
        if (string.IsNullOrEmpty(token))
            return text;
        text = text.Replace(token, "<bot-token>", StringComparison.Ordinal);
        // The key part alone (after "id:") is the secret half; cut it too.
        var colon = token.IndexOf(':');
        return colon > 0 && colon < token.Length - 8
            ? text.Replace(token[(colon + 1)..], "<bot-token>", StringComparison.Ordinal)
            : text;
    }

    /// <summary>"Type: message" for each exception in the chain, redacted.</summary>
    public string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 4; e = e.InnerException)
            parts.Add($"{e.GetType().Name}: {e.Message}");
        return Redact(string.Join(" ---> ", parts));
    }

    /// <summary>The full exception with stack trace, redacted (for unexpected errors).</summary>
    public string Full(Exception ex) => Redact(ex.ToString());
}
