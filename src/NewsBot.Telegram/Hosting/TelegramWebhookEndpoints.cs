using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace NewsBot.Telegram.Hosting;

/// <summary>The webhook endpoint: Telegram POSTs each update here with the secret token header.</summary>
public static class TelegramWebhookEndpoints
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";
    private const int MaxBodyBytes = 1 << 20;

    /// <summary>
    /// Maps POST <c>Telegram:WebhookPath</c>: 401 unless the X-Telegram-Bot-Api-Secret-Token header equals
    /// <c>Telegram:WebhookSecretToken</c> (constant-time compare); otherwise the update is stored in the inbox,
    /// queued for the background dispatcher, and 200 is returned at once (500 when the inbox fails, so
    /// Telegram delivers it again).
    /// </summary>
    public static IEndpointConventionBuilder MapTelegramWebhook(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<TelegramOptions>>().Value;
        return endpoints.MapPost(options.WebhookPath, HandleAsync).WithDisplayName("Telegram webhook");
    }

    private static async Task HandleAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var options = services.GetRequiredService<IOptions<TelegramOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TelegramWebhookEndpoints).FullName!);

        if (string.IsNullOrEmpty(options.WebhookSecretToken) ||
            !SecretMatches(http.Request.Headers[SecretHeader].ToString(), options.WebhookSecretToken))
        {
            logger.LogWarning("Rejected a Telegram webhook request from {RemoteIp}: missing or wrong secret token", http.Connection.RemoteIpAddress);
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        string payload;
        Update? update;
        try
        {
            payload = await ReadBodyAsync(http.Request.Body, http.RequestAborted).ConfigureAwait(false);
            update = JsonSerializer.Deserialize<Update>(payload, JsonBotAPI.Options);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            logger.LogWarning("Rejected an unreadable Telegram webhook body: {Error}", ex.Message);
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        if (update is null || update.Id <= 0)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var inbox = services.GetRequiredService<IInboxStore>();
        var dispatcher = services.GetRequiredService<TelegramUpdateDispatcher>();
        var time = services.GetRequiredService<TimeProvider>();
        try
        {
            if (await inbox.TryAddAsync(TelegramUpdateDispatcher.Channel, update.Id, payload, http.RequestAborted).ConfigureAwait(false))
                dispatcher.Enqueue(new InboxItem(TelegramUpdateDispatcher.Channel, update.Id, payload, time.GetUtcNow(), 0), update);
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            logger.LogError("Storing Telegram update {UpdateId} from the webhook failed; Telegram will deliver it again: {Error}",
                update.Id, services.GetRequiredService<LogRedaction>().Describe(ex));
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Compares SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither content nor length leaks through timing.</summary>
    internal static bool SecretMatches(string? presented, string expected)
    {
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? ""));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b) && !string.IsNullOrEmpty(presented);
    }

    private static async Task<string> ReadBodyAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                throw new InvalidDataException("The update is larger than 1 MiB.");
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
