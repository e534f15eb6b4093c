using System.Globalization;
using NewsBot.Core.Stories;

namespace NewsBot.Sqlite;

/// <summary>The catch-up's reads: which articles wait for a story, and a page of them with what is known of their features.</summary>
public sealed partial class SqliteStoryStore
{
    /// <summary>
    /// Articles up to this sequence number all had a story when last looked: the catch-up scans only newer ones,
    /// so that listing stories at 100k articles does not scan them all. (An updated article keeps its number and
    /// its story; a replacement is a new row with a new number.)
    /// </summary>
    const string CheckedKey = "stories_checked_seq";

    public async Task<IReadOnlyList<long>> ListUnassignedAsync(CancellationToken ct = default)
    {
        long checkedUpTo = long.TryParse(await db.GetMetaAsync(CheckedKey, ct).ConfigureAwait(false), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) ? c : 0;
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        long maxSeq;
        await using (var max = conn.Command("SELECT COALESCE(MAX(seq), 0) FROM articles"))
            maxSeq = (long)(await max.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
        // one scan and one sort for the whole catch-up: the keys only (8 bytes an article), oldest first
        var keys = new List<long>();
        await using (var cmd = conn.Command("""
            SELECT a.seq FROM articles a LEFT JOIN story_articles sa ON sa.article_id = a.id
            WHERE a.seq > $checked AND a.seq <= $max AND sa.story_id IS NULL
            ORDER BY COALESCE(a.published_ms, a.ingested_ms), a.seq
            """).With("$checked", checkedUpTo).With("$max", maxSeq))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) keys.Add(r.GetInt64(0));
        }
        if (keys.Count == 0 && maxSeq > checkedUpTo)
            await db.SetMetaAsync(CheckedKey, maxSeq.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        return keys;
    }

    public async Task<IReadOnlyList<UnassignedArticle>> ReadUnassignedAsync(string model, IReadOnlyList<long> keys, CancellationToken ct = default)
    {
        if (keys.Count == 0) return [];
        // the first chunk's vector is the title+lead vector when the embedded index made it with this model
        bool chunksUsable = await db.GetMetaAsync("embedding_model", ct).ConfigureAwait(false) == model;
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        var columns = string.Join(", ", SqliteArticleStore.ArticleColumns.Split(", ").Select(col => "a." + col));
        var found = new Dictionary<long, UnassignedArticle>(keys.Count);
        await using (var cmd = conn.Command(""))
        {
            // the keys are bound as parameters (a page is 256, far below SQLite's limit of 32,766)
            cmd.CommandText = $"""
                SELECT {columns}, {FeatureColumns},
                       {(chunksUsable ? "(SELECT c.dense FROM chunks c WHERE c.article_id = a.id AND c.position = 0)" : "NULL")}
                FROM articles a LEFT JOIN story_articles sa ON sa.article_id = a.id
                WHERE a.seq IN ({string.Join(",", keys.Select((k, i) => { cmd.With("$k" + i, k); return "$k" + i; }))}) AND sa.story_id IS NULL
                """;
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var article = SqliteArticleStore.Read(r); // its first column is the key (seq)
                var stored = r.IsDBNull(14) ? null : ReadFeatures(r, 14);
                var chunk = r.IsDBNull(21) ? null : VectorCodec.DecodeDense((byte[])r[21]);
                found[article.Sequence] = new UnassignedArticle(article, stored, chunk);
            }
        }
        var list = new List<UnassignedArticle>(found.Count);
        foreach (var k in keys)
            if (found.TryGetValue(k, out var u)) list.Add(u);
        return list;
    }
}
