using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace NewsBot.Telegram.Hosting;

/// <summary>
/// Long polling (the default mode). At start: getMe, deleteWebhook, setMyCommands; then the updates still
/// pending in the inbox are queued first, and polling resumes after the highest stored update id.
/// Each received update is stored in the inbox before the next getUpdates (offset = last + 1) acknowledges
/// it to Telegram, so a crash never loses one; an id stored before is never handled again.
/// Network errors back off exponentially (capped, with jitter); 429 honours retry_after; 401 stops
/// polling with a clear error and no crash loop.
/// </summary>
public sealed class TelegramPollingService(
    ITelegramBotClient bot,
    TelegramStartup startup,
    TelegramUpdateDispatcher dispatcher,
    IInboxStore inbox,
    IOptions<TelegramOptions> options,
    TimeProvider time,
    LogRedaction redaction,
    ILogger<TelegramPollingService> logger) : BackgroundService
{
    private const string Channel = TelegramUpdateDispatcher.Channel;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await startup.InitializeAsync(webhook: false, stoppingToken).ConfigureAwait(false))
            return;

        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        int? offset;
        while (true)
        {
            try
            {
                offset = await ResumeAsync(stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = backoff.Next();
                logger.LogError("Reading the Telegram inbox failed, retrying in {Delay:0.#} s: {Error}", delay.TotalSeconds, redaction.Full(ex));
                if (!await DelayAsync(delay, stoppingToken).ConfigureAwait(false))
                    return;
            }
        }

        backoff.Reset();
        var timeout = options.Value.PollingTimeoutSeconds;
        while (!stoppingToken.IsCancellationRequested)
        {
            Update[] updates;
            try
            {
                updates = await bot.GetUpdates(offset, limit: 100, timeout: timeout,
                    allowedUpdates: TelegramStartup.AllowedUpdates, cancellationToken: stoppingToken).ConfigureAwait(false);
                backoff.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (ApiRequestException e) when (TelegramStartup.IsUnauthorized(e))
            {
                logger.LogCritical(TelegramStartup.UnauthorizedMessage + " (polling stopped; fix the token and restart)");
                return;
            }
            catch (Exception ex)
            {
                var delay = TelegramStartup.RetryAfter(ex) ?? backoff.Next();
                if (ex is ApiRequestException { ErrorCode: 409 })
                    logger.LogWarning("Telegram reports a conflict (another instance is polling with this token, or a webhook is set); retrying in {Delay:0.#} s: {Error}",
                        delay.TotalSeconds, redaction.Describe(ex));
                else
                    logger.LogWarning("Polling Telegram failed, retrying in {Delay:0.#} s: {Error}", delay.TotalSeconds, redaction.Describe(ex));
                if (!await DelayAsync(delay, stoppingToken).ConfigureAwait(false))
                    break;
                continue;
            }

            foreach (var update in updates.OrderBy(u => u.Id))
            {
                if (offset is { } o && update.Id < o)
                    continue;
                if (!await StoreAsync(update, stoppingToken).ConfigureAwait(false))
                    break; // not stored: don't acknowledge it; the next getUpdates returns it again
                offset = update.Id + 1;
            }
        }
    }

    /// <summary>Queues the inbox's pending updates, opens the dispatcher, returns the offset to poll from.</summary>
    private async Task<int?> ResumeAsync(CancellationToken ct)
    {
        var pending = await inbox.GetPendingAsync(Channel, ct).ConfigureAwait(false);
        foreach (var item in pending)
            dispatcher.Enqueue(item);
        if (pending.Count > 0)
            logger.LogInformation("Resuming {Count} pending Telegram update(s) from the inbox", pending.Count);
        dispatcher.Open();
        var last = await inbox.GetLastUpdateIdAsync(Channel, ct).ConfigureAwait(false);
        return last is { } l ? checked((int)(l + 1)) : null;
    }

    private async Task<bool> StoreAsync(Update update, CancellationToken ct)
    {
        var payload = JsonSerializer.Serialize(update, JsonBotAPI.Options);
        try
        {
            if (await inbox.TryAddAsync(Channel, update.Id, payload, ct).ConfigureAwait(false))
                dispatcher.Enqueue(new InboxItem(Channel, update.Id, payload, time.GetUtcNow(), 0), update);
            else
                logger.LogDebug("Telegram update {UpdateId} was stored before; not handling it again", update.Id);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            logger.LogError("Storing Telegram update {UpdateId} in the inbox failed; it will be fetched again: {Error}", update.Id, redaction.Full(ex));
            await DelayAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            return false;
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops polling first, then lets in-flight answers finish within the host's shutdown timeout.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await dispatcher.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
