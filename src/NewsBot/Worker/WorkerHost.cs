using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Hosting;
using NewsBot.Telegram.Hosting;

namespace NewsBot.Worker;

/// <summary>
/// Builds the worker: the CLI's services plus scheduled jobs and channels. In Telegram webhook mode it is
/// an ASP.NET Core app listening on <c>Telegram:ListenUrls</c> (default http://0.0.0.0:8080) with the
/// webhook endpoint mapped; otherwise a plain Generic Host.
/// </summary>
public static class WorkerHost
{
    public static IHost Build(CliContext ctx, Action<IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration>? configure = null)
    {
        var probe = new Microsoft.Extensions.Configuration.ConfigurationManager();
        var environment = AppHost.EnvironmentName();
        AppHost.ConfigureConfiguration(probe, ctx, environment);
        if (!ChannelRegistration.WebhookMode(probe))
        {
            return AppHost.Build(ctx, (services, config) =>
            {
                Configure(services, config);
                configure?.Invoke(services, config);
            });
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = ctx.WorkingDirectory, EnvironmentName = environment, ApplicationName = "NewsBot" });
        AppHost.ConfigureConfiguration(builder.Configuration, ctx, environment);
        builder.Logging.ClearProviders();
        AppHost.ConfigureLogging(builder.Services, builder.Configuration, ctx);
        builder.WebHost.UseUrls((builder.Configuration["Telegram:ListenUrls"] ?? "http://0.0.0.0:8080").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddNewsBot(builder.Configuration, ctx);
        Configure(builder.Services, builder.Configuration);
        configure?.Invoke(builder.Services, builder.Configuration);
        var app = builder.Build();
        app.MapTelegramWebhook();
        return app;

        static void Configure(IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration config)
        {
            services.AddNewsBotWorker(config);
            ChannelRegistration.AddChannels(services, config);
        }
    }

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
