using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

namespace NewsBot.Hosting;

/// <summary>
/// Builds the Generic Host shared by every verb: configuration (defaults shipped with the app, then
/// ./appsettings.json, ./appsettings.{Environment}.json, --config, environment variables such as
/// <c>Embeddings__Provider</c>, then command-line overrides such as --data), Serilog from the
/// <c>Serilog</c> section, and the NewsBot services.
/// </summary>
public static class AppHost
{
    public static void ConfigureConfiguration(IConfigurationBuilder config, CliContext ctx, string environment)
    {
        config.Sources.Clear();
        config.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        config.AddJsonFile(Path.Combine(ctx.WorkingDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        config.AddJsonFile(Path.Combine(ctx.WorkingDirectory, $"appsettings.{environment}.json"), optional: true, reloadOnChange: false);
        if (ctx.ConfigFile is { } file)
        {
            var full = Path.GetFullPath(file, ctx.WorkingDirectory);
            if (!File.Exists(full)) throw new ConfigurationException($"--config: the settings file '{full}' does not exist.");
            config.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        config.AddEnvironmentVariables();
        var overrides = new Dictionary<string, string?>(ctx.Overrides);
        if (ctx.DataDirectory is { } data) overrides[$"{StorageOptions.SectionName}:DataDirectory"] = data;
        config.AddInMemoryCollection(overrides);
    }

    /// <summary>
    /// The assemblies the Serilog section may name sinks, enrichers and formatters from: every Serilog assembly NewsBot
    /// ships (what Serilog would find by reading the app's dependency file and loading each, ~0.1 s of a cold start;
    /// a "Using" entry naming anything else could not be loaded anyway, as it is not part of the app).
    /// </summary>
    static readonly Serilog.Settings.Configuration.ConfigurationReaderOptions SerilogAssemblies = new(
        typeof(Serilog.ILogger).Assembly,
        typeof(Serilog.ConsoleLoggerConfigurationExtensions).Assembly,
        typeof(Serilog.FileLoggerConfigurationExtensions).Assembly,
        typeof(Serilog.Formatting.Compact.CompactJsonFormatter).Assembly,
        typeof(Serilog.SerilogHostBuilderExtensions).Assembly,
        typeof(Serilog.Extensions.Logging.SerilogLoggerProvider).Assembly,
        typeof(Serilog.ConfigurationLoggerConfigurationExtensions).Assembly);

    public static void ConfigureLogging(IServiceCollection services, IConfiguration config, CliContext ctx)
    {
        services.AddSerilog((sp, lc) =>
        {
            StartupTrace.Mark("logging: Serilog configuration starts");
            lc.ReadFrom.Configuration(config, SerilogAssemblies);
            StartupTrace.Mark("logging: Serilog configuration read");
            // Qdrant.Client logs every failed call with its stack trace; NewsBot reports those failures itself.
            lc.MinimumLevel.Override("Qdrant.Client", LogEventLevel.Fatal);
            if (!ctx.IsWorker && !ctx.Verbose) lc.MinimumLevel.Warning()
                .MinimumLevel.Override("NewsBot.Core.Ingestion.IngestionPipeline", LogEventLevel.Error) // the CLI prints failed items itself
                .MinimumLevel.Override("NewsBot.Qdrant", LogEventLevel.Error); // retries are reported once, as the final message
            else if (ctx.Verbose) lc.MinimumLevel.Debug().MinimumLevel.Override("Microsoft", LogEventLevel.Warning).MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning);
        });
    }

    public static string EnvironmentName()
        => Environment.GetEnvironmentVariable("NEWSBOT_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";

    public static IHost Build(CliContext ctx, Action<IServiceCollection, IConfiguration>? configure = null)
    {
        var environment = EnvironmentName();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = ctx.WorkingDirectory,
            EnvironmentName = environment,
            ApplicationName = "NewsBot",
        });
        StartupTrace.Mark("host builder created");
        ConfigureConfiguration(builder.Configuration, ctx, environment);
        StartupTrace.Mark("configuration read");
        ConfigureLogging(builder.Services, builder.Configuration, ctx);
        builder.Services.AddNewsBot(builder.Configuration, ctx);
        configure?.Invoke(builder.Services, builder.Configuration);
        StartupTrace.Mark("services registered");
        return builder.Build();
    }
}
