using System.Diagnostics;
using Microsoft.Data.Sqlite;
using NewsBot.Core.Model;
using NewsBot.Core.Retention;

namespace NewsBot.Sqlite;

/// <summary>
/// Retention in the embedded database. A pruned article leaves <c>articles</c> (and, through the index, its chunks);
/// its tombstone stays in <c>article_tombstones</c> (schema v4): the article's metadata under its id, so story lists,
/// follow histories, digests and saved answers that cite the id still resolve it (<see cref="SqliteArticleStore"/> and
/// <see cref="SqliteStoryStore"/> read tombstones for ids no longer registered), and its source key, so a feed still
/// listing the item does not bring it back as new. The body stays only with <c>Storage:KeepArticleText</c>.
/// </summary>
public sealed class SqliteRetentionStore(SqliteDatabase db) : IRetentionStore
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS article_tombstones(
            id TEXT PRIMARY KEY,
            source_key TEXT NOT NULL,
            url TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT,
            outlet TEXT,
            published_ms INTEGER,
            ingested_ms INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            kind INTEGER NOT NULL,
            pruned_ms INTEGER NOT NULL,
            body TEXT);
        CREATE INDEX IF NOT EXISTS ix_tombstones_source ON article_tombstones(source_key);
        """;

    internal const string TombstoneColumns = "0, id, source_key, url, title, author, outlet, published_ms, ingested_ms, content_hash, kind, 0, NULL, COALESCE(body, '')";

    public async Task<IReadOnlyList<ArticleRecord>> ListOlderThanAsync(DateTimeOffset cutoff, int limit, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        // two range scans on the published and ingested indexes rather than a scan of COALESCE over every row
        await using var cmd = conn.Command($"""
            SELECT {SqliteArticleStore.ArticleColumns} FROM articles WHERE published_ms < $c
            UNION ALL
            SELECT {SqliteArticleStore.ArticleColumns} FROM articles WHERE published_ms IS NULL AND ingested_ms < $c
            ORDER BY seq LIMIT $n
            """).With("$c", cutoff.ToUnixTimeMilliseconds()).With("$n", limit);
        var list = new List<ArticleRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(SqliteArticleStore.Read(r));
        return list;
    }

    public async Task WriteTombstonesAsync(IReadOnlyList<ArticleRecord> articles, bool keepText, DateTimeOffset prunedAt, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var a in articles)
        {
            await using var cmd = conn.Command("""
                INSERT OR REPLACE INTO article_tombstones(id, source_key, url, title, author, outlet, published_ms, ingested_ms, content_hash, kind, pruned_ms, body)
                VALUES($id, $sk, $url, $title, $author, $outlet, $pub, $ing, $hash, $kind, $pruned, $body)
                """, tx);
            cmd.With("$id", a.Id).With("$sk", a.SourceKey).With("$url", a.Article.Url).With("$title", a.Article.Title).With("$author", a.Article.Author)
               .With("$outlet", a.Article.Outlet).With("$pub", a.Article.Published.ToUnixMs()).With("$ing", a.IngestedAt.ToUnixTimeMilliseconds())
               .With("$hash", a.ContentHash).With("$kind", (int)a.Kind).With("$pruned", prunedAt.ToUnixTimeMilliseconds()).With("$body", keepText ? a.Body : null);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<DateTimeOffset?> PrunedAtAsync(string sourceKey, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        // the item's own tombstone, or that of the article it was recorded as a duplicate of
        await using var cmd = conn.Command("""
            SELECT MAX(p) FROM (
                SELECT pruned_ms AS p FROM article_tombstones WHERE source_key = $k
                UNION ALL
                SELECT t.pruned_ms FROM duplicates x JOIN article_tombstones t ON t.id = x.duplicate_of
                WHERE x.source_key = $k AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = x.duplicate_of))
            """).With("$k", sourceKey);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>
    /// Gives freed pages back. A file created before schema v4 has <c>auto_vacuum=NONE</c>, which only a full VACUUM can
    /// change: the first compaction with free pages runs it once (it rewrites the whole file and needs as much free disk
    /// again, minutes at millions of chunks, so it is not done in the migration at start-up); after that every prune
    /// ends with <c>PRAGMA incremental_vacuum</c>, which only moves and truncates the freed pages. A checkpoint then
    /// folds the write-ahead log into the file and truncates it, so the size on disk drops now, not at the next start.
    /// </summary>
    public async Task<CompactResult> CompactAsync(CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var before = DiskBytes();
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        long mode = await ScalarAsync(conn, "PRAGMA auto_vacuum", ct).ConfigureAwait(false);
        long free = await ScalarAsync(conn, "PRAGMA freelist_count", ct).ConfigureAwait(false);
        bool switched = false;
        if (mode != 2 && free > 0)
        {
            await ExecuteAsync(conn, "PRAGMA auto_vacuum=INCREMENTAL; VACUUM;", ct).ConfigureAwait(false);
            switched = await ScalarAsync(conn, "PRAGMA auto_vacuum", ct).ConfigureAwait(false) == 2;
        }
        else if (mode == 2 && free > 0)
        {
            await ExecuteAsync(conn, "PRAGMA incremental_vacuum", ct).ConfigureAwait(false);
        }
        await ExecuteAsync(conn, "PRAGMA wal_checkpoint(TRUNCATE)", ct).ConfigureAwait(false);
        return new CompactResult(before, DiskBytes(), switched, sw.Elapsed);
    }

    public long DiskBytes() => db.DiskBytes();

    static async Task<long> ScalarAsync(SqliteConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.Command(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task ExecuteAsync(SqliteConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.Command(sql);
        // incremental_vacuum returns a row per step: read them all so it runs to the end
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) { }
    }
}
