using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Hosting;

namespace NewsBot.Worker;

/// <summary>Builds the worker host (the same services as the CLI, plus scheduled jobs and channels).</summary>
public static class WorkerHost
{
    public static IHost Build(CliContext ctx, Action<IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration>? configure = null)
        => AppHost.Build(ctx, (services, config) =>
        {
            services.AddNewsBotWorker(config);
            ChannelRegistration.AddChannels(services, config);
            configure?.Invoke(services, config);
        });

    public static void LogStartup(IServiceProvider sp, ILogger logger)
    {
        var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
        var ingestion = sp.GetRequiredService<IngestionOptions>();
        var index = sp.GetRequiredService<IArticleIndex>();
        logger.LogInformation("NewsBot worker started: data in {DataDirectory}, {Index} index, feeds polled every {PollInterval}",
            Path.GetFullPath(storage.DataDirectory), index.Provider, ingestion.PollInterval);
        ChannelRegistration.LogChannelState(sp, logger);
    }
}
