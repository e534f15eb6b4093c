using NewsBot.Core.Model;

namespace NewsBot.Core.Ports;

/// <summary>
/// The searchable index of chunks: the embedded SQLite store (default) or Qdrant.
/// Implementations must pass the same contract tests: upsert replaces an article's chunks,
/// re-upserting is idempotent, hybrid search fuses dense and lexical legs by reciprocal rank.
/// </summary>
public interface IArticleIndex
{
    /// <summary>A short name for messages ("embedded", "qdrant").</summary>
    string Provider { get; }

    /// <summary>
    /// True when <see cref="UpsertAsync"/> also writes the article's registry entry in the same transaction
    /// (the embedded store), so the ingestion pipeline need not save it separately.
    /// </summary>
    bool RecordsArticles => false;

    /// <summary>
    /// Creates the index if needed, or validates that it was built with <paramref name="model"/>.
    /// Throws <see cref="IndexModelMismatchException"/> when it was built with another model or dimension.
    /// </summary>
    Task EnsureReadyAsync(EmbeddingModelInfo model, CancellationToken ct = default);

    /// <summary>
    /// Writes an article's chunks, replacing any chunks it had (and, when <paramref name="replacesArticleId"/>
    /// is given, removing that article). Atomic per article where the backend allows it.
    /// </summary>
    Task UpsertAsync(ArticleRecord article, IReadOnlyList<IndexedChunk> chunks, string? replacesArticleId = null, CancellationToken ct = default);

    Task DeleteAsync(string articleId, CancellationToken ct = default);

    Task<IReadOnlyList<SearchHit>> SearchAsync(HybridQuery query, CancellationToken ct = default);

    Task<IndexStats> GetStatsAsync(CancellationToken ct = default);
}

/// <summary>
/// An index that can say how many chunks contain each term (the embedded store can; Qdrant keeps its IDF
/// to itself). Used to weigh a question's rare words when judging whether the sources cover it.
/// </summary>
public interface ITermStatistics
{
    /// <summary>Document frequencies of <paramref name="termIds"/> and the number of chunks.</summary>
    (long[] DocumentFrequencies, long Chunks) GetDocumentFrequencies(IReadOnlyList<uint> termIds);
}

/// <summary>An index that loads search structures into memory, which can start while the query is embedded.</summary>
public interface IPreloadable
{
    Task PreloadAsync(CancellationToken ct = default);
}

/// <summary>The index was built with another embedding model or dimension.</summary>
public sealed class IndexModelMismatchException(string message) : Exception(message);

/// <summary>A backend is unreachable or failed in a way the user must fix (wrong endpoint, auth).</summary>
public sealed class IndexUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
