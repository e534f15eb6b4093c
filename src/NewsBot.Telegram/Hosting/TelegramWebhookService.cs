using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly.Registry;
using NewsBot.Core.Ports;

namespace NewsBot.Telegram.Hosting;

/// <summary>
/// Webhook mode (Telegram:WebhookUrl set): at start getMe, setWebhook(url, secret, allowed updates) and
/// setMyCommands, then the inbox's pending updates are queued and the dispatcher opens. Updates arrive through
/// <see cref="TelegramWebhookEndpoints.MapTelegramWebhook"/>, which stores them and returns 200 at once.
/// </summary>
public sealed class TelegramWebhookService(
    TelegramStartup startup,
    TelegramUpdateDispatcher dispatcher,
    IInboxStore inbox,
    ResiliencePipelineProvider<string> pipelines,
    LogRedaction redaction,
    ILogger<TelegramWebhookService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await startup.InitializeAsync(webhook: true, stoppingToken).ConfigureAwait(false))
            return;

        // the inbox is read again until it works or the host stops (pipeline ReconnectPipelineKey)
        try
        {
            await pipelines.GetPipeline(TelegramRetry.ReconnectPipelineKey).ExecuteAsync(async c =>
            {
                var pending = await inbox.GetPendingAsync(TelegramUpdateDispatcher.Channel, c).ConfigureAwait(false);
                foreach (var item in pending)
                    dispatcher.Enqueue(item);
                if (pending.Count > 0)
                    logger.LogInformation("Resuming {Count} pending Telegram update(s) from the inbox", pending.Count);
            }, stoppingToken).ConfigureAwait(false);
            dispatcher.Open();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogCritical("Reading the Telegram inbox failed with an error that retrying cannot fix; updates are not handled: {Error}", redaction.Full(ex));
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await dispatcher.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
