namespace NewsBot.Core.Ports;

/// <summary>A registered RSS/Atom feed and its polling state.</summary>
public sealed record FeedRecord
{
    public required string Url { get; init; }
    public string? Title { get; init; }
    public string? ETag { get; init; }
    public string? LastModified { get; init; }
    public DateTimeOffset? LastPolledAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    public string? LastError { get; init; }
    public int ConsecutiveFailures { get; init; }
    public required DateTimeOffset AddedAt { get; init; }
    /// <summary>Who added it: "cli", "config", "opml" or "telegram:USERID".</summary>
    public string AddedBy { get; init; } = "cli";
    /// <summary>Feeds added by the operator may point at private addresses; feeds from chats pass the SSRF guard.</summary>
    public bool Trusted { get; init; } = true;
    public long ItemsIngested { get; init; }
    /// <summary>Items the last poll could not read (broken XML, no text, an unreadable encoding, a failed page).</summary>
    public int LastPollSkipped { get; init; }
    /// <summary>Why they were skipped (the first few reasons), or a note on the whole poll ("the feed has no items").</summary>
    public string? LastPollSkippedWhy { get; init; }
}

public interface IFeedStore
{
    /// <summary>Adds the feed; false when it was registered already.</summary>
    Task<bool> AddFeedAsync(FeedRecord feed, CancellationToken ct = default);

    Task<bool> RemoveFeedAsync(string url, CancellationToken ct = default);

    Task<FeedRecord?> GetFeedAsync(string url, CancellationToken ct = default);

    Task<IReadOnlyList<FeedRecord>> ListFeedsAsync(CancellationToken ct = default);

    Task UpdateFeedAsync(FeedRecord feed, CancellationToken ct = default);

    Task<bool> IsItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default);

    Task MarkItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default);

    /// <summary>
    /// Renames a seen item (how an item seen under an older kind of id is carried over); false when
    /// <paramref name="fromId"/> was not seen. Counts nothing as newly ingested.
    /// </summary>
    Task<bool> MoveSeenItemAsync(string feedUrl, string fromId, string toId, CancellationToken ct = default);
}
