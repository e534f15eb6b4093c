namespace NewsBot.Core.Model;

/// <summary>Where an article came from.</summary>
public enum SourceKind
{
    File,
    Page,
    FeedItem,
}

/// <summary>
/// An article as extracted from a file, a web page or a feed item, before it is chunked and indexed.
/// </summary>
/// <param name="SourceKey">Identity of the source: the canonical URL (tracking parameters stripped; for a file, the one its
/// <c>url:</c> line or <c>&lt;link rel="canonical"&gt;</c> gives) or else a file:// URI.</param>
/// <param name="Url">The link shown to users (the same canonical URL, or the file:// URI of a file that names none).</param>
/// <param name="Paragraphs">Body text, one entry per paragraph, already cleaned (no navigation, footers, markup).</param>
public sealed record ExtractedArticle(
    string SourceKey,
    string Url,
    string Title,
    string? Author,
    string? Outlet,
    DateTimeOffset? Published,
    IReadOnlyList<string> Paragraphs,
    SourceKind Kind)
{
    /// <summary>For feed items: the feed the item came from.</summary>
    public string? FeedUrl { get; init; }

    /// <summary>For feed items: the item's guid/id (or link), used to remember which items were seen.</summary>
    public string? FeedItemId { get; init; }

    /// <summary>The body as one string, paragraphs separated by blank lines.</summary>
    public string Body => string.Join("\n\n", Paragraphs);
}

/// <summary>The registry entry of an indexed article: its reference and what the registry keeps about it.</summary>
public sealed record ArticleRecord
{
    /// <summary>What names and links the article (the columns the registry stores for it).</summary>
    public required ArticleRef Article { get; init; }
    /// <summary>The article's id (<see cref="ArticleRef.Id"/>), the registry's key.</summary>
    public string Id => Article.Id;
    /// <summary>Insertion order in the registry (assigned by the store).</summary>
    public long Sequence { get; init; }
    public required string SourceKey { get; init; }
    public required DateTimeOffset IngestedAt { get; init; }
    public required string ContentHash { get; init; }
    public required SourceKind Kind { get; init; }
    public int ChunkCount { get; init; }
    /// <summary>MinHash signature of the body's word shingles (near-duplicate detection).</summary>
    public ulong[] MinHash { get; init; } = [];
    /// <summary>The full body (paragraphs separated by blank lines).</summary>
    public string Body { get; init; } = "";
}

/// <summary>An input recognised as the duplicate of an already indexed article.</summary>
public sealed record DuplicateRecord(
    string SourceKey,
    string Url,
    string Title,
    string DuplicateOf,
    double Similarity,
    DateTimeOffset RecordedAt);

/// <summary>One chunk of an article, with everything the index stores for it.</summary>
public sealed record IndexedChunk
{
    public required ArticleRef Article { get; init; }
    public required int Position { get; init; }
    public required string Text { get; init; }
    public int TokenCount { get; init; }
    public required float[] Dense { get; init; }
    public required SparseVector Sparse { get; init; }
}

/// <summary>A sparse vector: sorted unique term ids with their weights.</summary>
public readonly record struct SparseVector(uint[] Indices, float[] Values)
{
    public static SparseVector Empty { get; } = new([], []);
    public int Count => Indices?.Length ?? 0;
}
