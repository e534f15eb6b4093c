using Microsoft.Data.Sqlite;

namespace NewsBot.Sqlite;

/// <summary>
/// The schema's history: ordered migrations, each applied in its own transaction (BEGIN IMMEDIATE, so two
/// processes opening one old file upgrade it once) together with the new <c>PRAGMA user_version</c>. A database
/// at version N gets migrations N+1.. in order; a new file gets all of them. Every step is idempotent
/// (<c>IF NOT EXISTS</c>), so a step interrupted before its commit is simply run again. The applied steps are
/// also noted in the meta table (<c>migration:N</c>) for people looking at the file.
/// </summary>
internal static class SqliteMigrations
{
    public sealed record Migration(int Version, string Name, string Sql);

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "articles, chunks, feeds, conversations, inbox", V1),
        new(2, "stories", V2),
        new(3, "daily digests and follows", SqliteDigestStore.Schema + SqliteFollowStore.Schema),
        new(4, "article tombstones (retention)", SqliteRetentionStore.Schema),
        new(5, "story members by time", V5),
    ];

    public static int Latest => All[^1].Version;

    public static async Task MigrateAsync(SqliteConnection conn, string filePath, CancellationToken ct)
    {
        foreach (var m in All)
        {
            await using var tx = conn.BeginTransaction(deferred: false);
            var version = await VersionAsync(conn, tx, ct).ConfigureAwait(false);
            if (version > Latest)
                throw new InvalidOperationException($"The database {filePath} was written by a newer NewsBot (schema {version}, this build knows {Latest}). Upgrade NewsBot or point Storage:DataDirectory elsewhere.");
            if (version >= m.Version) continue;
            await using (var cmd = conn.Command(m.Sql, tx))
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await using (var note = conn.Command("INSERT OR REPLACE INTO meta(key, value) VALUES($k, $v)", tx)
                .With("$k", $"migration:{m.Version}").With("$v", $"{m.Name} ({DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss'Z'})"))
                await note.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            // PRAGMA takes no parameters; the version is one of ours, not input
            await using (var set = conn.Command($"PRAGMA user_version = {m.Version}", tx))
                await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        // names this database, so caches kept beside it (the index snapshot) are never applied to another one
        await using var instance = conn.Command("INSERT OR IGNORE INTO meta(key, value) VALUES('instance_id', lower(hex(randomblob(16))))");
        await instance.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// True when the file is at <see cref="Latest"/>, in WAL mode and named (its <c>instance_id</c> is set): then
    /// <see cref="MigrateAsync"/> would change nothing. Reads only; an older, newer or new file is false.
    /// </summary>
    public static async Task<bool> IsCurrentAsync(SqliteConnection conn, CancellationToken ct)
    {
        if (await VersionAsync(conn, null, ct).ConfigureAwait(false) != Latest) return false;
        await using var check = conn.Command("SELECT (SELECT COUNT(*) FROM meta WHERE key = 'instance_id'), (SELECT journal_mode FROM pragma_journal_mode)");
        await using var r = await check.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) && r.GetInt64(0) == 1
            && string.Equals(r.GetString(1), "wal", StringComparison.OrdinalIgnoreCase);
    }

    public static async Task<long> VersionAsync(SqliteConnection conn, SqliteTransaction? tx, CancellationToken ct)
    {
        await using var check = conn.Command("PRAGMA user_version", tx);
        return (long)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
    }

    /// <summary>
    /// Stories (v2): a story's record and profile (the clusterer's features: the sum of its articles' title+lead
    /// vectors, entity and number counts, time span), and per article its features and story. Articles already
    /// in the file get stories at the first start after the upgrade, from the vectors of their first chunks.
    /// </summary>
    const string V2 = """
        CREATE TABLE IF NOT EXISTS stories(
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            first_ms INTEGER NOT NULL,
            last_ms INTEGER NOT NULL,
            articles INTEGER NOT NULL,
            outlets INTEGER NOT NULL,
            vector_sum BLOB NOT NULL,
            entities TEXT NOT NULL,
            numbers TEXT NOT NULL,
            updated_ms INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_stories_last ON stories(last_ms);
        CREATE TABLE IF NOT EXISTS story_articles(
            article_id TEXT PRIMARY KEY,
            story_id TEXT,
            time_ms INTEGER NOT NULL,
            vector BLOB NOT NULL,
            entities TEXT NOT NULL,
            numbers TEXT NOT NULL,
            title TEXT NOT NULL,
            outlet TEXT);
        CREATE INDEX IF NOT EXISTS ix_story_articles_story ON story_articles(story_id);
        """;

    /// <summary>
    /// A story's members by time (v5): an article that joins a large story earlier than its newest member reads the
    /// members from its place on (<see cref="SqliteStoryStore.GetMembersFromAsync"/>), and all members come in the
    /// assigner's order without a sort. The index replaces the one on story_id alone, whose lookups it also serves.
    /// </summary>
    internal const string V5 = """
        CREATE INDEX IF NOT EXISTS ix_story_articles_story_time ON story_articles(story_id, time_ms, article_id);
        DROP INDEX IF EXISTS ix_story_articles_story;
        """;

    /// <summary>The schema of the first release (v1), unchanged.</summary>
    internal const string V1 = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS articles(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            source_key TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT,
            outlet TEXT,
            published_ms INTEGER,
            ingested_ms INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            kind INTEGER NOT NULL,
            chunk_count INTEGER NOT NULL,
            minhash BLOB,
            body TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_articles_hash ON articles(content_hash);
        CREATE INDEX IF NOT EXISTS ix_articles_outlet ON articles(outlet COLLATE NOCASE);
        CREATE INDEX IF NOT EXISTS ix_articles_published ON articles(published_ms);
        CREATE INDEX IF NOT EXISTS ix_articles_ingested ON articles(ingested_ms);
        CREATE TABLE IF NOT EXISTS minhash_bands(hash INTEGER NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY(hash, article_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_bands_article ON minhash_bands(article_id);
        CREATE TABLE IF NOT EXISTS duplicates(
            source_key TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            title TEXT NOT NULL,
            duplicate_of TEXT NOT NULL,
            similarity REAL NOT NULL,
            recorded_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS chunks(
            rowid INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            token_count INTEGER NOT NULL,
            dense BLOB NOT NULL,
            sparse BLOB NOT NULL,
            UNIQUE(article_id, position));
        CREATE TABLE IF NOT EXISTS chunk_deletions(seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_rowid INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS feeds(
            url TEXT PRIMARY KEY,
            title TEXT,
            etag TEXT,
            last_modified TEXT,
            last_polled_ms INTEGER,
            last_success_ms INTEGER,
            last_error TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            added_ms INTEGER NOT NULL,
            added_by TEXT NOT NULL,
            trusted INTEGER NOT NULL,
            items_ingested INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS feed_items(feed_url TEXT NOT NULL, item_id TEXT NOT NULL, seen_ms INTEGER NOT NULL, PRIMARY KEY(feed_url, item_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS conversation_turns(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL,
            question TEXT NOT NULL,
            standalone TEXT NOT NULL,
            answer TEXT NOT NULL,
            cited TEXT NOT NULL,
            refused INTEGER NOT NULL,
            at_ms INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS ix_turns_conversation ON conversation_turns(conversation_id, id);
        CREATE TABLE IF NOT EXISTS inbox(
            channel TEXT NOT NULL,
            update_id INTEGER NOT NULL,
            payload TEXT NOT NULL,
            received_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0,
            done_ms INTEGER,
            PRIMARY KEY(channel, update_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_inbox_pending ON inbox(channel, done, update_id);
        INSERT OR IGNORE INTO meta(key, value) VALUES('generation', '0');
        """;
}
