using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>A scripted answer engine: records requests; <see cref="Handler"/> decides the answer.</summary>
public sealed class ScriptedAnswerService : IAnswerService
{
    public ConcurrentQueue<AnswerRequest> Requests { get; } = new();
    public ConcurrentQueue<string> Resets { get; } = new();

    public Func<AnswerRequest, CancellationToken, Task<AnswerResult>> Handler { get; set; } =
        (r, _) => Task.FromResult(CitedAnswer(r.Question));

    public async Task<AnswerResult> AnswerAsync(AnswerRequest request, CancellationToken ct = default)
    {
        Requests.Enqueue(request);
        return await Handler(request, ct);
    }

    public Task ResetConversationAsync(string conversationId, CancellationToken ct = default)
    {
        Resets.Enqueue(conversationId);
        return Task.CompletedTask;
    }

    /// <summary>An answer that repeats the question and cites two sources whose titles contain &lt; &amp; ".</summary>
    public static AnswerResult CitedAnswer(string question, string? answer = null) => new()
    {
        Question = question,
        StandaloneQuery = question,
        Answer = answer ?? $"About “{question}”: the council approved the budget [1] and rates rose by 0.25% [2].",
        Refused = false,
        Mode = AnswerMode.Extractive,
        Citations =
        [
            new Citation
            {
                N = 1,
                Article = new()
                {
                    Id = "a1", Title = "Council <approves> budget & \"cuts\"", Outlet = "Daily <News>",
                    Published = new DateTimeOffset(2025, 3, 12, 9, 0, 0, TimeSpan.Zero), Url = "https://news.example.org/budget?a=1&b=\"2\"",
                },
                Snippet = "The council voted 7 < 9 & approved \"the\" budget.",
            },
            new Citation
            {
                N = 2,
                Article = new()
                {
                    Id = "a2", Title = "Rates rise", Outlet = "Local Files",
                    Published = new DateTimeOffset(2025, 3, 13, 9, 0, 0, TimeSpan.Zero), Url = "file:///data/articles/rates.txt",
                },
                Snippet = "The bank raised rates by a quarter point.",
            },
        ],
    };
}

/// <summary>In-memory at-least-once inbox (shared between two bot instances to simulate a restart).</summary>
public sealed class InMemoryInboxStore : IInboxStore
{
    private sealed record Entry(string Payload, DateTimeOffset ReceivedAt, int Attempts, bool Done);

    private readonly Dictionary<(string, long), Entry> _entries = [];
    private readonly Lock _lock = new();

    public Task<bool> TryAddAsync(string channel, long updateId, string payload, CancellationToken ct = default)
    {
        lock (_lock)
            return Task.FromResult(_entries.TryAdd((channel, updateId), new Entry(payload, DateTimeOffset.UtcNow, 0, false)));
    }

    public Task<IReadOnlyList<InboxItem>> GetPendingAsync(string channel, CancellationToken ct = default)
    {
        lock (_lock)
        {
            IReadOnlyList<InboxItem> items = [.. _entries.Where(e => e.Key.Item1 == channel && !e.Value.Done).OrderBy(e => e.Key.Item2)
                .Select(e => new InboxItem(channel, e.Key.Item2, e.Value.Payload, e.Value.ReceivedAt, e.Value.Attempts))];
            return Task.FromResult(items);
        }
    }

    public Task RecordAttemptAsync(string channel, long updateId, CancellationToken ct = default)
    {
        lock (_lock)
            if (_entries.TryGetValue((channel, updateId), out var e))
                _entries[(channel, updateId)] = e with { Attempts = e.Attempts + 1 };
        return Task.CompletedTask;
    }

    public Task MarkDoneAsync(string channel, long updateId, CancellationToken ct = default)
    {
        lock (_lock)
            if (_entries.TryGetValue((channel, updateId), out var e))
                _entries[(channel, updateId)] = e with { Done = true };
        return Task.CompletedTask;
    }

    public Task<long?> GetLastUpdateIdAsync(string channel, CancellationToken ct = default)
    {
        lock (_lock)
        {
            var ids = _entries.Keys.Where(k => k.Item1 == channel).Select(k => k.Item2).ToList();
            return Task.FromResult<long?>(ids.Count == 0 ? null : ids.Max());
        }
    }

    public Task<int> ForgetDoneAsync(string channel, CancellationToken ct = default)
    {
        lock (_lock)
        {
            var done = _entries.Where(e => e.Key.Item1 == channel && e.Value.Done).Select(e => e.Key).ToList();
            foreach (var key in done)
                _entries.Remove(key);
            return Task.FromResult(done.Count);
        }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    public int PendingCount
    {
        get { lock (_lock) return _entries.Values.Count(e => !e.Done); }
    }

    public bool IsDone(long updateId)
    {
        lock (_lock)
            return _entries.TryGetValue(("telegram", updateId), out var e) && e.Done;
    }
}

public sealed class InMemoryFeedStore : IFeedStore
{
    public ConcurrentDictionary<string, FeedRecord> Feeds { get; } = new();

    public Task<bool> AddFeedAsync(FeedRecord feed, CancellationToken ct = default) => Task.FromResult(Feeds.TryAdd(feed.Url, feed));
    public Task<bool> RemoveFeedAsync(string url, CancellationToken ct = default) => Task.FromResult(Feeds.TryRemove(url, out _));
    public Task<FeedRecord?> GetFeedAsync(string url, CancellationToken ct = default) => Task.FromResult(Feeds.GetValueOrDefault(url));
    public Task<IReadOnlyList<FeedRecord>> ListFeedsAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<FeedRecord>>([.. Feeds.Values]);
    public Task UpdateFeedAsync(FeedRecord feed, CancellationToken ct = default)
    {
        Feeds[feed.Url] = feed;
        return Task.CompletedTask;
    }
    public Task<bool> IsItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => Task.FromResult(false);
    public Task MarkItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => Task.CompletedTask;

    public Task<bool> MoveSeenItemAsync(string feedUrl, string fromId, string toId, CancellationToken ct = default) => Task.FromResult(false);
}

/// <summary>Probes like the real poller's SSRF guard for untrusted URLs: loopback/private hosts are refused.</summary>
public sealed class FakeFeedPoller : IFeedPoller
{
    public ConcurrentQueue<(string Url, bool Trusted)> Probes { get; } = new();

    public Task<FeedProbe> ProbeAsync(string url, bool trusted, CancellationToken ct = default)
    {
        Probes.Enqueue((url, trusted));
        var host = new Uri(url).Host;
        if (!trusted && (host is "127.0.0.1" or "localhost" || host.StartsWith("10.", StringComparison.Ordinal) || host.StartsWith("192.168.", StringComparison.Ordinal)))
            return Task.FromResult(new FeedProbe(false, null, $"the address {host} is a private or loopback address, which feeds added from chats may not use"));
        return Task.FromResult(new FeedProbe(true, "Example <Feed>", null));
    }

    public async IAsyncEnumerable<SourceItem> PollAsync(FeedRecord feed, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await Task.CompletedTask;
        yield break;
    }
}

public sealed class InMemoryArticleStore : IArticleStore
{
    public List<ArticleRecord> Articles { get; } = [];

    public Task<StoreCounts> GetCountsAsync(CancellationToken ct = default) =>
        Task.FromResult(new StoreCounts(Articles.Count, 0, Articles.Count == 0 ? null : Articles.Max(a => a.IngestedAt)));

    public Task<IReadOnlyList<OutletStats>> GetOutletsAsync(CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<OutletStats>>([.. Articles.GroupBy(a => a.Article.Outlet ?? "(unknown)")
            .Select(g => new OutletStats(g.Key, g.Count(), g.Max(a => a.Article.Published)))]);

    public Task<IReadOnlyList<ArticleRecord>> GetRecentArticlesAsync(DateTimeOffset since, int limit, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ArticleRecord>>([.. Articles.OrderByDescending(a => a.Article.Published ?? a.IngestedAt).Take(limit)]);

    public Task<ArticleRecord?> GetArticleAsync(string articleId, CancellationToken ct = default) => Task.FromResult(Articles.FirstOrDefault(a => a.Id == articleId));
    public Task<IReadOnlyList<ArticleRecord>> GetArticlesAsync(IReadOnlyCollection<string> articleIds, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ArticleRecord>>([.. Articles.Where(a => articleIds.Contains(a.Id))]);
    public Task<ArticleRecord?> FindBySourceAsync(string sourceKey, CancellationToken ct = default) => Task.FromResult<ArticleRecord?>(null);
    public Task<ArticleRecord?> FindByContentHashAsync(string contentHash, CancellationToken ct = default) => Task.FromResult<ArticleRecord?>(null);
    public Task<(ArticleRecord Article, double Similarity)?> FindNearDuplicateAsync(ulong[] minHash, double threshold, CancellationToken ct = default) =>
        Task.FromResult<(ArticleRecord, double)?>(null);
    public Task<DuplicateRecord?> FindDuplicateAsync(string sourceKey, CancellationToken ct = default) => Task.FromResult<DuplicateRecord?>(null);
    public Task SaveArticleAsync(ArticleRecord article, string? replacesArticleId = null, CancellationToken ct = default) => Task.CompletedTask;
    public Task RecordDuplicateAsync(DuplicateRecord duplicate, CancellationToken ct = default) => Task.CompletedTask;
    public Task DeleteArticleAsync(string articleId, CancellationToken ct = default) => Task.CompletedTask;
    public Task<IReadOnlyList<ArticleRecord>> ListArticlesAsync(long afterSequence, int limit, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ArticleRecord>>([]);

    public static ArticleRecord Article(string id, string title, string outlet, DateTimeOffset published) => new()
    {
        Article = new() { Id = id, Url = "https://example.org/" + id, Title = title, Outlet = outlet, Published = published },
        SourceKey = "https://example.org/" + id, IngestedAt = published, ContentHash = id, Kind = SourceKind.Page,
    };
}

/// <summary>An article store whose every call fails the way a busy SQLite file does.</summary>
public sealed class ThrowingArticleStore : IArticleStore
{
    private static InvalidOperationException Locked() => new("SQLite Error 5: 'database is locked'.");

    public Task<StoreCounts> GetCountsAsync(CancellationToken ct = default) => throw Locked();
    public Task<IReadOnlyList<OutletStats>> GetOutletsAsync(CancellationToken ct = default) => throw Locked();
    public Task<IReadOnlyList<ArticleRecord>> GetRecentArticlesAsync(DateTimeOffset since, int limit, CancellationToken ct = default) => throw Locked();
    public Task<ArticleRecord?> GetArticleAsync(string articleId, CancellationToken ct = default) => throw Locked();
    public Task<IReadOnlyList<ArticleRecord>> GetArticlesAsync(IReadOnlyCollection<string> articleIds, CancellationToken ct = default) => throw Locked();
    public Task<ArticleRecord?> FindBySourceAsync(string sourceKey, CancellationToken ct = default) => throw Locked();
    public Task<ArticleRecord?> FindByContentHashAsync(string contentHash, CancellationToken ct = default) => throw Locked();
    public Task<(ArticleRecord Article, double Similarity)?> FindNearDuplicateAsync(ulong[] minHash, double threshold, CancellationToken ct = default) => throw Locked();
    public Task<DuplicateRecord?> FindDuplicateAsync(string sourceKey, CancellationToken ct = default) => throw Locked();
    public Task SaveArticleAsync(ArticleRecord article, string? replacesArticleId = null, CancellationToken ct = default) => throw Locked();
    public Task RecordDuplicateAsync(DuplicateRecord duplicate, CancellationToken ct = default) => throw Locked();
    public Task DeleteArticleAsync(string articleId, CancellationToken ct = default) => throw Locked();
    public Task<IReadOnlyList<ArticleRecord>> ListArticlesAsync(long afterSequence, int limit, CancellationToken ct = default) => throw Locked();
}

/// <summary>A feed store whose every call fails the way a busy SQLite file does.</summary>
public sealed class ThrowingFeedStore : IFeedStore
{
    private static InvalidOperationException Locked() => new("SQLite Error 5: 'database is locked'.");

    public Task<bool> AddFeedAsync(FeedRecord feed, CancellationToken ct = default) => throw Locked();
    public Task<bool> RemoveFeedAsync(string url, CancellationToken ct = default) => throw Locked();
    public Task<FeedRecord?> GetFeedAsync(string url, CancellationToken ct = default) => throw Locked();
    public Task<IReadOnlyList<FeedRecord>> ListFeedsAsync(CancellationToken ct = default) => throw Locked();
    public Task UpdateFeedAsync(FeedRecord feed, CancellationToken ct = default) => throw Locked();
    public Task<bool> IsItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => throw Locked();
    public Task MarkItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default) => throw Locked();

    public Task<bool> MoveSeenItemAsync(string feedUrl, string fromId, string toId, CancellationToken ct = default) => throw Locked();
}

/// <summary>Captures every log line (all categories, all levels), message and exception text.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Lines.Enqueue($"[scope] {category}: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)}";
            if (state is IEnumerable<KeyValuePair<string, object?>> properties)
                line += " {" + string.Join(", ", properties.Select(p => $"{p.Key}={p.Value}")) + "}";
            if (exception is not null)
                line += "\n" + exception;
            owner.Lines.Enqueue(line);
        }
    }
}
