namespace NewsBot.Core.Model;

/// <summary>Filters shared by every index implementation.</summary>
public sealed record SearchFilter
{
    public static SearchFilter None { get; } = new();

    /// <summary>Only chunks from these outlets (case-insensitive); null or empty = any outlet.</summary>
    public IReadOnlyList<string>? Outlets { get; init; }

    /// <summary>Only articles published at or after this instant.</summary>
    public DateTimeOffset? PublishedAfter { get; init; }

    /// <summary>Only articles published before this instant (exclusive).</summary>
    public DateTimeOffset? PublishedBefore { get; init; }

    /// <summary>Whether articles with an unknown date pass a date filter (they rank after dated matches).</summary>
    public bool IncludeUndated { get; init; } = true;

    /// <summary>Only these articles (e.g. the ones cited earlier in a conversation); null = any.</summary>
    public IReadOnlyList<string>? ArticleIds { get; init; }

    public bool HasDateFilter => PublishedAfter is not null || PublishedBefore is not null;

    public bool IsEmpty => (Outlets is null || Outlets.Count == 0) && !HasDateFilter && (ArticleIds is null || ArticleIds.Count == 0);
}

/// <summary>Which retrieval legs a search uses.</summary>
public enum RetrievalMode
{
    Hybrid,
    Dense,
    Lexical,
}

/// <summary>A hybrid query: the dense embedding of the query and its sparse lexical vector.</summary>
public sealed record HybridQuery
{
    public required float[] Dense { get; init; }
    public required SparseVector Sparse { get; init; }
    public int Top { get; init; } = 10;
    /// <summary>How many candidates each leg (dense, lexical) contributes before fusion.</summary>
    public int CandidatesPerLeg { get; init; } = 50;
    public SearchFilter Filter { get; init; } = SearchFilter.None;
    public RetrievalMode Mode { get; init; } = RetrievalMode.Hybrid;
    /// <summary>Weight of the dense leg in reciprocal-rank fusion (each leg adds weight / (k + rank)).</summary>
    public double DenseWeight { get; init; } = 1.0;
    /// <summary>Weight of the lexical leg in reciprocal-rank fusion.</summary>
    public double LexicalWeight { get; init; } = 1.0;
}

/// <summary>A chunk found by a search.</summary>
public sealed record SearchHit
{
    public required ArticleRef Article { get; init; }
    public required int Position { get; init; }
    public required string Text { get; init; }
    /// <summary>The fused (and possibly recency-boosted) score: higher is better.</summary>
    public double Score { get; init; }
    /// <summary>Cosine similarity of the chunk to the query, when the dense leg ran.</summary>
    public float? DenseScore { get; init; }
    /// <summary>Lexical (BM25-style) score, when the lexical leg found the chunk.</summary>
    public float? LexicalScore { get; init; }
    public int? DenseRank { get; init; }
    public int? LexicalRank { get; init; }
}

/// <summary>What an index says about itself.</summary>
public sealed record IndexStats(string Provider, long Articles, long Chunks, string? EmbeddingModel, int? Dimensions, long? DiskBytes);

/// <summary>The embedding model an index was built with.</summary>
public sealed record EmbeddingModelInfo(string Model, int Dimensions);
