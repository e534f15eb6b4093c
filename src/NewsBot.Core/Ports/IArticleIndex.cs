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
/// How many chunks contain each term: both indexes keep it (the embedded one from its postings, Qdrant by counting
/// the points whose term list holds it), so that the relevance checks that weigh a question's rare words, and refuse
/// questions whose names no source contains, judge the same data the same way on every index.
/// </summary>
public interface ITermStatistics
{
    /// <summary>
    /// Document frequencies of <paramref name="termIds"/> and the number of chunks; <see cref="TermFrequencies.Chunks"/>
    /// is 0 when the index has no statistics to give (empty, or a Qdrant collection written before it kept term lists).
    /// </summary>
    Task<TermFrequencies> GetDocumentFrequenciesAsync(IReadOnlyList<uint> termIds, CancellationToken ct = default);
}

/// <summary>Document frequencies, in the order of the terms asked for, and the number of chunks they are out of.</summary>
public sealed record TermFrequencies(long[] DocumentFrequencies, long Chunks)
{
    public static TermFrequencies None(int terms) => new(new long[terms], 0);
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
