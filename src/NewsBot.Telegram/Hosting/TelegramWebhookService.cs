using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
    TimeProvider time,
    LogRedaction redaction,
    ILogger<TelegramWebhookService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await startup.InitializeAsync(webhook: true, stoppingToken).ConfigureAwait(false))
            return;

        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pending = await inbox.GetPendingAsync(TelegramUpdateDispatcher.Channel, stoppingToken).ConfigureAwait(false);
                foreach (var item in pending)
                    dispatcher.Enqueue(item);
                if (pending.Count > 0)
                    logger.LogInformation("Resuming {Count} pending Telegram update(s) from the inbox", pending.Count);
                dispatcher.Open();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = backoff.Next();
                logger.LogError("Reading the Telegram inbox failed, retrying in {Delay:0.#} s: {Error}", delay.TotalSeconds, redaction.Full(ex));
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await dispatcher.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
