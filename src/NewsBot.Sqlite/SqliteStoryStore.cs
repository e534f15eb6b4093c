using System.Globalization;
using Microsoft.Data.Sqlite;
using NewsBot.Core.Model;
using NewsBot.Core.Stories;

namespace NewsBot.Sqlite;

/// <summary>
/// Stories in the embedded SQLite database, beside the articles (whichever index back end serves searches):
/// the story records and profiles the clusterer compares with, and each article's features and story.
/// </summary>
public sealed partial class SqliteStoryStore(SqliteDatabase db, TimeProvider time) : IStoryStore, IStoryRepository
{
    const string ModelKey = "stories_vector_model";
    const string FeatureColumns = "sa.article_id, sa.time_ms, sa.vector, sa.entities, sa.numbers, sa.title, sa.outlet";

    // ---- read side (IStoryStore) ----

    public async Task<Story?> GetStoryAsync(string storyId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        var stories = await ReadStoriesAsync(conn, "WHERE id = $id", c => c.With("$id", storyId), ct).ConfigureAwait(false);
        return stories.FirstOrDefault();
    }

    public async Task<Story?> GetStoryOfArticleAsync(string articleId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        // a duplicate (named by its source key or URL) is in its original's story
        await using var cmd = conn.Command("""
            SELECT story_id FROM story_articles WHERE article_id = $id AND story_id IS NOT NULL
            UNION ALL
            SELECT sa.story_id FROM duplicates d JOIN story_articles sa ON sa.article_id = d.duplicate_of
            WHERE (d.source_key = $id OR d.url = $id) AND sa.story_id IS NOT NULL
            LIMIT 1
            """).With("$id", articleId);
        var storyId = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        return storyId is null ? null : await GetStoryAsync(storyId, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Story>> ListStoriesAsync(DateTimeOffset? since, int? top, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        // a story's last_ms is its newest article's time: "an article in the window" is last_ms >= since
        return await ReadStoriesAsync(conn, "WHERE last_ms >= $since ORDER BY outlets DESC, articles DESC, last_ms DESC, id LIMIT $top",
            c => c.With("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue).With("$top", top is { } t ? Math.Max(0, t) : -1), ct).ConfigureAwait(false);
    }

    /// <summary>How many stories there are, and how many articles wait for one.</summary>
    public async Task<(long Stories, long Unassigned)> GetCountsAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            SELECT (SELECT COUNT(*) FROM stories),
                   (SELECT COUNT(*) FROM articles a LEFT JOIN story_articles sa ON sa.article_id = a.id WHERE sa.story_id IS NULL)
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return (r.GetInt64(0), r.GetInt64(1));
    }

    static async Task<IReadOnlyList<Story>> ReadStoriesAsync(SqliteConnection conn, string where, Action<SqliteCommand> bind, CancellationToken ct)
    {
        var heads = new List<(string Id, string Title, long First, long Last)>();
        await using (var cmd = conn.Command($"SELECT id, title, first_ms, last_ms FROM stories {where}"))
        {
            bind(cmd);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) heads.Add((r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        }
        var articles = new Dictionary<string, List<(ArticleRef Ref, long Time, long Seq)>>(StringComparer.Ordinal);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        // a story's pruned articles are read from their tombstones (retention), after its registered ones
        foreach (var (table, seq) in new[] { ("articles", "a.seq"), ("article_tombstones", "0") })
        foreach (var batch in heads.Select(h => h.Id).Chunk(400))
        {
            await using var cmd = conn.Command("");
            cmd.CommandText = $"""
                SELECT sa.story_id, a.id, a.title, a.outlet, a.author, a.published_ms, a.url, COALESCE(a.published_ms, a.ingested_ms), {seq}
                FROM story_articles sa JOIN {table} a ON a.id = sa.article_id
                WHERE sa.story_id IN ({string.Join(",", batch.Select((id, i) => { cmd.With("$s" + i, id); return "$s" + i; }))})
                """;
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var storyId = r.GetString(0);
                if (!listed.Add(r.GetString(1))) continue; // registered again after it was pruned
                if (!articles.TryGetValue(storyId, out var list)) articles[storyId] = list = [];
                list.Add((new ArticleRef
                {
                    Id = r.GetString(1),
                    Title = r.GetString(2),
                    Outlet = r.GetStringOrNull(3),
                    Author = r.GetStringOrNull(4),
                    Published = r.FromUnixMs(5),
                    Url = r.GetString(6),
                }, r.GetInt64(7), r.GetInt64(8)));
            }
        }
        var stories = new List<Story>(heads.Count);
        foreach (var h in heads)
        {
            if (!articles.TryGetValue(h.Id, out var list) || list.Count == 0) continue; // its articles were deleted
            var ordered = list.OrderBy(a => a.Time).ThenBy(a => a.Seq).Select(a => a.Ref).ToList();
            stories.Add(new Story
            {
                Id = h.Id,
                Title = h.Title,
                FirstSeen = DateTimeOffset.FromUnixTimeMilliseconds(h.First),
                LastSeen = DateTimeOffset.FromUnixTimeMilliseconds(h.Last),
                Articles = ordered,
                Outlets = [.. ordered.Select(a => a.Outlet).OfType<string>().Where(o => o.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)],
            });
        }
        return stories;
    }

    // ---- write side (IStoryRepository) ----

    public Task<string?> GetVectorModelAsync(CancellationToken ct = default) => db.GetMetaAsync(ModelKey, ct);

    public Task SetVectorModelAsync(string model, CancellationToken ct = default) => db.SetMetaAsync(ModelKey, model, ct);

    public async Task<(ArticleFeatures Features, string? StoryId)?> GetMembershipAsync(string articleId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT {FeatureColumns}, sa.story_id FROM story_articles sa WHERE sa.article_id = $id").With("$id", articleId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return (ReadFeatures(r, 0), r.GetStringOrNull(7));
    }

    public async Task<IReadOnlyList<StoryProfile>> GetActiveProfilesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        return ReadActiveProfiles(conn.Handle!, from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds());
    }

    /// <summary>
    /// Hand-written on SQLitePCL's statement API instead of a <see cref="SqliteDataReader"/>: the reader copies every blob
    /// into a new byte[] before the vector is decoded from it, which nearly doubled what a read of the active stories
    /// allocates (~490 profiles with 1.5 KB sums at 100k articles; the bench reads them 300 times, 504 MB, BENCHMARKS.md
    /// §2.1.3). Here the sum is decoded straight from SQLite's row buffer.
    /// </summary>
    static List<StoryProfile> ReadActiveProfiles(SQLitePCL.sqlite3 db, long from, long to)
    {
        var list = new List<StoryProfile>();
        int rc = SQLitePCL.raw.sqlite3_prepare_v2(db, "SELECT id, vector_sum, articles, entities, numbers, first_ms, last_ms FROM stories WHERE last_ms >= ?1 AND first_ms <= ?2", out var stmt);
        SqliteException.ThrowExceptionForRC(rc, db);
        using (stmt)
        {
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_bind_int64(stmt, 1, from), db);
            SqliteException.ThrowExceptionForRC(SQLitePCL.raw.sqlite3_bind_int64(stmt, 2, to), db);
            while ((rc = SQLitePCL.raw.sqlite3_step(stmt)) == SQLitePCL.raw.SQLITE_ROW)
            {
                string entities = SQLitePCL.raw.sqlite3_column_text(stmt, 3).utf8_to_string(), numbers = SQLitePCL.raw.sqlite3_column_text(stmt, 4).utf8_to_string();
                list.Add(StoryProfile.Restore(SQLitePCL.raw.sqlite3_column_text(stmt, 0).utf8_to_string(),
                    VectorCodec.DecodeDense(SQLitePCL.raw.sqlite3_column_blob(stmt, 1)),
                    SQLitePCL.raw.sqlite3_column_int(stmt, 2), () => ParseCounts(entities), () => ParseCounts(numbers),
                    DateTimeOffset.FromUnixTimeMilliseconds(SQLitePCL.raw.sqlite3_column_int64(stmt, 5)),
                    DateTimeOffset.FromUnixTimeMilliseconds(SQLitePCL.raw.sqlite3_column_int64(stmt, 6))));
            }
            if (rc != SQLitePCL.raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
        }
        return list;
    }

    public async Task<IReadOnlyList<ArticleFeatures>> GetMembersAsync(string storyId, CancellationToken ct = default)
    {
        var list = new List<ArticleFeatures>();
        await ForEachMemberAsync(storyId, list.Add, ct).ConfigureAwait(false);
        return list;
    }

    public async Task ForEachMemberAsync(string storyId, Action<ArticleFeatures> each, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command($"SELECT {FeatureColumns} FROM story_articles sa WHERE sa.story_id = $s ORDER BY sa.time_ms, sa.article_id").With("$s", storyId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) each(ReadFeatures(r, 0));
    }

    public async Task<IReadOnlyList<ArticleFeatures>> GetMembersFromAsync(string storyId, DateTimeOffset time, string articleId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        // a range of ix_story_articles_story_time (v5): what it reads grows with the members from that place on, not the story
        await using var cmd = conn.Command($"""
            SELECT {FeatureColumns} FROM story_articles sa
            WHERE sa.story_id = $s AND (sa.time_ms, sa.article_id) >= ($t, $id) ORDER BY sa.time_ms, sa.article_id
            """).With("$s", storyId).With("$t", time.ToUnixTimeMilliseconds()).With("$id", articleId);
        var list = new List<ArticleFeatures>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(ReadFeatures(r, 0));
        return list;
    }

    public async Task<string> SaveAsync(IReadOnlyList<StoryUpdate> updates, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // a story's record is written once per batch, at its last upsert (a later upsert or delete in the same
        // transaction would replace it): a catch-up page in which 200 articles join one large story writes its
        // record (sum, name counts) once, not 200 times
        var lastWrite = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < updates.Count; i++)
        {
            foreach (var id in updates[i].Deleted) lastWrite[id] = i;
            foreach (var s in updates[i].Upserts) lastWrite[s.Profile.Id] = i;
        }
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        // the statements are prepared once for the batch (a catch-up writes hundreds of assignments per transaction)
        await using var removeArticle = conn.Command("DELETE FROM story_articles WHERE article_id = $id", tx);
        await using var writeArticle = conn.Command("""
            INSERT OR REPLACE INTO story_articles(article_id, story_id, time_ms, vector, entities, numbers, title, outlet)
            VALUES($id, $s, $t, $v, $e, $n, $title, $outlet)
            """, tx);
        await using var deleteStory = conn.Command("DELETE FROM stories WHERE id = $id; UPDATE story_articles SET story_id = NULL WHERE story_id = $id", tx);
        await using var writeStory = conn.Command("""
            INSERT OR REPLACE INTO stories(id, title, first_ms, last_ms, articles, outlets, vector_sum, entities, numbers, updated_ms)
            VALUES($id, $title, $first, $last, $articles, $outlets, $sum, $e, $n, $now)
            """, tx);
        await using var move = conn.Command("UPDATE story_articles SET story_id = $s WHERE article_id = $a AND story_id IS NOT $s", tx);
        for (int i = 0; i < updates.Count; i++)
        {
            var update = updates[i];
            var a = update.Article;
            var target = update.Upserts.FirstOrDefault(s => s.Joined.Contains(a.ArticleId))?.Profile.Id
                ?? throw new ArgumentException("The update puts the article in no story.", nameof(updates));
            if (update.RemovedArticleId is { } removed)
                await Run(removeArticle, c => c.With("$id", removed), ct).ConfigureAwait(false);
            await Run(writeArticle, c => c.With("$id", a.ArticleId).With("$s", target).With("$t", a.Time.ToUnixTimeMilliseconds()).With("$v", VectorCodec.EncodeDense(a.Vector))
                .With("$e", string.Join('\n', a.Entities)).With("$n", string.Join('\n', a.Numbers)).With("$title", a.Title).With("$outlet", a.Outlet), ct).ConfigureAwait(false);
            foreach (var id in update.Deleted)
                await Run(deleteStory, c => c.With("$id", id), ct).ConfigureAwait(false);
            foreach (var s in update.Upserts)
            {
                var p = s.Profile;
                if (lastWrite[p.Id] == i)
                    await Run(writeStory, c => c.With("$id", p.Id).With("$title", s.Title).With("$first", p.First.ToUnixTimeMilliseconds()).With("$last", p.Last.ToUnixTimeMilliseconds())
                        .With("$articles", p.Count).With("$outlets", s.Outlets).With("$sum", VectorCodec.EncodeDense(p.Sum))
                        .With("$e", FormatCounts(p.Entities)).With("$n", FormatCounts(p.Numbers)).With("$now", now), ct).ConfigureAwait(false);
                // only the articles that join the story move (the assigned one was written with its story above)
                foreach (var member in s.Joined)
                    if (member != a.ArticleId)
                        await Run(move, c => c.With("$s", p.Id).With("$a", member), ct).ConfigureAwait(false);
            }
        }
        var version = await NewVersionAsync(conn, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return version;
    }

    static async Task Run(SqliteCommand cmd, Action<SqliteCommand> bind, CancellationToken ct)
    {
        cmd.Parameters.Clear();
        bind(cmd);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Changed by every write of stories, in the writing transaction. Whatever else writes the stories tables
    /// (a cleanup of old articles) must call <see cref="NewVersionAsync"/> in its transaction too, or an assigner
    /// holding stories in memory will not see the change.
    /// </summary>
    const string VersionKey = "stories_version";

    public Task<string?> GetStoriesVersionAsync(CancellationToken ct = default) => db.GetMetaAsync(VersionKey, ct);

    /// <summary>Marks the stories as changed (see <see cref="VersionKey"/>); returns the new version.</summary>
    public static async Task<string> NewVersionAsync(SqliteConnection conn, SqliteTransaction tx, CancellationToken ct)
    {
        var version = Guid.NewGuid().ToString("N");
        await using var cmd = conn.Command("INSERT OR REPLACE INTO meta(key, value) VALUES($k, $v)", tx).With("$k", VersionKey).With("$v", version);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return version;
    }

    public async Task ResetAsync(bool dropVectors, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = conn.Command((dropVectors ? "DELETE FROM stories; DELETE FROM story_articles;" : "DELETE FROM stories; UPDATE story_articles SET story_id = NULL;")
            + $" DELETE FROM meta WHERE key = '{CheckedKey}';", tx))
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await NewVersionAsync(conn, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Bulk load in one transaction: articles, their features and the stories holding them (as <see cref="SaveAsync"/>
    /// would leave them). For benchmarks at sizes where one transaction per article would take minutes.
    /// </summary>
    public async Task ImportAsync(IReadOnlyList<ArticleRecord> articles, IReadOnlyList<StoryState> stories, IReadOnlyDictionary<string, ArticleFeatures> features, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var a in articles) await SqliteArticleStore.WriteArticleAsync(conn, tx, a, null, ct).ConfigureAwait(false);
        await using var member = conn.Command("""
            INSERT OR REPLACE INTO story_articles(article_id, story_id, time_ms, vector, entities, numbers, title, outlet)
            VALUES($id, $s, $t, $v, $e, $n, $title, $outlet)
            """, tx);
        await using var story = conn.Command("""
            INSERT OR REPLACE INTO stories(id, title, first_ms, last_ms, articles, outlets, vector_sum, entities, numbers, updated_ms)
            VALUES($id, $title, $first, $last, $articles, $outlets, $sum, $e, $n, 0)
            """, tx);
        foreach (var s in stories)
        {
            var p = s.Profile;
            story.Parameters.Clear();
            story.With("$id", p.Id).With("$title", s.Title).With("$first", p.First.ToUnixTimeMilliseconds()).With("$last", p.Last.ToUnixTimeMilliseconds())
                .With("$articles", s.Joined.Count).With("$outlets", s.Outlets).With("$sum", VectorCodec.EncodeDense(p.Sum))
                .With("$e", FormatCounts(p.Entities)).With("$n", FormatCounts(p.Numbers));
            await story.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            foreach (var id in s.Joined)
            {
                var a = features[id];
                member.Parameters.Clear();
                member.With("$id", a.ArticleId).With("$s", p.Id).With("$t", a.Time.ToUnixTimeMilliseconds()).With("$v", VectorCodec.EncodeDense(a.Vector))
                    .With("$e", string.Join('\n', a.Entities)).With("$n", string.Join('\n', a.Numbers)).With("$title", a.Title).With("$outlet", a.Outlet);
                await member.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        await NewVersionAsync(conn, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    static ArticleFeatures ReadFeatures(SqliteDataReader r, int at) => new()
    {
        ArticleId = r.GetString(at),
        Time = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(at + 1)),
        Vector = VectorCodec.DecodeDense((byte[])r[at + 2]),
        Entities = SplitLines(r.GetString(at + 3)),
        Numbers = SplitLines(r.GetString(at + 4)),
        Title = r.GetString(at + 5),
        Outlet = r.GetStringOrNull(at + 6),
    };

    static string[] SplitLines(string s) => s.Length == 0 ? [] : s.Split('\n');

    /// <summary>"name\tcount" lines: compact, and read back without a JSON parser on the hot path.</summary>
    static string FormatCounts(Dictionary<string, int> counts)
        => string.Join('\n', counts.Select(kv => kv.Key + "\t" + kv.Value.ToString(CultureInfo.InvariantCulture)));

    static Dictionary<string, int> ParseCounts(string s)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        if (s.Length == 0) return d;
        foreach (var line in s.Split('\n'))
        {
            int tab = line.LastIndexOf('\t');
            if (tab > 0 && int.TryParse(line.AsSpan(tab + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) d[line[..tab]] = n;
        }
        return d;
    }
}
