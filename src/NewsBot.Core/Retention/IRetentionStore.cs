using NewsBot.Core.Model;

namespace NewsBot.Core.Retention;

/// <summary>
/// The registry's side of retention: which articles are past the window, their tombstones (title, outlet, url,
/// published, and the text when it is kept) that stories, follows, digests and saved answers still resolve to, and
/// giving the freed pages back to the file system.
/// </summary>
public interface IRetentionStore
{
    /// <summary>Up to <paramref name="limit"/> registered articles dated (published, else ingested) before <paramref name="cutoff"/>, oldest first.</summary>
    Task<IReadOnlyList<ArticleRecord>> ListOlderThanAsync(DateTimeOffset cutoff, int limit, CancellationToken ct = default);

    /// <summary>Records the articles' tombstones (idempotent: a prune interrupted after this step writes them again).</summary>
    Task WriteTombstonesAsync(IReadOnlyList<ArticleRecord> articles, bool keepText, DateTimeOffset prunedAt, CancellationToken ct = default);

    /// <summary>
    /// When the article with this identity, or the article it was recorded as a duplicate of, was pruned; null when
    /// neither was. An item published before that must not come back as new.
    /// </summary>
    Task<DateTimeOffset?> PrunedAtAsync(string sourceKey, CancellationToken ct = default);

    /// <summary>Returns the pages freed by deletions to the file system.</summary>
    Task<CompactResult> CompactAsync(CancellationToken ct = default);

    /// <summary>The database's size on disk (with its write-ahead log).</summary>
    long DiskBytes();
}

/// <summary>What compaction did: the bytes freed, and whether it first switched the file to incremental vacuum (a full VACUUM, once).</summary>
public sealed record CompactResult(long BytesBefore, long BytesAfter, bool SwitchedToIncremental, TimeSpan Took);
