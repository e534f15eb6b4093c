namespace NewsBot.Core.Digests;

/// <summary>A chat's daily digest subscription.</summary>
public sealed record DigestSubscription
{
    public required long ChatId { get; init; }
    /// <summary>Local time of day, "HH:mm".</summary>
    public required string Time { get; init; }
    /// <summary>IANA time zone id.</summary>
    public required string TimeZone { get; init; }
    public KeywordFilter Filter { get; init; } = KeywordFilter.None;
    public required DateTimeOffset SubscribedAt { get; init; }
    /// <summary>Who set it (a user id), for /settings and the log.</summary>
    public long? SubscribedBy { get; init; }
}

/// <summary>
/// Subscriptions and the record of digests sent. A digest is claimed for (chat, local day) before it is
/// sent and the claim is never taken twice, so no crash or restart can send one day's digest twice.
/// </summary>
public interface IDigestSubscriptionStore
{
    /// <summary>Creates or replaces the chat's subscription (a new time or filter replaces the old one).</summary>
    Task SetAsync(DigestSubscription subscription, CancellationToken ct = default);

    Task<bool> RemoveAsync(long chatId, CancellationToken ct = default);

    Task<DigestSubscription?> GetAsync(long chatId, CancellationToken ct = default);

    Task<IReadOnlyList<DigestSubscription>> ListAsync(CancellationToken ct = default);

    /// <summary>The latest local day claimed for the chat, or null.</summary>
    Task<DateOnly?> LastClaimedAsync(long chatId, CancellationToken ct = default);

    /// <summary>Records that the digest of <paramref name="day"/> is being sent; false when it already was claimed.</summary>
    Task<bool> TryClaimAsync(long chatId, DateOnly day, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>Marks a claimed day done, with what was sent ("digest", "quiet", "empty").</summary>
    Task CompleteAsync(long chatId, DateOnly day, string outcome, DateTimeOffset at, CancellationToken ct = default);

    /// <summary>Gives a claim back after a send that certainly failed, so a later run within the grace period retries.</summary>
    Task ReleaseAsync(long chatId, DateOnly day, CancellationToken ct = default);
}

/// <summary>What a chat is sent when the worker has something for it. Implemented by the Telegram channel.</summary>
public interface IChatNotifier
{
    Task NotifyAsync(long chatId, ChatNotification notification, CancellationToken ct = default);

    /// <summary>
    /// Sends <paramref name="notification"/> only if <paramref name="commit"/> (recording in the store that it is sent)
    /// returns true, calling it exactly once and as late as the channel can: a channel that can do better than this
    /// default (commit, then send) commits right before the first request leaves, after waiting for its turn and
    /// preparing the request, so that a crash (kill -9) in between loses as little as possible. False: the commit was
    /// refused (another worker recorded it) and nothing was sent. A send that fails after the commit throws; the caller
    /// gives the record back when the failure says nothing reached the chat.
    /// </summary>
    async Task<bool> NotifyOnceAsync(long chatId, ChatNotification notification, Func<CancellationToken, Task<bool>> commit,
        CancellationToken ct = default)
    {
        if (!await commit(ct).ConfigureAwait(false)) return false;
        await NotifyAsync(chatId, notification, ct).ConfigureAwait(false);
        return true;
    }
}

public abstract record ChatNotification;

/// <summary>A digest (<paramref name="Scheduled"/>: the daily one, not a /digest asked for).</summary>
public sealed record DigestNotification(Digest Digest, bool Scheduled) : ChatNotification;

/// <summary>Nothing new in the window of a scheduled digest.</summary>
public sealed record QuietDayNotification(DateTimeOffset Since, DateTimeOffset Until) : ChatNotification;

/// <summary>
/// The chat cannot be reached for good (the bot was blocked, removed from the group, the chat is gone):
/// its subscription and follows are dropped instead of failing every day.
/// </summary>
public sealed class ChatUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Settings of the <c>Digest</c> section.</summary>
public sealed class DigestOptions
{
    /// <summary>Time of day for /subscribe without a time.</summary>
    public string DefaultTime { get; set; } = "08:00";

    /// <summary>Time zone for /subscribe without one (IANA id).</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    /// <summary>Stories in a digest.</summary>
    public int Top { get; set; } = DigestComposer.DefaultTop;

    /// <summary>The window a digest covers, ending when it is sent.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How late a missed digest may still go out (the worker was down at the time): once, within this.</summary>
    public TimeSpan CatchUpGrace { get; set; } = TimeSpan.FromHours(3);

    /// <summary>Send a short "quiet day" message when nothing new happened (false: send nothing).</summary>
    public bool QuietDayMessage { get; set; } = true;

    /// <summary>How often the worker checks for due digests.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
