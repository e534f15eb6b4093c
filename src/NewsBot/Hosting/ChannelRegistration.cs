using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using NewsBot.Telegram;

namespace NewsBot.Hosting;

/// <summary>The channels the worker serves: Telegram (long polling or webhook) when a bot token is configured.</summary>
internal static class ChannelRegistration
{
    public static void AddChannels(IServiceCollection services, IConfiguration config)
    {
        services.AddNewsBotTelegram(config);
    }

    public static bool TelegramEnabled(IConfiguration config) => !string.IsNullOrWhiteSpace(config["Telegram:BotToken"]);

    public static bool WebhookMode(IConfiguration config) => TelegramEnabled(config) && !string.IsNullOrWhiteSpace(config["Telegram:WebhookUrl"]);

    public static void LogChannelState(IServiceProvider sp, ILogger logger)
    {
        var o = sp.GetRequiredService<IOptions<TelegramOptions>>().Value;
        if (string.IsNullOrWhiteSpace(o.BotToken))
        {
            logger.LogInformation("Telegram is not connected: create a bot with @BotFather and set the environment variable Telegram__BotToken to its token (see README, \"Telegram\"). Feeds are still polled.");
            return;
        }
        if (string.IsNullOrWhiteSpace(o.WebhookUrl)) logger.LogInformation("Telegram: serving the bot by long polling{Server}", string.IsNullOrWhiteSpace(o.BaseUrl) ? "" : " through the configured Bot API server");
        else logger.LogInformation("Telegram: serving the bot by webhook at {Path}", o.WebhookPath);
    }
}
