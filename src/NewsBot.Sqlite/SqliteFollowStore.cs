using System.Text.Json;
using Microsoft.Data.Sqlite;
using NewsBot.Core.Digests;
using NewsBot.Core.Follows;

namespace NewsBot.Sqlite;

/// <summary>
/// Follows, the articles each follow's chat knows about and the sentences it was sent. Recording an update
/// inserts its articles under a (follow, article) primary key in the same transaction that sets the update
/// time, so an update is recorded once, and a restarted worker sees it as sent.
/// </summary>
public sealed class SqliteFollowStore(SqliteDatabase db) : IFollowStore
{
    /// <summary>The tables (schema migration 3, in <see cref="SqliteMigrations"/>).</summary>
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS follows(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            chat_id INTEGER NOT NULL,
            topic TEXT NOT NULL,
            story_id TEXT,
            story_title TEXT,
            include_words TEXT NOT NULL DEFAULT '[]',
            exclude_words TEXT NOT NULL DEFAULT '[]',
            created_ms INTEGER NOT NULL,
            last_update_ms INTEGER,
            last_activity_ms INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_follows_chat ON follows(chat_id, seq);
        CREATE TABLE IF NOT EXISTS follow_articles(follow_id TEXT NOT NULL, article_id TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY(follow_id, article_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS follow_sentences(id INTEGER PRIMARY KEY AUTOINCREMENT, follow_id TEXT NOT NULL, sentence TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_follow_sentences ON follow_sentences(follow_id);
        """;

    public async Task AddAsync(Follow f, IReadOnlyCollection<string> knownArticleIds, IReadOnlyCollection<string> knownSentences, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = conn.Command("""
            INSERT INTO follows(id, chat_id, topic, story_id, story_title, include_words, exclude_words, created_ms, last_update_ms, last_activity_ms)
            VALUES($id, $c, $t, $s, $st, $i, $e, $at, $u, $act)
            """, tx))
        {
            cmd.With("$id", f.Id).With("$c", f.ChatId).With("$t", f.Topic).With("$s", f.StoryId).With("$st", f.StoryTitle)
               .With("$i", JsonSerializer.Serialize(f.Filter.Include)).With("$e", JsonSerializer.Serialize(f.Filter.Exclude))
               .With("$at", f.CreatedAt.ToUnixTimeMilliseconds()).With("$u", ((DateTimeOffset?)f.LastUpdateAt).ToUnixMs())
               .With("$act", f.LastActivityAt.ToUnixTimeMilliseconds());
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await InsertKnownAsync(conn, tx, f.Id, knownArticleIds, knownSentences, f.CreatedAt, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> RemoveAsync(long chatId, string followId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        int n;
        await using (var cmd = conn.Command("DELETE FROM follows WHERE chat_id = $c AND id = $id", tx).With("$c", chatId).With("$id", followId))
            n = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await DeleteKnownAsync(conn, tx, "follow_id = $id", ("$id", followId), ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return n > 0;
    }

    public async Task<int> RemoveAllAsync(long chatId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await DeleteKnownAsync(conn, tx, "follow_id IN (SELECT id FROM follows WHERE chat_id = $c)", ("$c", chatId), ct).ConfigureAwait(false);
        int n;
        await using (var cmd = conn.Command("DELETE FROM follows WHERE chat_id = $c", tx).With("$c", chatId))
            n = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return n;
    }

    public async Task<IReadOnlyList<Follow>> ListAsync(long? chatId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"""
            SELECT id, chat_id, topic, story_id, story_title, include_words, exclude_words, created_ms, last_update_ms, last_activity_ms
            FROM follows {(chatId is null ? "" : "WHERE chat_id = $c")} ORDER BY chat_id, seq
            """);
        if (chatId is { } c) cmd.With("$c", c);
        var list = new List<Follow>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new Follow
            {
                Id = r.GetString(0),
                ChatId = r.GetInt64(1),
                Topic = r.GetString(2),
                StoryId = r.GetStringOrNull(3),
                StoryTitle = r.GetStringOrNull(4),
                Filter = new KeywordFilter
                {
                    Include = JsonSerializer.Deserialize<List<string>>(r.GetString(5)) ?? [],
                    Exclude = JsonSerializer.Deserialize<List<string>>(r.GetString(6)) ?? [],
                },
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
                LastUpdateAt = r.FromUnixMs(8),
                LastActivityAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
            });
        }
        return list;
    }

    public async Task<IReadOnlySet<string>> GetKnownArticlesAsync(string followId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT article_id FROM follow_articles WHERE follow_id = $f").With("$f", followId);
        var set = new HashSet<string>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) set.Add(r.GetString(0));
        return set;
    }

    public async Task<IReadOnlyList<string>> GetKnownSentencesAsync(string followId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT sentence FROM follow_sentences WHERE follow_id = $f ORDER BY id").With("$f", followId);
        var list = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(r.GetString(0));
        return list;
    }

    public async Task SetStoryAsync(string followId, string storyId, string storyTitle, DateTimeOffset activityAt, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("UPDATE follows SET story_id = $s, story_title = $t, last_activity_ms = max(last_activity_ms, $a) WHERE id = $f")
            .With("$f", followId).With("$s", storyId).With("$t", storyTitle).With("$a", activityAt.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<bool> TryRecordUpdateAsync(string followId, IReadOnlyCollection<string> articleIds, IReadOnlyCollection<string> sentences, DateTimeOffset? sentAt, DateTimeOffset activityAt, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct).ConfigureAwait(false);
        foreach (var id in articleIds)
        {
            await using var cmd = conn.Command("INSERT OR IGNORE INTO follow_articles(follow_id, article_id, at_ms) VALUES($f, $a, $at)", tx)
                .With("$f", followId).With("$a", id).With("$at", activityAt.ToUnixTimeMilliseconds());
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return false;
            }
        }
        await InsertKnownAsync(conn, tx, followId, [], sentences, activityAt, ct).ConfigureAwait(false);
        await using (var upd = conn.Command("UPDATE follows SET last_update_ms = coalesce($u, last_update_ms), last_activity_ms = max(last_activity_ms, $a) WHERE id = $f", tx)
            .With("$f", followId).With("$u", sentAt.ToUnixMs()).With("$a", activityAt.ToUnixTimeMilliseconds()))
        {
            if (await upd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return false; // unfollowed meanwhile
            }
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task UndoUpdateAsync(string followId, IReadOnlyCollection<string> articleIds, IReadOnlyCollection<string> sentences, DateTimeOffset? previousUpdateAt, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var s in sentences)
        {
            // the latest copy: the one this update recorded
            await using var cmd = conn.Command("DELETE FROM follow_sentences WHERE id = (SELECT max(id) FROM follow_sentences WHERE follow_id = $f AND sentence = $s)", tx)
                .With("$f", followId).With("$s", s);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        foreach (var id in articleIds)
        {
            await using var cmd = conn.Command("DELETE FROM follow_articles WHERE follow_id = $f AND article_id = $a", tx).With("$f", followId).With("$a", id);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var upd = conn.Command("UPDATE follows SET last_update_ms = $u WHERE id = $f", tx).With("$f", followId).With("$u", previousUpdateAt.ToUnixMs()))
            await upd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    static async Task InsertKnownAsync(SqliteConnection conn, SqliteTransaction tx, string followId, IReadOnlyCollection<string> articleIds, IReadOnlyCollection<string> sentences, DateTimeOffset at, CancellationToken ct)
    {
        foreach (var id in articleIds)
        {
            await using var cmd = conn.Command("INSERT OR IGNORE INTO follow_articles(follow_id, article_id, at_ms) VALUES($f, $a, $at)", tx)
                .With("$f", followId).With("$a", id).With("$at", at.ToUnixTimeMilliseconds());
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        foreach (var s in sentences)
        {
            await using var cmd = conn.Command("INSERT INTO follow_sentences(follow_id, sentence) VALUES($f, $s)", tx).With("$f", followId).With("$s", s);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    static async Task DeleteKnownAsync(SqliteConnection conn, SqliteTransaction tx, string where, (string Name, object Value) p, CancellationToken ct)
    {
        foreach (var table in new[] { "follow_articles", "follow_sentences" })
        {
            await using var cmd = conn.Command($"DELETE FROM {table} WHERE {where}", tx).With(p.Name, p.Value);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }
}
