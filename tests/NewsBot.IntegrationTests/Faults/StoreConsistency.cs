using System.Globalization;
using Microsoft.Data.Sqlite;
using NewsBot.Sqlite;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>What a data directory holds, as the crash tests compare it after each restart.</summary>
public sealed record StoreCounts(
    long Articles, long ExpectedChunks, long Chunks, long Vectors, long Lexical, int LoadedVectors, int LoadedLexical,
    long PendingInbox, long UnfinishedDigestClaims, long StoriesPending)
{
    public override string ToString() =>
        $"articles {Articles}, chunks {Chunks} (articles say {ExpectedChunks}), vectors {Vectors}, lexical {Lexical}, " +
        $"loaded index {LoadedVectors} vectors / {LoadedLexical} lexical, inbox pending {PendingInbox}, unfinished digest claims {UnfinishedDigestClaims}, " +
        $"articles awaiting their story {StoriesPending}";
}

/// <summary>
/// The consistency checker of the crash tests: reads a data directory the way a restarted worker does (the SQLite file,
/// then the embedded index loaded from its snapshot and the store, through the real <see cref="SqliteArticleIndex"/>)
/// and lists every disagreement: an article whose chunks are not all there (half indexed), a chunk, MinHash band,
/// story row or follow row whose owner is gone (orphans), a chunk without a decodable vector or lexical terms, and an
/// index that loads a different number of vectors or lexical entries than the store holds. Pure reading; it neither
/// repairs nor waits.
/// </summary>
public static class StoreConsistency
{
    static readonly (string What, string Sql)[] Orphans =
    [
        ("chunks without their article", "SELECT COUNT(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = c.article_id)"),
        ("half-indexed articles (chunk_count differs from the chunks stored)",
            "SELECT COUNT(*) FROM articles a WHERE a.chunk_count <> (SELECT COUNT(*) FROM chunks c WHERE c.article_id = a.id)"),
        ("MinHash bands without their article", "SELECT COUNT(*) FROM minhash_bands b WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = b.article_id)"),
        ("story rows without their article", "SELECT COUNT(*) FROM story_articles s WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = s.article_id)"),
        ("follow articles without their follow", "SELECT COUNT(*) FROM follow_articles f WHERE NOT EXISTS (SELECT 1 FROM follows x WHERE x.id = f.follow_id)"),
        ("follow sentences without their follow", "SELECT COUNT(*) FROM follow_sentences f WHERE NOT EXISTS (SELECT 1 FROM follows x WHERE x.id = f.follow_id)"),
    ];

    /// <summary>The counts and the list of problems (empty: consistent).</summary>
    public static async Task<(StoreCounts Counts, IReadOnlyList<string> Problems)> CheckAsync(string dataDirectory)
    {
        var problems = new List<string>();
        var file = Path.Combine(dataDirectory, "newsbot.db");
        if (!File.Exists(file))
            return (new StoreCounts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), problems);

        long articles, expected, chunks, vectors = 0, lexical = 0, pending, unfinished, storiesPending;
        // read-write, not read-only: a WAL left by a killed writer is recovered by the first connection, as the
        // restarted worker's would be (read-only connections cannot replay it)
        await using (var c = new SqliteConnection($"Data Source={file};Pooling=False;Default Timeout=30"))
        {
            await c.OpenAsync();
            articles = Scalar(c, "SELECT COUNT(*) FROM articles");
            expected = Scalar(c, "SELECT COALESCE(SUM(chunk_count), 0) FROM articles");
            chunks = Scalar(c, "SELECT COUNT(*) FROM chunks");
            pending = Scalar(c, "SELECT COUNT(*) FROM inbox WHERE done = 0");
            unfinished = Scalar(c, "SELECT COUNT(*) FROM digest_sends WHERE outcome IS NULL");
            // an article committed just before a kill gets its story at the next run's start (IngestionPipeline
            // assigns pending articles first), so this is a count to watch, not a problem in itself
            storiesPending = Scalar(c, "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM story_articles s WHERE s.article_id = a.id)");
            var dims = Scalar(c, "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'embedding_dimensions'), 0)");
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = "SELECT dense, sparse FROM chunks";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var dense = (byte[])r[0];
                    var sparse = (byte[])r[1];
                    if (dims > 0 && dense.Length == dims * sizeof(float) && dense.Any(b => b != 0)) vectors++;
                    if (sparse.Length >= 4)
                    {
                        var n = BitConverter.ToInt32(sparse, 0);
                        if (n > 0 && sparse.Length == 4 + n * 8) lexical++;
                    }
                }
            }
            foreach (var (what, sql) in Orphans)
                if (Scalar(c, sql) is var n and > 0) problems.Add($"{n} {what}");
        }

        // the index as a restarted worker loads it: the snapshot (if any) plus what the store committed since
        int loadedVectors = 0, loadedLexical = 0;
        if (chunks > 0)
        {
            using var index = new SqliteArticleIndex(new SqliteDatabase(dataDirectory));
            await index.SyncAsync();
            (loadedVectors, loadedLexical) = index.LoadedCounts();
        }
        SqliteConnection.ClearAllPools();

        var counts = new StoreCounts(articles, expected, chunks, vectors, lexical, loadedVectors, loadedLexical, pending, unfinished, storiesPending);
        if (expected != chunks) problems.Add($"articles count {expected} chunks, the store holds {chunks}");
        if (vectors != chunks) problems.Add($"{chunks - vectors} chunks without a vector");
        if (lexical != chunks) problems.Add($"{chunks - lexical} chunks without lexical terms");
        if (loadedVectors != chunks) problems.Add($"the loaded index holds {loadedVectors} vectors for {chunks} chunks");
        if (loadedLexical != chunks) problems.Add($"the loaded index holds {loadedLexical} lexical entries for {chunks} chunks");
        return (counts, problems);
    }

    static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

/// <summary>The crash runs' knobs: how many kills (NEWSBOT_CRASH_RUNS, default 20) and the seed (NEWSBOT_CRASH_SEED, default per test).</summary>
public static class CrashRuns
{
    public static int Count => int.TryParse(Environment.GetEnvironmentVariable("NEWSBOT_CRASH_RUNS"), out var n) && n > 0 ? n : 20;

    public static int Seed(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("NEWSBOT_CRASH_SEED"), out var s) ? s : fallback;
}
