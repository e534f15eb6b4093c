using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Hosting;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// SQLite's page cache per connection is what <c>Storage:SqliteCacheMb</c> says (8 MB unless set), on every pooled
/// connection, and a connection that reads more than that keeps no more than that (each pooled connection keeps its
/// cache for the life of the process: BENCHMARKS.md §2.1.3).
/// </summary>
public sealed class SqliteCacheSizeTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    SqliteDatabase FromConfiguration(string? cacheMb)
    {
        var settings = new Dictionary<string, string?> { ["Storage:DataDirectory"] = _dir.Path };
        if (cacheMb is not null) settings["Storage:SqliteCacheMb"] = cacheMb;
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNewsBot(config, new CliContext());
        return services.BuildServiceProvider().GetRequiredService<SqliteDatabase>();
    }

    static async Task<long> CacheSizeAsync(SqliteConnection conn)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA cache_size";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task The_configured_cache_size_reaches_every_pooled_connection()
    {
        var db = FromConfiguration("5");
        Assert.Equal(5, db.CacheMb);
        // two at once: the pool hands out two handles, and each gets the pragma
        await using var a = await db.OpenAsync();
        await using var b = await db.OpenAsync();
        Assert.NotSame(a.Handle, b.Handle);
        Assert.Equal(-5 * 1024, await CacheSizeAsync(a));
        Assert.Equal(-5 * 1024, await CacheSizeAsync(b));
    }

    [Fact]
    public async Task Unset_it_is_eight_MB_and_out_of_range_it_is_refused()
    {
        var db = FromConfiguration(null);
        await using (var conn = await db.OpenAsync())
            Assert.Equal(-SqliteDatabase.DefaultCacheMb * 1024, await CacheSizeAsync(conn));
        Assert.Equal(8, SqliteDatabase.DefaultCacheMb);
        Assert.ThrowsAny<Exception>(() => FromConfiguration("0"));
    }

    [Theory]
    [InlineData(1, 0.5, 1.3)]
    [InlineData(16, 5.0, 16.5)]
    public async Task A_connection_that_reads_more_than_its_cache_keeps_at_most_its_cache(int cacheMb, double minMb, double maxMb)
    {
        var db = new SqliteDatabase(Path.Combine(_dir.Path, "c" + cacheMb), cacheMb);
        await using (var conn = await db.OpenAsync())
        await using (var fill = conn.CreateCommand())
        {
            // 6 MB in rows of 1,000 bytes (smaller than a page: SQLite reads overflow pages past its cache)
            fill.CommandText = """
                CREATE TABLE blobs(id INTEGER PRIMARY KEY, b BLOB);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6144)
                INSERT INTO blobs(id, b) SELECT i, randomblob(1000) FROM n;
                """;
            await fill.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools(); // a new handle: an empty cache

        await using var reader = await db.OpenAsync();
        await using (var read = reader.CreateCommand())
        {
            read.CommandText = "SELECT b FROM blobs ORDER BY id";
            await using var r = await read.ExecuteReaderAsync();
            long bytes = 0;
            while (await r.ReadAsync()) bytes += ((byte[])r[0]).Length;
            Assert.Equal(6144L * 1000, bytes);
        }
        const int CacheUsed = 1; // SQLITE_DBSTATUS_CACHE_USED: this connection's page cache, in bytes
        Assert.Equal(0, SQLitePCL.raw.sqlite3_db_status(reader.Handle, CacheUsed, out var used, out _, 0));
        Assert.InRange(used / 1048576.0, minMb, maxMb);
    }
}
