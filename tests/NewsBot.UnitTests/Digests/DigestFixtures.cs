using NewsBot.Core.Digests;
using NewsBot.Core.Model;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Digests;

/// <summary>
/// Stories kept in memory over articles saved in a real SQLite store: the digest and follow code reads
/// bodies from the store and story membership from the port, as in production.
/// </summary>
public sealed class StoryWorld : IStoryStore, IDisposable
{
    readonly TempDirectory _dir = new();
    readonly Dictionary<string, List<ArticleRef>> _stories = [];
    readonly Dictionary<string, string> _titles = [];

    public StoryWorld()
    {
        Database = new SqliteDatabase(_dir.Path);
        Articles = new SqliteArticleStore(Database);
    }

    public SqliteDatabase Database { get; }

    public SqliteArticleStore Articles { get; }

    /// <summary>Saves an article and adds it to a story (created on first use).</summary>
    public async Task<ArticleRef> AddAsync(string storyId, string id, string outlet, DateTimeOffset published, string title, params string[] paragraphs)
    {
        var body = string.Join("\n\n", paragraphs);
        var a = new ArticleRef { Id = id, Title = title, Outlet = outlet, Published = published, Url = $"https://{outlet.Replace(' ', '-').ToLowerInvariant()}.test/{id}" };
        await Articles.SaveArticleAsync(new ArticleRecord
        {
            Article = a, SourceKey = "test:" + id, IngestedAt = published, ContentHash = Hashing.ContentHash(body),
            Kind = SourceKind.Page, ChunkCount = 1, MinHash = MinHash.Compute(body), Body = body,
        });
        if (!_stories.TryGetValue(storyId, out var list)) _stories[storyId] = list = [];
        list.Add(a);
        _titles.TryAdd(storyId, title);
        return a;
    }

    /// <summary>Moves every article of <paramref name="from"/> into <paramref name="into"/> (a story merge).</summary>
    public void Merge(string from, string into)
    {
        _stories[into].AddRange(_stories[from]);
        _stories.Remove(from);
    }

    Story Build(string id)
    {
        var articles = _stories[id].OrderBy(a => a.Published).ToList();
        return new Story
        {
            Id = id, Title = _titles[id], FirstSeen = articles[0].Published!.Value, LastSeen = articles[^1].Published!.Value,
            Articles = articles, Outlets = articles.Select(a => a.Outlet!).Distinct().ToList(),
        };
    }

    public Task<Story?> GetStoryAsync(string storyId, CancellationToken ct = default)
        => Task.FromResult(_stories.ContainsKey(storyId) ? Build(storyId) : null);

    public Task<Story?> GetStoryOfArticleAsync(string articleId, CancellationToken ct = default)
        => Task.FromResult(_stories.Where(s => s.Value.Any(a => a.Id == articleId)).Select(s => Build(s.Key)).FirstOrDefault());

    public Task<IReadOnlyList<Story>> ListStoriesAsync(DateTimeOffset? since, int? top, CancellationToken ct = default)
    {
        IReadOnlyList<Story> list = _stories.Keys.Select(Build).Where(s => since is null || s.LastSeen >= since)
            .OrderByDescending(s => s.Outlets.Count).ThenByDescending(s => s.Articles.Count).ThenByDescending(s => s.LastSeen)
            .Take(top ?? int.MaxValue).ToList();
        return Task.FromResult(list);
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>Records what each chat was sent; can fail or hang on demand.</summary>
public sealed class RecordingNotifier : IChatNotifier
{
    public List<(long Chat, ChatNotification Notification)> Sent { get; } = [];

    /// <summary>Thrown instead of sending (e.g. a network failure after retries).</summary>
    public Exception? FailWith { get; set; }

    /// <summary>Delivers, then waits until cancelled: the process dies between the send and its record.</summary>
    public bool HangAfterSending { get; set; }

    /// <summary>Runs when the send is about to be committed (as a channel does right before the request leaves).</summary>
    public Func<Task>? BeforeCommit { get; set; }

    public async Task<bool> NotifyOnceAsync(long chatId, ChatNotification notification, Func<CancellationToken, Task<bool>> commit,
        CancellationToken ct = default)
    {
        if (BeforeCommit is { } before) await before();
        if (!await commit(ct)) return false;
        await NotifyAsync(chatId, notification, ct);
        return true;
    }

    public async Task NotifyAsync(long chatId, ChatNotification notification, CancellationToken ct = default)
    {
        if (FailWith is { } ex) throw ex;
        lock (Sent) Sent.Add((chatId, notification));
        if (HangAfterSending) await Task.Delay(Timeout.Infinite, ct);
    }
}
