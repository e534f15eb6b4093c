using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Sources;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>The sources adapter wired as the host wires it (AddNewsBotSources), with test limits.</summary>
internal sealed class SourcesHost : IDisposable
{
    readonly ServiceProvider _services;

    /// <param name="configure">More registrations, e.g. the evaluator's file identity.</param>
    public SourcesHost(IngestionOptions? options = null, Action<IServiceCollection>? configure = null)
    {
        Options = options ?? new IngestionOptions
        {
            HttpTimeout = TimeSpan.FromSeconds(10),
            MaxRedirects = 5,
            MaxDocumentBytes = 64 * 1024,
            UserAgent = "NewsBot-Tests/1.0",
        };
        var services = new ServiceCollection();
        services.AddLogging(LogSecretScanner.AddTo);
        services.AddSingleton<IOptions<IngestionOptions>>(Microsoft.Extensions.Options.Options.Create(Options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IFeedStore>(Store);
        services.AddNewsBotSources();
        configure?.Invoke(services);
        _services = services.BuildServiceProvider();
    }

    public IngestionOptions Options { get; }

    public InMemoryFeedStore Store { get; } = new();

    public ArticleSource Source => _services.GetRequiredService<ArticleSource>();

    public IFeedPoller Poller => _services.GetRequiredService<IFeedPoller>();

    public async Task<List<SourceItem>> ReadAsync(string input, bool trusted = true)
    {
        var items = new List<SourceItem>();
        await foreach (var item in Source.ReadAsync(input, trusted)) items.Add(item);
        return items;
    }

    public async Task<List<SourceItem>> PollAsync(FeedRecord feed)
    {
        var items = new List<SourceItem>();
        await foreach (var item in Poller.PollAsync(feed)) items.Add(item);
        return items;
    }

    public void Dispose() => _services.Dispose();
}
