using Microsoft.Data.Sqlite;

namespace NewsBot.Sqlite;

/// <summary>
/// The one SQLite file of the embedded store (<c>{data dir}/newsbot.db</c>): articles, chunks with
/// their dense and sparse vectors, feed state, conversations and the channel inbox. WAL journal,
/// <c>synchronous=NORMAL</c> (a committed article survives a process kill; a power cut may lose the
/// last transactions but never corrupts the file), writers take the lock up front (BEGIN IMMEDIATE).
/// </summary>
public sealed class SqliteDatabase
{
    public const int SchemaVersion = 1;
    public const string FileName = "newsbot.db";

    readonly string _connectionString;
    int _initialized;
    readonly SemaphoreSlim _initLock = new(1, 1);
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _prepared = new();
    static readonly object Marker = new();

    public SqliteDatabase(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        FilePath = Path.Combine(DataDirectory, FileName);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DataDirectory { get; }

    public string FilePath { get; }

    /// <summary>Opens a connection (creating the file and schema the first time).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        if (Volatile.Read(ref _initialized) == 0) await InitializeAsync(ct).ConfigureAwait(false);
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        // Pooled connections reuse their sqlite3 handle: set the per-connection pragmas once per handle.
        if (conn.Handle is { } handle && !_prepared.TryGetValue(handle, out _))
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-16000;";
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            _prepared.AddOrUpdate(handle, Marker);
        }
        return conn;
    }

    /// <summary>A value of the meta table (schema facts, progress markers), or null.</summary>
    public async Task<string?> GetMetaAsync(string key, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT value FROM meta WHERE key = $k").With("$k", key);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    /// <summary>Sets (or, with null, removes) a value of the meta table.</summary>
    public async Task SetMetaAsync(string key, string? value, CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = value is null
            ? conn.Command("DELETE FROM meta WHERE key = $k").With("$k", key)
            : conn.Command("INSERT OR REPLACE INTO meta(key, value) VALUES($k, $v)").With("$k", key).With("$v", value);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Size of the database and its WAL on disk.</summary>
    public long DiskBytes()
    {
        long total = 0;
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            var f = new FileInfo(FilePath + suffix);
            if (f.Exists) total += f.Length;
        }
        return total;
    }

    async Task InitializeAsync(CancellationToken ct)
    {
        await _initLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_initialized == 1) return;
            try
            {
                Directory.CreateDirectory(DataDirectory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Cannot create the data directory '{DataDirectory}': {ex.Message.TrimEnd('.')}. Set Storage:DataDirectory (or --data) to a writable folder.", ex);
            }
            await using var conn = new SqliteConnection(_connectionString);
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using (var pragma = conn.CreateCommand())
            {
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
                await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            long version = 0;
            await using (var check = conn.CreateCommand())
            {
                check.Transaction = tx;
                check.CommandText = "PRAGMA user_version";
                version = (long)(await check.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
            }
            if (version > SchemaVersion)
                throw new InvalidOperationException($"The database {FilePath} was written by a newer NewsBot (schema {version}, this build knows {SchemaVersion}). Upgrade NewsBot or point Storage:DataDirectory elsewhere.");
            if (version < 1)
            {
                await using var create = conn.CreateCommand();
                create.Transaction = tx;
                create.CommandText = Schema;
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var later = conn.CreateCommand())
            {
                // TEMPORARY until the numbered migrations land: digest and follow tables (idempotent)
                later.Transaction = tx;
                later.CommandText = SqliteDigestStore.Schema + SqliteFollowStore.Schema;
                await later.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var instance = conn.CreateCommand())
            {
                // names this database, so caches kept beside it (the index snapshot) are never applied to another one
                instance.Transaction = tx;
                instance.CommandText = "INSERT OR IGNORE INTO meta(key, value) VALUES('instance_id', lower(hex(randomblob(16))))";
                await instance.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _initialized, 1);
        }
        finally
        {
            _initLock.Release();
        }
    }

    const string Schema = """
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
        PRAGMA user_version = 1;
        """;
}

internal static class SqliteExtensions
{
    public static SqliteCommand Command(this SqliteConnection conn, string sql, SqliteTransaction? tx = null)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    public static SqliteCommand With(this SqliteCommand cmd, string name, object? value)
    {
        cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    public static long? ToUnixMs(this DateTimeOffset? d) => d?.ToUnixTimeMilliseconds();

    public static DateTimeOffset? FromUnixMs(this SqliteDataReader r, int ordinal)
        => r.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(ordinal));

    public static string? GetStringOrNull(this SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);
}
