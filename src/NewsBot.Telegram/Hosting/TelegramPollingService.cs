using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using Polly;
using Polly.Registry;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace NewsBot.Telegram.Hosting;

/// <summary>
/// Long polling (the default mode). At start: getMe, deleteWebhook, setMyCommands; then the updates still
/// pending in the inbox are queued first, and polling resumes after the highest stored update id.
/// Each received update is stored in the inbox before the next getUpdates (offset = last + 1) acknowledges
/// it to Telegram, so a crash never loses one; an id stored before is never handled again.
/// Telegram may renumber update ids lower (a new bot token, switching to or from a local Bot API server with the
/// same data, ids re-chosen after a week without updates); TDLib then ignores the offset past its newest update and
/// returns its queue from the start. A batch whose ids are all below the saved position is taken as such a
/// renumbering: one warning, the old numbering's done ids are forgotten, and polling continues from the new ids.
/// Failures are retried by the host's pipeline <see cref="TelegramRetry.ReconnectPipelineKey"/>: network errors back
/// off exponentially (capped, with jitter), 429 honours retry_after; 401 stops polling with a clear error and no crash loop.
/// </summary>
public sealed class TelegramPollingService(
    ITelegramBotClient bot,
    TelegramStartup startup,
    TelegramUpdateDispatcher dispatcher,
    IInboxStore inbox,
    IOptions<TelegramOptions> options,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider time,
    LogRedaction redaction,
    ILogger<TelegramPollingService> logger) : BackgroundService
{
    private const string Channel = TelegramUpdateDispatcher.Channel;

    private readonly ResiliencePipeline _reconnect = pipelines.GetPipeline(TelegramRetry.ReconnectPipelineKey);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await startup.InitializeAsync(webhook: false, stoppingToken).ConfigureAwait(false))
            return;

        // reading the inbox and getUpdates are retried (backoff capped, retry_after honoured) until they work or the host
        // stops, by the pipeline ReconnectPipelineKey; a rejected token (401) is not retried and stops polling
        var reconnect = _reconnect;
        int? offset;
        try
        {
            offset = await reconnect.ExecuteAsync(async c => await ResumeAsync(c).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            logger.LogCritical("Reading the Telegram inbox failed with an error that retrying cannot fix; polling stopped: {Error}", redaction.Full(ex));
            return;
        }

        var timeout = options.Value.PollingTimeoutSeconds;
        while (!stoppingToken.IsCancellationRequested)
        {
            Update[] updates;
            try
            {
                var from = offset;
                updates = await reconnect.ExecuteAsync(async c => await bot.GetUpdates(from, limit: 100, timeout: timeout,
                    allowedUpdates: TelegramStartup.AllowedUpdates, cancellationToken: c).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
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
                logger.LogCritical("Polling Telegram failed with an error that retrying cannot fix; polling stopped: {Error}", redaction.Full(ex));
                return;
            }

            try
            {
                offset = await StoreBatchAsync(updates, offset, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogCritical("Storing Telegram updates in the inbox failed with an error that retrying cannot fix; polling stopped: {Error}", redaction.Full(ex));
                return;
            }
        }
    }

    /// <summary>Stores a batch in the inbox (inbox failures retried by the reconnect pipeline); the offset to poll from next.</summary>
    private async Task<int?> StoreBatchAsync(Update[] updates, int? offset, CancellationToken ct)
    {
        var batch = updates.OrderBy(u => u.Id).ToList();
        if (offset is { } resumeAt && batch.Count > 0 && batch[^1].Id < resumeAt)
        {
            // Telegram never returns updates below the offset it was given, unless it renumbered them (see the
            // class summary): skipping them would leave the bot silent, and polling from the old position spins.
            await ForgetOldNumberingAsync(resumeAt, batch[0].Id, batch[^1].Id, ct).ConfigureAwait(false);
            offset = null;
        }

        foreach (var update in batch)
        {
            if (offset is { } o && update.Id < o)
                continue;
            await StoreAsync(update, ct).ConfigureAwait(false);
            offset = update.Id + 1; // stored: the next getUpdates acknowledges it
        }
        return offset;
    }

    /// <summary>
    /// The update ids restarted lower than the saved position: warns once and forgets the handled ids of the old
    /// numbering, so equal ids of the new one are handled.
    /// </summary>
    private async Task ForgetOldNumberingAsync(int expected, int first, int last, CancellationToken ct)
    {
        var forgotten = await _reconnect.ExecuteAsync(async c => await inbox.ForgetDoneAsync(Channel, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        logger.LogWarning(
            "Telegram renumbered its update ids: expected {Expected} or more, got {First}..{Last}. This happens after a new bot token, a switch " +
            "to or from a local Bot API server, or a week without updates. Continuing from the new numbering; forgot {Forgotten} handled update id(s) of the old one",
            expected, first, last, forgotten);
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

    /// <summary>Stores one update (until the inbox takes it or <paramref name="ct"/> fires) and queues it unless it was stored before.</summary>
    private async Task StoreAsync(Update update, CancellationToken ct)
    {
        var payload = JsonSerializer.Serialize(update, JsonBotAPI.Options);
        var added = await _reconnect.ExecuteAsync(async c => await inbox.TryAddAsync(Channel, update.Id, payload, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        if (added)
            dispatcher.Enqueue(new InboxItem(Channel, update.Id, payload, time.GetUtcNow(), 0), update);
        else
            logger.LogDebug("Telegram update {UpdateId} was stored before; not handling it again", update.Id);
    }

    /// <summary>Stops polling first, then lets in-flight answers finish within the host's shutdown timeout.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await dispatcher.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
