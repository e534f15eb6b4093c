namespace NewsBot.Core.Stories;

/// <summary>
/// Read side of stories, shared by the CLI, coverage answers, digests and follows. Always the
/// embedded SQLite database (like the article registry), whichever index back end serves searches.
/// </summary>
public interface IStoryStore
{
    Task<Story?> GetStoryAsync(string storyId, CancellationToken ct = default);

    /// <summary>The story an article belongs to (a duplicate resolves to its original's story), or null.</summary>
    Task<Story?> GetStoryOfArticleAsync(string articleId, CancellationToken ct = default);

    /// <summary>
    /// Stories with at least one article seen at or after <paramref name="since"/> (null = all), most covered
    /// first: distinct outlets, then articles, then recency. <paramref name="top"/> null = all of them.
    /// </summary>
    Task<IReadOnlyList<Story>> ListStoriesAsync(DateTimeOffset? since, int? top, CancellationToken ct = default);
}
