using NewsBot.Core.Model;

namespace NewsBot.Core.Ports;

/// <summary>
/// The article registry: what was ingested from where, content hashes for identity and
/// de-duplication, article metadata and bodies. Always the embedded SQLite database,
/// whichever index serves searches.
/// </summary>
public interface IArticleStore
{
    Task<ArticleRecord?> GetArticleAsync(string articleId, CancellationToken ct = default);

    Task<IReadOnlyList<ArticleRecord>> GetArticlesAsync(IReadOnlyCollection<string> articleIds, CancellationToken ct = default);

    Task<ArticleRecord?> FindBySourceAsync(string sourceKey, CancellationToken ct = default);

    Task<ArticleRecord?> FindByContentHashAsync(string contentHash, CancellationToken ct = default);

    /// <summary>The most similar indexed article whose estimated similarity is at least <paramref name="threshold"/>.</summary>
    Task<(ArticleRecord Article, double Similarity)?> FindNearDuplicateAsync(ulong[] minHash, double threshold, CancellationToken ct = default);

    Task<DuplicateRecord?> FindDuplicateAsync(string sourceKey, CancellationToken ct = default);

    /// <summary>Inserts or replaces the article (and removes <paramref name="replacesArticleId"/> if given).</summary>
    Task SaveArticleAsync(ArticleRecord article, string? replacesArticleId = null, CancellationToken ct = default);

    Task RecordDuplicateAsync(DuplicateRecord duplicate, CancellationToken ct = default);

    Task DeleteArticleAsync(string articleId, CancellationToken ct = default);

    Task<StoreCounts> GetCountsAsync(CancellationToken ct = default);

    /// <summary>Whether the store holds any article: all the quickstart needs to know, without counting a large store.</summary>
    async Task<bool> HasArticlesAsync(CancellationToken ct = default) => (await GetCountsAsync(ct).ConfigureAwait(false)).Articles > 0;

    Task<IReadOnlyList<OutletStats>> GetOutletsAsync(CancellationToken ct = default);

    /// <summary>Articles in insertion order, after <paramref name="afterId"/> (for reindexing in pages).</summary>
    Task<IReadOnlyList<ArticleRecord>> ListArticlesAsync(long afterSequence, int limit, CancellationToken ct = default);

    /// <summary>Recent articles, newest first (published date, else ingestion time).</summary>
    Task<IReadOnlyList<ArticleRecord>> GetRecentArticlesAsync(DateTimeOffset since, int limit, CancellationToken ct = default);
}

public sealed record StoreCounts(long Articles, long Duplicates, DateTimeOffset? LastIngestedAt);

public sealed record OutletStats(string Outlet, long Articles, DateTimeOffset? Newest);
