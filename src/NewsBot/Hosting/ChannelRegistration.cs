using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NewsBot.Hosting;

// Seam for the Telegram channel, which lands from its own branch.
internal static class ChannelRegistration
{
    public static void AddChannels(IServiceCollection services, IConfiguration config) { }

    public static void LogChannelState(IServiceProvider sp, ILogger logger)
        => logger.LogInformation("Telegram is not connected: set Telegram__BotToken to a token from @BotFather to serve the bot (see README, \"Telegram\").");
}
