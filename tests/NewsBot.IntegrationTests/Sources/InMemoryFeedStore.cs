using System.Collections.Concurrent;
using NewsBot.Core.Ports;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>A feed store fake: feeds and seen items in memory, every update recorded.</summary>
internal sealed class InMemoryFeedStore : IFeedStore
{
    readonly ConcurrentDictionary<string, FeedRecord> _feeds = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string, string), bool> _seen = new();

    public List<FeedRecord> Updates { get; } = [];

    public Task<bool> AddFeedAsync(FeedRecord feed, CancellationToken ct = default) => Task.FromResult(_feeds.TryAdd(feed.Url, feed));

    public Task<bool> RemoveFeedAsync(string url, CancellationToken ct = default) => Task.FromResult(_feeds.TryRemove(url, out _));

    public Task<FeedRecord?> GetFeedAsync(string url, CancellationToken ct = default) => Task.FromResult(_feeds.TryGetValue(url, out var f) ? f : null);

    public Task<IReadOnlyList<FeedRecord>> ListFeedsAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<FeedRecord>>(_feeds.Values.ToList());

    public Task UpdateFeedAsync(FeedRecord feed, CancellationToken ct = default)
    {
        _feeds[feed.Url] = feed;
        lock (Updates) Updates.Add(feed);
        return Task.CompletedTask;
    }

    public Task<bool> IsItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => Task.FromResult(_seen.ContainsKey((feedUrl, itemId)));

    public Task MarkItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default)
    {
        _seen[(feedUrl, itemId)] = true;
        return Task.CompletedTask;
    }

    public Task<bool> MoveSeenItemAsync(string feedUrl, string fromId, string toId, CancellationToken ct = default)
    {
        if (!_seen.TryRemove((feedUrl, fromId), out _)) return Task.FromResult(false);
        _seen[(feedUrl, toId)] = true;
        return Task.FromResult(true);
    }
}
