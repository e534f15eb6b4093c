using System.Text.Json;
using Microsoft.Data.Sqlite;
using NewsBot.Core.Digests;

namespace NewsBot.Sqlite;

/// <summary>
/// Daily digest subscriptions and the days sent, in the embedded database. The (chat, day) primary key of
/// <c>digest_sends</c> is what makes a day's digest go out once: the claim is an INSERT that a second
/// claimant (a restarted worker, a second worker) cannot repeat.
/// </summary>
public sealed class SqliteDigestStore(SqliteDatabase db) : IDigestSubscriptionStore
{
    /// <summary>The tables (schema migration 3, in <see cref="SqliteMigrations"/>).</summary>
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS digest_subscriptions(
            chat_id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            time_zone TEXT NOT NULL,
            include_words TEXT NOT NULL DEFAULT '[]',
            exclude_words TEXT NOT NULL DEFAULT '[]',
            subscribed_ms INTEGER NOT NULL,
            subscribed_by INTEGER);
        CREATE TABLE IF NOT EXISTS digest_sends(
            chat_id INTEGER NOT NULL,
            day TEXT NOT NULL,
            claimed_ms INTEGER NOT NULL,
            outcome TEXT,
            done_ms INTEGER,
            PRIMARY KEY(chat_id, day)) WITHOUT ROWID;
        """;

    public async Task SetAsync(DigestSubscription s, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            INSERT INTO digest_subscriptions(chat_id, time, time_zone, include_words, exclude_words, subscribed_ms, subscribed_by)
            VALUES($c, $t, $z, $i, $e, $at, $by)
            ON CONFLICT(chat_id) DO UPDATE SET time = $t, time_zone = $z, include_words = $i, exclude_words = $e, subscribed_ms = $at, subscribed_by = $by
            """).With("$c", s.ChatId).With("$t", s.Time).With("$z", s.TimeZone)
            .With("$i", JsonSerializer.Serialize(s.Filter.Include)).With("$e", JsonSerializer.Serialize(s.Filter.Exclude))
            .With("$at", s.SubscribedAt.ToUnixTimeMilliseconds()).With("$by", s.SubscribedBy);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> RemoveAsync(long chatId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("DELETE FROM digest_subscriptions WHERE chat_id = $c").With("$c", chatId);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
    }

    public async Task<DigestSubscription?> GetAsync(long chatId, CancellationToken ct = default)
        => (await ReadAsync("WHERE chat_id = $c", chatId, ct).ConfigureAwait(false)).FirstOrDefault();

    public Task<IReadOnlyList<DigestSubscription>> ListAsync(CancellationToken ct = default) => ReadAsync("", null, ct);

    async Task<IReadOnlyList<DigestSubscription>> ReadAsync(string where, long? chatId, CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT chat_id, time, time_zone, include_words, exclude_words, subscribed_ms, subscribed_by FROM digest_subscriptions {where} ORDER BY chat_id");
        if (chatId is { } c) cmd.With("$c", c);
        var list = new List<DigestSubscription>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new DigestSubscription
            {
                ChatId = r.GetInt64(0),
                Time = r.GetString(1),
                TimeZone = r.GetString(2),
                Filter = new KeywordFilter
                {
                    Include = JsonSerializer.Deserialize<List<string>>(r.GetString(3)) ?? [],
                    Exclude = JsonSerializer.Deserialize<List<string>>(r.GetString(4)) ?? [],
                },
                SubscribedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
                SubscribedBy = r.IsDBNull(6) ? null : r.GetInt64(6),
            });
        }
        return list;
    }

    public async Task<DateOnly?> LastClaimedAsync(long chatId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT max(day) FROM digest_sends WHERE chat_id = $c").With("$c", chatId);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is string day ? ParseDay(day) : null;
    }

    public async Task<bool> TryClaimAsync(long chatId, DateOnly day, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("INSERT OR IGNORE INTO digest_sends(chat_id, day, claimed_ms) VALUES($c, $d, $at)")
            .With("$c", chatId).With("$d", Day(day)).With("$at", at.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task CompleteAsync(long chatId, DateOnly day, string outcome, DateTimeOffset at, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("UPDATE digest_sends SET outcome = $o, done_ms = $at WHERE chat_id = $c AND day = $d")
            .With("$c", chatId).With("$d", Day(day)).With("$o", outcome).With("$at", at.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task ReleaseAsync(long chatId, DateOnly day, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("DELETE FROM digest_sends WHERE chat_id = $c AND day = $d AND outcome IS NULL")
            .With("$c", chatId).With("$d", Day(day));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The days sent to a chat, oldest first, with their outcome (null: claimed, not confirmed).</summary>
    public async Task<IReadOnlyList<(DateOnly Day, string? Outcome)>> SendsAsync(long chatId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT day, outcome FROM digest_sends WHERE chat_id = $c ORDER BY day").With("$c", chatId);
        var list = new List<(DateOnly, string?)>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add((ParseDay(r.GetString(0)), r.IsDBNull(1) ? null : r.GetString(1)));
        return list;
    }

    static DateOnly ParseDay(string s) => DateOnly.ParseExact(s, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
