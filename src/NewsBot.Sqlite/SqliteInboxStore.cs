using NewsBot.Core.Ports;

namespace NewsBot.Sqlite;

/// <summary>The channel inbox (at-least-once update handling) in the embedded database.</summary>
public sealed class SqliteInboxStore(SqliteDatabase db, TimeProvider time) : IInboxStore
{
    public async Task<bool> TryAddAsync(string channel, long updateId, string payload, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("INSERT OR IGNORE INTO inbox(channel, update_id, payload, received_ms) VALUES($c, $u, $p, $now)")
            .With("$c", channel).With("$u", updateId).With("$p", payload).With("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<InboxItem>> GetPendingAsync(string channel, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT update_id, payload, received_ms, attempts FROM inbox WHERE channel = $c AND done = 0 ORDER BY update_id").With("$c", channel);
        var list = new List<InboxItem>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new InboxItem(channel, r.GetInt64(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)), r.GetInt32(3)));
        return list;
    }

    public async Task RecordAttemptAsync(string channel, long updateId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("UPDATE inbox SET attempts = attempts + 1 WHERE channel = $c AND update_id = $u").With("$c", channel).With("$u", updateId);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task MarkDoneAsync(string channel, long updateId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        // Done updates keep their id (so a re-delivery is recognised) but drop the payload; old ones are pruned.
        await using var cmd = conn.Command("""
            UPDATE inbox SET done = 1, done_ms = $now, payload = '' WHERE channel = $c AND update_id = $u;
            DELETE FROM inbox WHERE channel = $c AND done = 1 AND update_id < (SELECT MAX(update_id) FROM inbox WHERE channel = $c) - 100000;
            """).With("$c", channel).With("$u", updateId).With("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<int> ForgetDoneAsync(string channel, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("DELETE FROM inbox WHERE channel = $c AND done = 1").With("$c", channel);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<long?> GetLastUpdateIdAsync(string channel, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT MAX(update_id) FROM inbox WHERE channel = $c").With("$c", channel);
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is null or DBNull ? null : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
    }
}
