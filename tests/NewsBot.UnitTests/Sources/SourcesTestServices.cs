using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Sources;

namespace NewsBot.UnitTests.Sources;

/// <summary>Builds the sources adapter the way the host does: AddNewsBotSources over a service collection.</summary>
internal static class SourcesTestServices
{
    public static ServiceProvider Build(IngestionOptions? options = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(LogSecretScanner.AddTo);
        services.AddSingleton<IOptions<IngestionOptions>>(Options.Create(options ?? new IngestionOptions()));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IFeedStore, NoFeedStore>();
        services.AddNewsBotSources();
        return services.BuildServiceProvider();
    }

    public static async Task<List<SourceItem>> ReadAllAsync(this IArticleSource source, string input)
    {
        var items = new List<SourceItem>();
        await foreach (var item in source.ReadAsync(input)) items.Add(item);
        return items;
    }

    sealed class NoFeedStore : IFeedStore
    {
        public Task<bool> AddFeedAsync(FeedRecord feed, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> RemoveFeedAsync(string url, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<FeedRecord?> GetFeedAsync(string url, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<FeedRecord>> ListFeedsAsync(CancellationToken ct = default) => throw new NotSupportedException();
        public Task UpdateFeedAsync(FeedRecord feed, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> IsItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task MarkItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> MoveSeenItemAsync(string feedUrl, string fromId, string toId, CancellationToken ct = default) => throw new NotSupportedException();
    }
}
