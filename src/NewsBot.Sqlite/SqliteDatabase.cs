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
    public const int SchemaVersion = 5; // the last of SqliteMigrations.All
    public const string FileName = "newsbot.db";

    readonly string _connectionString;
    int _initialized;
    readonly SemaphoreSlim _initLock = new(1, 1);
    readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _prepared = new();
    static readonly object Marker = new();

    /// <summary>
    /// SQLite's page cache per connection unless configured (<c>Storage:SqliteCacheMb</c>). Every pooled connection fills
    /// its cache as it reads and keeps it while pooled; the pages behind it are in the system's page cache anyway, so a
    /// larger cache saves a copy per page read, not a disk read. At 16 MB each, the pooled connections of the 100k bench
    /// held 41-49 MB of the process's peak; at 2 MB the 48-hour story listing re-read its ~3 MB of rows every time and
    /// took twice the CPU; 8 MB keeps both the listing and the assignment at the 16 MB figures (BENCHMARKS.md §2.1.3).
    /// </summary>
    public const int DefaultCacheMb = 8;

    readonly string _connectionPragmas;

    public SqliteDatabase(string dataDirectory, int cacheMb = DefaultCacheMb)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cacheMb, 1);
        CacheMb = cacheMb;
        // a negative cache_size is in KiB
        _connectionPragmas = $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-{cacheMb * 1024};";
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

    /// <summary>The page cache each connection may fill, in MB.</summary>
    public int CacheMb { get; }

    /// <summary>What SQLite has allocated in this process (every connection's page cache, statements, schema).</summary>
    public static long NativeMemoryBytes() => SQLitePCL.raw.sqlite3_memory_used();

    /// <summary>The most SQLite had allocated at once since the last reset (<paramref name="reset"/> starts a new mark).</summary>
    public static long NativeMemoryPeakBytes(bool reset) => SQLitePCL.raw.sqlite3_memory_highwater(reset ? 1 : 0);

    public string FilePath { get; }

    /// <summary>Opens a connection (creating the file, or upgrading its schema, the first time).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        if (Volatile.Read(ref _initialized) == 0) await InitializeAsync(ct).ConfigureAwait(false);
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        // Pooled connections reuse their sqlite3 handle: set the per-connection pragmas once per handle.
        if (conn.Handle is { } handle && !_prepared.TryGetValue(handle, out _))
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = _connectionPragmas;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            _prepared.AddOrUpdate(handle, Marker);
        }
        return conn;
    }

    /// <summary>
    /// Takes and releases the write lock (BEGIN IMMEDIATE, waiting up to the busy timeout): a verb that is about to write
    /// fails at its start, with SQLite's "database is locked", when another process holds the lock for longer.
    /// </summary>
    public async Task EnsureWritableAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAsync(ct).ConfigureAwait(false);
        await using var tx = conn.BeginTransaction(deferred: false);
        await tx.RollbackAsync(ct).ConfigureAwait(false);
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
            // A file at the current schema that is already named needs nothing: no pragma that only matters for a new
            // file (WAL and auto_vacuum are kept in the file), no write transaction per migration. A cold `ask` then
            // reads two values instead of taking the write lock five times (BENCHMARKS.md §2.1.2).
            if (await SqliteMigrations.IsCurrentAsync(conn, ct).ConfigureAwait(false))
            {
                Volatile.Write(ref _initialized, 1);
                return;
            }
            await using (var pragma = conn.CreateCommand())
            {
                // auto_vacuum takes effect only in a file with no tables yet (a new one): an older file is switched by
                // its first prune (SqliteRetentionStore.CompactAsync), since that takes a full VACUUM
                pragma.CommandText = "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
                await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await SqliteMigrations.MigrateAsync(conn, FilePath, ct).ConfigureAwait(false);
            Volatile.Write(ref _initialized, 1);
        }
        finally
        {
            _initLock.Release();
        }
    }
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
