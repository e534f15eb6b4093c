using NewsBot.Core.Ports;

namespace NewsBot.Sqlite;

/// <summary>
/// Registered feeds, their polling state and the item ids seen, in the embedded database. What the last poll skipped
/// is kept in the meta table under "feed_skipped:URL" (a count, a line break, the reasons), which needs no schema change.
/// </summary>
public sealed class SqliteFeedStore(SqliteDatabase db) : IFeedStore
{
    const string Columns = "url, title, etag, last_modified, last_polled_ms, last_success_ms, last_error, consecutive_failures, added_ms, added_by, trusted, items_ingested";
    const string Select = $"SELECT {Columns}, (SELECT value FROM meta WHERE key = 'feed_skipped:' || feeds.url) FROM feeds";

    public async Task<bool> AddFeedAsync(FeedRecord feed, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"INSERT OR IGNORE INTO feeds({Columns}) VALUES($url, $title, $etag, $lm, $lp, $ls, $le, $cf, $added, $by, $trusted, $items)");
        Bind(cmd, feed);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<bool> RemoveFeedAsync(string url, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("DELETE FROM feed_items WHERE feed_url = $u; DELETE FROM meta WHERE key = 'feed_skipped:' || $u; DELETE FROM feeds WHERE url = $u; SELECT changes();").With("$u", url);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    public async Task<FeedRecord?> GetFeedAsync(string url, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"{Select} WHERE url = $u").With("$u", url);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? Read(r) : null;
    }

    public async Task<IReadOnlyList<FeedRecord>> ListFeedsAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"{Select} ORDER BY added_ms, url");
        var list = new List<FeedRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(Read(r));
        return list;
    }

    public async Task UpdateFeedAsync(FeedRecord feed, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            UPDATE feeds SET title = $title, etag = $etag, last_modified = $lm, last_polled_ms = $lp, last_success_ms = $ls, last_error = $le,
                consecutive_failures = $cf, added_by = $by, trusted = $trusted, items_ingested = $items WHERE url = $url;
            DELETE FROM meta WHERE key = 'feed_skipped:' || $url AND $skipped IS NULL;
            INSERT OR REPLACE INTO meta(key, value) SELECT 'feed_skipped:' || $url, $skipped WHERE $skipped IS NOT NULL AND EXISTS (SELECT 1 FROM feeds WHERE url = $url);
            """);
        Bind(cmd, feed);
        cmd.With("$skipped", feed.LastPollSkipped == 0 && feed.LastPollSkippedWhy is null ? null
            : $"{feed.LastPollSkipped.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{feed.LastPollSkippedWhy}");
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> IsItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT 1 FROM feed_items WHERE feed_url = $f AND item_id = $i").With("$f", feedUrl).With("$i", itemId);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }

    public async Task MarkItemSeenAsync(string feedUrl, string itemId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            INSERT OR IGNORE INTO feed_items(feed_url, item_id, seen_ms) VALUES($f, $i, $now);
            UPDATE feeds SET items_ingested = items_ingested + changes() WHERE url = $f;
            """).With("$f", feedUrl).With("$i", itemId).With("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> MoveSeenItemAsync(string feedUrl, string fromId, string toId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            INSERT OR IGNORE INTO feed_items(feed_url, item_id, seen_ms) SELECT feed_url, $to, seen_ms FROM feed_items WHERE feed_url = $f AND item_id = $from;
            DELETE FROM feed_items WHERE feed_url = $f AND item_id = $from;
            SELECT changes();
            """).With("$f", feedUrl).With("$from", fromId).With("$to", toId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    static void Bind(Microsoft.Data.Sqlite.SqliteCommand cmd, FeedRecord f) => cmd
        .With("$url", f.Url).With("$title", f.Title).With("$etag", f.ETag).With("$lm", f.LastModified)
        .With("$lp", f.LastPolledAt.ToUnixMs()).With("$ls", f.LastSuccessAt.ToUnixMs()).With("$le", f.LastError)
        .With("$cf", f.ConsecutiveFailures).With("$added", f.AddedAt.ToUnixTimeMilliseconds()).With("$by", f.AddedBy)
        .With("$trusted", f.Trusted ? 1 : 0).With("$items", f.ItemsIngested);

    static FeedRecord Read(Microsoft.Data.Sqlite.SqliteDataReader r) => new()
    {
        Url = r.GetString(0),
        Title = r.GetStringOrNull(1),
        ETag = r.GetStringOrNull(2),
        LastModified = r.GetStringOrNull(3),
        LastPolledAt = r.FromUnixMs(4),
        LastSuccessAt = r.FromUnixMs(5),
        LastError = r.GetStringOrNull(6),
        ConsecutiveFailures = r.GetInt32(7),
        AddedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        AddedBy = r.GetString(9),
        Trusted = r.GetInt64(10) != 0,
        ItemsIngested = r.GetInt64(11),
        LastPollSkipped = SkippedCount(r.GetStringOrNull(12)),
        LastPollSkippedWhy = r.GetStringOrNull(12) is { } s && s.IndexOf('\n') is var nl and >= 0 && nl + 1 < s.Length ? s[(nl + 1)..] : null,
    };

    static int SkippedCount(string? stored) =>
        stored is not null && int.TryParse(stored.AsSpan(0, Math.Max(0, stored.IndexOf('\n'))), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}
