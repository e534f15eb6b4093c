namespace NewsBot.Core.Ports;

/// <summary>An update received from a channel and not yet fully handled.</summary>
public sealed record InboxItem(string Channel, long UpdateId, string Payload, DateTimeOffset ReceivedAt, int Attempts);

/// <summary>
/// At-least-once handling of channel updates (Telegram update_ids): an update is stored before it is
/// acknowledged to the server, marked done after its reply was sent, and a restart handles what is
/// still pending. Ids already stored are refused, so a re-delivered update is never handled twice.
/// </summary>
public interface IInboxStore
{
    /// <summary>Stores the update as pending; false when this update id was stored before (pending or done).</summary>
    Task<bool> TryAddAsync(string channel, long updateId, string payload, CancellationToken ct = default);

    /// <summary>Pending updates, oldest first.</summary>
    Task<IReadOnlyList<InboxItem>> GetPendingAsync(string channel, CancellationToken ct = default);

    /// <summary>Counts an attempt at handling the update (to give up on poison updates).</summary>
    Task RecordAttemptAsync(string channel, long updateId, CancellationToken ct = default);

    Task MarkDoneAsync(string channel, long updateId, CancellationToken ct = default);

    /// <summary>The highest update id stored for the channel (the next poll asks for updates after it).</summary>
    Task<long?> GetLastUpdateIdAsync(string channel, CancellationToken ct = default);

    /// <summary>
    /// Forgets the channel's done updates (pending ones stay) and returns how many: used when the channel renumbers
    /// its update ids (e.g. Telegram after a token or server change), so that ids of the new numbering that equal
    /// old ones are not mistaken for updates handled before.
    /// </summary>
    Task<int> ForgetDoneAsync(string channel, CancellationToken ct = default);
}
