using Microsoft.Data.Sqlite;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;

namespace NewsBot.Sqlite;

/// <summary>The article registry in the embedded SQLite database.</summary>
public sealed class SqliteArticleStore(SqliteDatabase db) : IArticleStore
{
    internal const string ArticleColumns = "seq, id, source_key, url, title, author, outlet, published_ms, ingested_ms, content_hash, kind, chunk_count, minhash, body";

    public async Task<ArticleRecord?> GetArticleAsync(string articleId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT {ArticleColumns} FROM articles WHERE id = $id").With("$id", articleId);
        if (await ReadOneAsync(cmd, ct).ConfigureAwait(false) is { } live) return live;
        // a pruned article resolves to its tombstone (no chunks; its text only with Storage:KeepArticleText)
        await using var tomb = conn.Command($"SELECT {SqliteRetentionStore.TombstoneColumns} FROM article_tombstones WHERE id = $id").With("$id", articleId);
        return await ReadOneAsync(tomb, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ArticleRecord>> GetArticlesAsync(IReadOnlyCollection<string> articleIds, CancellationToken ct = default)
    {
        if (articleIds.Count == 0) return [];
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        var result = new List<ArticleRecord>();
        var missing = new HashSet<string>(articleIds, StringComparer.Ordinal);
        // registered articles first, then the tombstones of pruned ones (so saved answers' citations still resolve)
        foreach (var (columns, table) in new[] { (ArticleColumns, "articles"), (SqliteRetentionStore.TombstoneColumns, "article_tombstones") })
        foreach (var batch in missing.ToList().Chunk(200))
        {
            await using var cmd = conn.Command("");
            var names = new List<string>();
            for (int i = 0; i < batch.Length; i++)
            {
                names.Add("$p" + i);
                cmd.With("$p" + i, batch[i]);
            }
            cmd.CommandText = $"SELECT {columns} FROM {table} WHERE id IN ({string.Join(",", names)})";
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var record = Read(r);
                if (missing.Remove(record.Id)) result.Add(record);
            }
        }
        return result;
    }

    public async Task<ArticleRecord?> FindBySourceAsync(string sourceKey, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT {ArticleColumns} FROM articles WHERE source_key = $k").With("$k", sourceKey);
        return await ReadOneAsync(cmd, ct).ConfigureAwait(false);
    }

    public async Task<ArticleRecord?> FindByContentHashAsync(string contentHash, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT {ArticleColumns} FROM articles WHERE content_hash = $h ORDER BY seq LIMIT 1").With("$h", contentHash);
        return await ReadOneAsync(cmd, ct).ConfigureAwait(false);
    }

    public async Task<(ArticleRecord Article, double Similarity)?> FindNearDuplicateAsync(ulong[] minHash, double threshold, CancellationToken ct = default)
    {
        if (minHash.Length != MinHash.Size) return null;
        var bands = MinHash.BandHashes(minHash);
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("");
        var names = new List<string>();
        for (int i = 0; i < bands.Length; i++)
        {
            names.Add("$b" + i);
            cmd.With("$b" + i, bands[i]);
        }
        cmd.CommandText = $"SELECT DISTINCT a.id, a.minhash FROM minhash_bands b JOIN articles a ON a.id = b.article_id WHERE b.hash IN ({string.Join(",", names)}) LIMIT 200";
        string? bestId = null;
        double best = 0;
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var sim = MinHash.Similarity(minHash, MinHash.FromBytes(r.IsDBNull(1) ? null : (byte[])r[1]));
                if (sim >= threshold && sim > best)
                {
                    best = sim;
                    bestId = r.GetString(0);
                }
            }
        }
        if (bestId is null) return null;
        var article = await GetArticleAsync(bestId, ct).ConfigureAwait(false);
        return article is null ? null : (article, best);
    }

    public async Task<DuplicateRecord?> FindDuplicateAsync(string sourceKey, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT source_key, url, title, duplicate_of, similarity, recorded_ms FROM duplicates WHERE source_key = $k").With("$k", sourceKey);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new DuplicateRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)));
    }

    public async Task SaveArticleAsync(ArticleRecord article, string? replacesArticleId = null, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await WriteArticleAsync(conn, tx, article, replacesArticleId, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes the article row and its near-duplicate bands inside the caller's transaction.</summary>
    internal static async Task WriteArticleAsync(SqliteConnection conn, SqliteTransaction tx, ArticleRecord a, string? replacesArticleId, CancellationToken ct)
    {
        if (replacesArticleId is not null && replacesArticleId != a.Id)
            await DeleteArticleRowAsync(conn, tx, replacesArticleId, ct).ConfigureAwait(false);
        // another article may hold this source key (a file whose content, and so id, changed)
        await using (var clash = conn.Command("SELECT id FROM articles WHERE source_key = $k AND id <> $id", tx).With("$k", a.SourceKey).With("$id", a.Id))
        {
            if (await clash.ExecuteScalarAsync(ct).ConfigureAwait(false) is string other)
                await DeleteArticleRowAsync(conn, tx, other, ct).ConfigureAwait(false);
        }
        await using (var cmd = conn.Command("""
            INSERT INTO articles(id, source_key, url, title, author, outlet, published_ms, ingested_ms, content_hash, kind, chunk_count, minhash, body)
            VALUES($id, $sk, $url, $title, $author, $outlet, $pub, $ing, $hash, $kind, $chunks, $minhash, $body)
            ON CONFLICT(id) DO UPDATE SET source_key = excluded.source_key, url = excluded.url, title = excluded.title, author = excluded.author,
                outlet = excluded.outlet, published_ms = excluded.published_ms, ingested_ms = excluded.ingested_ms, content_hash = excluded.content_hash,
                kind = excluded.kind, chunk_count = excluded.chunk_count, minhash = excluded.minhash, body = excluded.body
            """, tx))
        {
            cmd.With("$id", a.Id).With("$sk", a.SourceKey).With("$url", a.Article.Url).With("$title", a.Article.Title).With("$author", a.Article.Author)
               .With("$outlet", a.Article.Outlet).With("$pub", a.Article.Published.ToUnixMs()).With("$ing", a.IngestedAt.ToUnixTimeMilliseconds())
               .With("$hash", a.ContentHash).With("$kind", (int)a.Kind).With("$chunks", a.ChunkCount)
               .With("$minhash", a.MinHash.Length > 0 ? MinHash.ToBytes(a.MinHash) : null).With("$body", a.Body);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var del = conn.Command("DELETE FROM minhash_bands WHERE article_id = $id; DELETE FROM duplicates WHERE source_key = $k", tx).With("$id", a.Id).With("$k", a.SourceKey))
            await del.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        if (a.MinHash.Length == MinHash.Size)
        {
            await using var ins = conn.Command("INSERT OR IGNORE INTO minhash_bands(hash, article_id) VALUES($h, $id)", tx);
            var h = ins.Parameters.Add("$h", SqliteType.Integer);
            ins.With("$id", a.Id);
            foreach (var band in MinHash.BandHashes(a.MinHash))
            {
                h.Value = band;
                await ins.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
    }

    internal static async Task DeleteArticleRowAsync(SqliteConnection conn, SqliteTransaction tx, string articleId, CancellationToken ct)
    {
        await using var cmd = conn.Command("DELETE FROM articles WHERE id = $id; DELETE FROM minhash_bands WHERE article_id = $id;", tx).With("$id", articleId);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task RecordDuplicateAsync(DuplicateRecord d, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            INSERT INTO duplicates(source_key, url, title, duplicate_of, similarity, recorded_ms) VALUES($k, $u, $t, $d, $s, $r)
            ON CONFLICT(source_key) DO UPDATE SET url = excluded.url, title = excluded.title, duplicate_of = excluded.duplicate_of,
                similarity = excluded.similarity, recorded_ms = excluded.recorded_ms
            """).With("$k", d.SourceKey).With("$u", d.Url).With("$t", d.Title).With("$d", d.DuplicateOf).With("$s", d.Similarity)
            .With("$r", d.RecordedAt.ToUnixTimeMilliseconds());
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task DeleteArticleAsync(string articleId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await DeleteArticleRowAsync(conn, tx, articleId, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<StoreCounts> GetCountsAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM duplicates), (SELECT MAX(ingested_ms) FROM articles)");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new StoreCounts(r.GetInt64(0), r.GetInt64(1), r.FromUnixMs(2));
    }

    // the quickstart's check before every `ask`: counting a million-chunk store's articles reads its whole table, which
    // from a cold page cache costs about 45 ms; one row is enough
    public async Task<bool> HasArticlesAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT EXISTS (SELECT 1 FROM articles)");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }

    public async Task<IReadOnlyList<OutletStats>> GetOutletsAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            SELECT COALESCE(outlet, ''), COUNT(*), MAX(published_ms) FROM articles
            GROUP BY COALESCE(outlet, '') COLLATE NOCASE ORDER BY COUNT(*) DESC, 1
            """);
        var result = new List<OutletStats>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            result.Add(new OutletStats(r.GetString(0), r.GetInt64(1), r.FromUnixMs(2)));
        return result;
    }

    public async Task<IReadOnlyList<ArticleRecord>> ListArticlesAsync(long afterSequence, int limit, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT {ArticleColumns} FROM articles WHERE seq > $s ORDER BY seq LIMIT $n").With("$s", afterSequence).With("$n", limit);
        return await ReadAllAsync(cmd, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ArticleRecord>> GetRecentArticlesAsync(DateTimeOffset since, int limit, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"""
            SELECT {ArticleColumns} FROM articles WHERE COALESCE(published_ms, ingested_ms) >= $since
            ORDER BY COALESCE(published_ms, ingested_ms) DESC LIMIT $n
            """).With("$since", since.ToUnixTimeMilliseconds()).With("$n", limit);
        return await ReadAllAsync(cmd, ct).ConfigureAwait(false);
    }

    static async Task<ArticleRecord?> ReadOneAsync(SqliteCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? Read(r) : null;
    }

    static async Task<IReadOnlyList<ArticleRecord>> ReadAllAsync(SqliteCommand cmd, CancellationToken ct)
    {
        var list = new List<ArticleRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(Read(r));
        return list;
    }

    internal static ArticleRecord Read(SqliteDataReader r) => new()
    {
        Sequence = r.GetInt64(0),
        Article = new ArticleRef
        {
            Id = r.GetString(1), Title = r.GetString(4), Outlet = r.GetStringOrNull(6), Author = r.GetStringOrNull(5),
            Published = r.FromUnixMs(7), Url = r.GetString(3),
        },
        SourceKey = r.GetString(2),
        IngestedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        ContentHash = r.GetString(9),
        Kind = (SourceKind)r.GetInt32(10),
        ChunkCount = r.GetInt32(11),
        MinHash = MinHash.FromBytes(r.IsDBNull(12) ? null : (byte[])r[12]),
        Body = r.GetString(13),
    };
}
