using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Stories;

/// <summary>
/// Upgrading a data directory made by the first release (schema v1, copied verbatim below from
/// SqliteDatabase at the commit before stories) to v2: nothing lost, nothing re-embedded, stories appear.
/// </summary>
public class SchemaMigrationTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static readonly (string Id, string Title, string Outlet, string Lead)[] Articles =
    [
        ("u1", "Keller unveils pension reform", "Northern Ledger", "Chancellor Anna Keller told Parliament the retirement age will rise to 67 by 2035, Finance Minister Tomas Berg said."),
        ("u2", "Keller pension reform raises retirement age", "Harbor Herald", "Chancellor Anna Keller told Parliament the retirement age will rise to 67 by 2035, Finance Minister Tomas Berg added."),
        ("u3", "Kiprop wins Harbor City marathon", "Coastal Times", "Daniel Kiprop of Kenya won the Harbor City marathon in a course record on Sunday."),
    ];

    /// <summary>Writes a v1 database the way the v1 code did: its schema, articles with their chunks and vectors, a feed, a conversation.</summary>
    void CreateV1(HashingEmbeddingGenerator gen)
    {
        using var conn = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, SqliteDatabase.FileName)}");
        conn.Open();
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "PRAGMA journal_mode=WAL;" + V1Schema + """
                INSERT OR IGNORE INTO meta(key, value) VALUES('instance_id', 'v1-instance');
                INSERT OR REPLACE INTO meta(key, value) VALUES('embedding_model', 'hashing-test'), ('embedding_dimensions', '64');
                INSERT INTO feeds(url, title, added_ms, added_by, trusted) VALUES('https://ledger.test/rss', 'Northern Ledger', 1, 'cli', 1);
                INSERT INTO conversation_turns(conversation_id, question, standalone, answer, cited, refused, at_ms) VALUES('cli:c1', 'what happened?', 'what happened?', 'A reform.', '["u1"]', 0, 1);
                """;
            cmd.ExecuteNonQuery();
        }
        long t = new DateTimeOffset(2026, 6, 2, 9, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        foreach (var (id, title, outlet, lead) in Articles)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = """
                INSERT INTO articles(id, source_key, url, title, outlet, published_ms, ingested_ms, content_hash, kind, chunk_count, body)
                VALUES($id, $url, $url, $title, $outlet, $t, $t, $id, 1, 1, $body);
                INSERT INTO chunks(article_id, position, text, token_count, dense, sparse) VALUES($id, 0, $body, 30, $dense, x'00000000');
                """;
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$url", "https://news.test/" + id);
            cmd.Parameters.AddWithValue("$title", title);
            cmd.Parameters.AddWithValue("$outlet", outlet);
            cmd.Parameters.AddWithValue("$t", t);
            cmd.Parameters.AddWithValue("$body", lead);
            cmd.Parameters.AddWithValue("$dense", VectorCodec.EncodeDense(gen.Embed(IngestionPipeline.EmbeddingText(title, lead))));
            cmd.ExecuteNonQuery();
        }
        using (var v = conn.CreateCommand())
        {
            v.CommandText = "PRAGMA user_version";
            Assert.Equal(1L, v.ExecuteScalar());
        }
        conn.Close();
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task A_v1_data_directory_upgrades_in_place_keeps_everything_and_gets_stories_without_re_embedding()
    {
        var gen = new HashingEmbeddingGenerator();
        CreateV1(gen);
        var db = new SqliteDatabase(_dir.Path);

        Assert.StartsWith("stories", await db.GetMetaAsync("migration:2"));
        Assert.StartsWith("daily digests and follows", await db.GetMetaAsync("migration:3"));
        Assert.StartsWith("article tombstones", await db.GetMetaAsync("migration:4"));
        Assert.StartsWith("story members by time", await db.GetMetaAsync("migration:5"));
        await using (var conn = await db.OpenAsync())
        {
            Assert.Equal((long)SqliteDatabase.SchemaVersion, await SqliteMigrations.VersionAsync(conn, null, default));
            Assert.Equal(5, SqliteDatabase.SchemaVersion);
            Assert.Equal(SqliteDatabase.SchemaVersion, SqliteMigrations.Latest);
        }
        Assert.Equal("v1-instance", await db.GetMetaAsync("instance_id"));
        Assert.Equal(3, (await new SqliteArticleStore(db).GetCountsAsync()).Articles);
        Assert.Equal("Northern Ledger", Assert.Single(await new SqliteFeedStore(db).ListFeedsAsync()).Title);
        Assert.Equal("A reform.", Assert.Single(await new SqliteConversationStore(db).GetRecentAsync("cli:c1", 5)).Answer);
        Assert.Empty(await new SqliteDigestStore(db).ListAsync()); // the digest and follow tables exist, empty
        Assert.Empty(await new SqliteFollowStore(db).ListAsync(null));
        using (var index = new SqliteArticleIndex(db))
            Assert.Equal(3, (await index.GetStatsAsync()).Chunks);

        var stories = new SqliteStoryStore(db, TimeProvider.System);
        Assert.Empty(await stories.ListStoriesAsync(null, null));
        int calls = gen.Calls;
        var assigner = new StoryAssigner(stories, new StoryClusterer(new StoryOptions()), new Embedder(gen, HashingEmbeddingGenerator.Profile()),
            new Chunker(HeuristicTokenCounter.Instance), TestLog.For<StoryAssigner>());
        Assert.Equal(3, await assigner.AssignPendingAsync());
        Assert.Equal(calls, gen.Calls); // the first chunks' vectors were used: nothing re-embedded

        var listed = await stories.ListStoriesAsync(null, null);
        Assert.Equal(2, listed.Count);
        Assert.Equal(["u1", "u2"], listed[0].Articles.Select(a => a.Id));
        Assert.Equal(["Northern Ledger", "Harbor Herald"], listed[0].Outlets);
        Assert.Equal(["u3"], listed[1].Articles.Select(a => a.Id));
    }

    /// <summary>Makes the v1 directory the v3 one the v3 code left: the stories, digest and follow tables holding a story of u1 and u2, a follow of it and a subscription.</summary>
    void UpgradeToV3WithData()
    {
        long t = new DateTimeOffset(2026, 6, 2, 9, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        using var conn = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, SqliteDatabase.FileName)}");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = SqliteMigrations.All[1].Sql + SqliteMigrations.All[2].Sql + $"""
            INSERT INTO stories(id, title, first_ms, last_ms, articles, outlets, vector_sum, entities, numbers, updated_ms)
                VALUES('s1', 'Keller pension reform', {t}, {t}, 2, 2, x'', '{"{}"}', '[]', {t});
            INSERT INTO story_articles(article_id, story_id, time_ms, vector, entities, numbers, title, outlet) VALUES
                ('u1', 's1', {t}, x'', '[]', '[]', 'Keller unveils pension reform', 'Northern Ledger'),
                ('u2', 's1', {t}, x'', '[]', '[]', 'Keller pension reform raises retirement age', 'Harbor Herald');
            INSERT INTO follows(id, chat_id, topic, story_id, story_title, created_ms, last_activity_ms) VALUES('f1', 42, 'pension reform', 's1', 'Keller pension reform', {t}, {t});
            INSERT INTO follow_articles(follow_id, article_id, at_ms) VALUES('f1', 'u1', {t}), ('f1', 'u2', {t});
            INSERT INTO digest_subscriptions(chat_id, time, time_zone, subscribed_ms) VALUES(42, '07:30', 'Europe/Oslo', {t});
            PRAGMA user_version = 3;
            """;
        cmd.ExecuteNonQuery();
        conn.Close();
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task A_v3_data_directory_upgrades_to_the_current_schema_with_nothing_lost_and_its_pruned_articles_still_resolve()
    {
        CreateV1(new HashingEmbeddingGenerator());
        UpgradeToV3WithData();
        var db = new SqliteDatabase(_dir.Path);

        await using (var conn = await db.OpenAsync())
        {
            Assert.Equal(5L, await SqliteMigrations.VersionAsync(conn, null, default));
            // v5: the story members' index by time replaced the one by story alone
            await using var indexes = conn.Command("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'story_articles' AND sql IS NOT NULL ORDER BY name)");
            Assert.Equal("ix_story_articles_story_time", await indexes.ExecuteScalarAsync());
        }
        Assert.Null(await db.GetMetaAsync("migration:2")); // v2 and v3 were not applied again
        Assert.StartsWith("article tombstones", await db.GetMetaAsync("migration:4"));
        Assert.StartsWith("story members by time", await db.GetMetaAsync("migration:5"));
        Assert.Equal("v1-instance", await db.GetMetaAsync("instance_id"));
        var articles = new SqliteArticleStore(db);
        Assert.Equal(3, (await articles.GetCountsAsync()).Articles);
        Assert.Equal("A reform.", Assert.Single(await new SqliteConversationStore(db).GetRecentAsync("cli:c1", 5)).Answer);
        Assert.Equal("Europe/Oslo", (await new SqliteDigestStore(db).GetAsync(42))?.TimeZone);
        var follows = new SqliteFollowStore(db);
        Assert.Equal("s1", Assert.Single(await follows.ListAsync(42)).StoryId);
        var stories = new SqliteStoryStore(db, TimeProvider.System);
        Assert.Equal(["u1", "u2"], (await stories.GetStoryAsync("s1"))!.Articles.Select(a => a.Id));
        var at = new DateTimeOffset(2026, 6, 2, 9, 0, 0, TimeSpan.Zero);
        Assert.Equal(at, (await stories.GetMembersAsync("s1"))[0].Time); // (the time the v3 rows were written with)
        Assert.Equal(["u2"], (await stories.GetMembersFromAsync("s1", at, "u2")).Select(m => m.ArticleId));
        Assert.Equal(["u1", "u2"], (await stories.GetMembersFromAsync("s1", at, "u0")).Select(m => m.ArticleId));
        Assert.Empty(await stories.GetMembersFromAsync("s1", at.AddMilliseconds(1), "u0"));

        // prune everything (dated 2026-06-02): the story, the follow's history and the saved answer's citation resolve
        using var index = new SqliteArticleIndex(db);
        var report = await new NewsBot.Core.Retention.RetentionService(new SqliteRetentionStore(db), articles, index,
            NewsBot.Core.Retention.RetentionPolicy.KeepEverything, TimeProvider.System, NullLogger<NewsBot.Core.Retention.RetentionService>.Instance)
            .PruneAsync(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(3, report.Articles);
        Assert.Equal(0, (await index.GetStatsAsync()).Chunks);
        var story = (await stories.GetStoryAsync("s1"))!;
        Assert.Equal(["Keller unveils pension reform", "Keller pension reform raises retirement age"], story.Articles.Select(a => a.Title));
        Assert.Equal(["Northern Ledger", "Harbor Herald"], story.Outlets);
        Assert.Equal(new HashSet<string> { "u1", "u2" }, await follows.GetKnownArticlesAsync("f1"));
        var cited = Assert.Single(await new SqliteConversationStore(db).GetRecentAsync("cli:c1", 5)).CitedArticleIds;
        Assert.Equal("https://news.test/u1", Assert.Single(await articles.GetArticlesAsync(cited)).Article.Url);
    }

    [Fact]
    public async Task Migrating_is_idempotent_and_a_newer_schema_is_refused()
    {
        CreateV1(new HashingEmbeddingGenerator());
        var first = new SqliteDatabase(_dir.Path);
        await (await first.OpenAsync()).DisposeAsync();
        var note = await first.GetMetaAsync("migration:2");
        SqliteConnection.ClearAllPools();
        var again = new SqliteDatabase(_dir.Path);
        await (await again.OpenAsync()).DisposeAsync();
        Assert.Equal(note, await again.GetMetaAsync("migration:2")); // not applied twice
        Assert.Equal(3, (await new SqliteArticleStore(again).GetCountsAsync()).Articles);

        await using (var conn = await again.OpenAsync())
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "PRAGMA user_version = 99";
            await cmd.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => new SqliteDatabase(_dir.Path).OpenAsync());
        Assert.Contains("newer NewsBot", ex.Message);
    }

    /// <summary>The v1 schema exactly as the first release created it.</summary>
    const string V1Schema = """
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
