using NewsBot.Core.Model;

namespace NewsBot.Core.Stories;

/// <summary>
/// Puts articles into stories as they are committed. Ingestion calls it after each article's own transaction;
/// an article the process could not assign (a crash in between, a database from before stories) is picked up
/// by <see cref="AssignPendingAsync"/>.
/// </summary>
public interface IStoryAssigner
{
    /// <summary>
    /// Assigns an added or updated article. <paramref name="leadVector"/> is the vector of its first chunk
    /// (title + lead), when the caller has it; <paramref name="replacesArticleId"/> is an article it replaced.
    /// </summary>
    Task AssignAsync(ArticleRecord article, float[]? leadVector, string? replacesArticleId = null, CancellationToken ct = default);

    /// <summary>Assigns every article that has no story yet, oldest first. Returns how many it assigned.</summary>
    Task<int> AssignPendingAsync(CancellationToken ct = default);

    /// <summary>Forgets every story and clusters all articles again, oldest first. Returns the number of articles.</summary>
    Task<int> RebuildAsync(IProgress<int>? progress = null, CancellationToken ct = default);
}

/// <summary>An article waiting for a story, with what the store already knows of its features.</summary>
public sealed record UnassignedArticle(ArticleRecord Article, ArticleFeatures? Stored, float[]? FirstChunkVector);

/// <summary>
/// A story as the assigner writes it: its profile (whose count is its number of articles), its headline, and the
/// articles that join it with this write. Articles already in the story are not named: a story of 16,000 articles
/// that one more joins is written as its record and one membership, not 16,001 (the catch-up of a large store
/// grows such stories one article at a time).
/// </summary>
public sealed record StoryState(StoryProfile Profile, string Title, int Outlets, IReadOnlyList<string> Joined);

/// <summary>One assignment, written in one transaction.</summary>
public sealed record StoryUpdate
{
    public required ArticleFeatures Article { get; init; }
    /// <summary>An article the assigned one replaced (a changed file gets a new id): its features and membership go.</summary>
    public string? RemovedArticleId { get; init; }
    public IReadOnlyList<StoryState> Upserts { get; init; } = [];
    public IReadOnlyList<string> Deleted { get; init; } = [];
}

/// <summary>Where stories and the article features behind them are kept (the embedded SQLite database).</summary>
public interface IStoryRepository
{
    /// <summary>The embedding model that made the stored article vectors, or null before any.</summary>
    Task<string?> GetVectorModelAsync(CancellationToken ct = default);

    Task SetVectorModelAsync(string model, CancellationToken ct = default);

    /// <summary>An article's stored features and the story it is in (null = none).</summary>
    Task<(ArticleFeatures Features, string? StoryId)?> GetMembershipAsync(string articleId, CancellationToken ct = default);

    /// <summary>Profiles of the stories whose span comes within [<paramref name="from"/>, <paramref name="to"/>].</summary>
    Task<IReadOnlyList<StoryProfile>> GetActiveProfilesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default);

    /// <summary>The stored features of a story's articles.</summary>
    Task<IReadOnlyList<ArticleFeatures>> GetMembersAsync(string storyId, CancellationToken ct = default);

    /// <summary>
    /// Hands a story's stored members to <paramref name="each"/> one at a time, in the order of
    /// <see cref="GetMembersAsync"/>'s rows (time, then id), without keeping them: a story of tens of thousands of
    /// members is summed without all of them in memory at once.
    /// </summary>
    Task ForEachMemberAsync(string storyId, Action<ArticleFeatures> each, CancellationToken ct = default);

    /// <summary>
    /// The stored features of a story's articles from the one of <paramref name="time"/> and <paramref name="articleId"/>
    /// on, in the assigner's order (time, then id).
    /// </summary>
    Task<IReadOnlyList<ArticleFeatures>> GetMembersFromAsync(string storyId, DateTimeOffset time, string articleId, CancellationToken ct = default);

    /// <summary>Writes assignments, in order, in one transaction. Returns the stories version it leaves (see <see cref="GetStoriesVersionAsync"/>).</summary>
    Task<string> SaveAsync(IReadOnlyList<StoryUpdate> updates, CancellationToken ct = default);

    /// <summary>
    /// A token that every write of stories changes (<see cref="SaveAsync"/>, <see cref="ResetAsync"/>), so that an
    /// assigner holding stories in memory sees when another process wrote; null before any write.
    /// </summary>
    Task<string?> GetStoriesVersionAsync(CancellationToken ct = default);

    /// <summary>
    /// The articles without a story, oldest first, as keys for <see cref="ReadUnassignedAsync"/>: one scan of the
    /// articles for a whole catch-up (a page-by-page "next oldest without a story" query sorts them all each page).
    /// Empty when none is left.
    /// </summary>
    Task<IReadOnlyList<long>> ListUnassignedAsync(CancellationToken ct = default);

    /// <summary>
    /// The listed articles (<paramref name="keys"/>, in that order) that still have no story; with the first chunk's
    /// vector where the embedded index holds one made by <paramref name="model"/>.
    /// </summary>
    Task<IReadOnlyList<UnassignedArticle>> ReadUnassignedAsync(string model, IReadOnlyList<long> keys, CancellationToken ct = default);

    /// <summary>Deletes every story (article features stay); with <paramref name="dropVectors"/> the stored vectors go too.</summary>
    Task ResetAsync(bool dropVectors, CancellationToken ct = default);
}
