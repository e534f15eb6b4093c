using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Stories;

/// <summary>
/// The catch-up of a store whose articles have no story yet (an upgrade, <c>stories rebuild</c>) against the real
/// SQLite story store: a story that grows one article at a time is extended, not rewritten, and the stories are the
/// same as when every story is recomputed from all its members.
/// </summary>
public class StoryCatchUpTests : IDisposable
{
    static readonly DateTimeOffset Day0 = new(2026, 6, 2, 9, 0, 0, TimeSpan.Zero);
    readonly TempDirectory _dir = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleStore _articles;
    readonly SqliteStoryStore _stories;
    readonly HashingEmbeddingGenerator _gen = new(16);

    public StoryCatchUpTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _articles = new SqliteArticleStore(_db);
        _stories = new SqliteStoryStore(_db, TimeProvider.System);
    }

    public void Dispose() => _dir.Dispose();

    StoryAssigner NewAssigner(IStoryRepository repository, bool incremental) => new(repository, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
        new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { Incremental = incremental };

    /// <summary>
    /// Articles of one long-running story (Keller's pension reform, two at a time with the same time, ids not in
    /// time order), a second story and unrelated singles; each with its title+lead vector stored
    /// by a first assignment, as ingestion leaves them.
    /// </summary>
    async Task<int> SeedAsync(int reform, int marathon, int singles, int minutesApart, int bridged = 0)
    {
        var assigner = NewAssigner(_stories, incremental: true);
        var saved = await SaveArticlesAsync(_articles, reform, marathon, singles, minutesApart, bridged);
        foreach (var (article, vector) in saved) await assigner.AssignAsync(article, vector);
        return saved.Count;
    }

    /// <summary>The articles of <see cref="SeedAsync"/>, saved without a story, in the order it assigns them.</summary>
    static async Task<List<(ArticleRecord Article, float[] Vector)>> SaveArticlesAsync(SqliteArticleStore articles, int reform, int marathon, int singles, int minutesApart, int bridged)
    {
        var saved = new List<(ArticleRecord Article, float[] Vector)>();
        async Task<(ArticleRecord, float[])> Save(string id, string title, string outlet, DateTimeOffset published, string body, float[] vector)
            => await SaveAsync(articles, id, title, outlet, published, body, vector);
        for (int i = 0; i < reform; i++)
            saved.Add(await Save($"r{i * 7919 % 100_003:D6}", $"Keller pension reform, part {i}", $"Outlet {i % 7}", Day0.AddMinutes(i / 2 * minutesApart),
                $"Chancellor Anna Keller told Parliament on day {i % 4} that the retirement age rises to 67.", Noisy(0, i)));
        for (int i = 0; i < marathon; i++)
            saved.Add(await Save($"m{i * 31 % 1009:D4}", $"Kiprop marathon report {i}", $"Outlet {i % 3}", Day0.AddMinutes(7 + i * 11),
                "Daniel Kiprop won the Harbor City marathon in record time.", Noisy(6, i)));
        for (int i = 0; i < singles; i++)
            saved.Add(await Save($"s{i:D4}", $"Unrelated item {i}", $"Outlet {i % 5}", Day0.AddMinutes(3 + i * 13),
                $"Person{i} Name{i} opened a bakery in Town{i}.", Noisy(8 + i % 8, i)));
        // two stories without names whose vectors are 42° apart (too far to join without a shared name), then an
        // article between them that fits both: they merge, and later articles join the merged story
        for (int i = 0; i < bridged; i++)
        {
            saved.Add(await Save($"x{i * 13 % 101:D3}", "harbour budget debate goes on", "Outlet x", Day0.AddMinutes(20 + i * 40), "the council argued over the harbour budget again.", Noisy(2, i)));
            saved.Add(await Save($"y{i * 17 % 103:D3}", "ferry strike talks go on", "Outlet y", Day0.AddMinutes(40 + i * 40), "the ferry crews and the port held more talks.", Between(0.9f, i)));
        }
        if (bridged > 0)
        {
            saved.Add(await Save("xbridge", "budget and ferry strike meet", "Outlet b", Day0.AddMinutes(30 + bridged * 40), "the ferry strike shaped the harbour budget.", Between(0.45f, 0)));
            for (int i = 0; i < bridged; i++)
                saved.Add(await Save($"z{i * 7 % 53:D3}", "harbour budget debate goes on", "Outlet z", Day0.AddMinutes(60 + (bridged + i) * 40), "the council argued over the harbour budget again.", Noisy(2, 500 + i)));
        }
        return saved;
    }

    static float[] Between(float toward4, int i)
    {
        var v = Noisy(2, 1000 + i);
        v[4] += toward4;
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>Near the axis, with noise in every component (so that adding the same vectors in another order gives other bits).</summary>
    static float[] Noisy(int axis, int i)
    {
        var rng = new Random(axis * 100_000 + i);
        var v = new float[16];
        for (int d = 0; d < v.Length; d++) v[d] = (float)(rng.NextDouble() * 0.08);
        v[axis] = 1;
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    static async Task<(ArticleRecord, float[])> SaveAsync(SqliteArticleStore articles, string id, string title, string outlet, DateTimeOffset published, string body, float[] vector)
    {
        var a = new ArticleRecord
        {
            Article = new ArticleRef { Id = id, Url = "https://news.test/" + id, Title = title, Outlet = outlet, Published = published },
            SourceKey = "https://news.test/" + id, IngestedAt = published, ContentHash = Hashing.ContentHash(body + id), Kind = SourceKind.Page, ChunkCount = 1, Body = body,
        };
        await articles.SaveArticleAsync(a);
        return (a, vector);
    }

    /// <summary>Every story record as stored (id, headline, span, counts, the sum's bytes, name and number counts) and every membership.</summary>
    async Task<List<string>> StoredAsync(SqliteDatabase? db = null)
    {
        var rows = new List<string>();
        await using var conn = await (db ?? _db).OpenAsync();
        await using (var cmd = conn.Command("SELECT id, title, first_ms, last_ms, articles, outlets, hex(vector_sum), entities, numbers FROM stories ORDER BY id"))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync())
                // the name and number counts as sets: an article that joins among same-time members adds its new names
                // after the others (their order in the record carries nothing: it is read back into a dictionary)
                rows.Add(string.Join("|", Enumerable.Range(0, 9).Select(i => i >= 7 ? string.Join(",", r.GetString(i).Split('\n').Order(StringComparer.Ordinal)) : r.GetValue(i).ToString())));
        await using (var cmd = conn.Command("SELECT article_id, story_id FROM story_articles ORDER BY article_id"))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync())
                rows.Add(r.GetString(0) + "→" + r.GetString(1));
        return rows;
    }

    [Fact]
    public async Task The_catch_up_extending_stories_gives_bit_for_bit_the_stories_of_recomputing_each_from_all_its_members()
    {
        // the story runs over 12 days: the catch-up moves its range of held stories on twice (a range is 12 days)
        int n = await SeedAsync(reform: 300, marathon: 40, singles: 30, minutesApart: 120, bridged: 12);

        Assert.Equal(n, await NewAssigner(_stories, incremental: false).RebuildAsync());
        var recomputed = await StoredAsync();
        Assert.Equal(n, await NewAssigner(_stories, incremental: true).RebuildAsync());
        var extended = await StoredAsync();

        Assert.Equal(recomputed, extended);
        // what the comparison covers: a story past the headline election's 50 candidates, and more than one page of 256
        var big = await _stories.GetStoryOfArticleAsync("r000000");
        Assert.Equal(300, big!.Articles.Count);
        Assert.Equal(7, big.Outlets.Count);
        Assert.Equal(40, (await _stories.GetStoryOfArticleAsync("m0000"))!.Articles.Count);
        // and a merge: both stories and the bridge, then the articles after it
        Assert.Equal(12 * 3 + 1, (await _stories.GetStoryOfArticleAsync("xbridge"))!.Articles.Count);
    }

    [Fact]
    public async Task A_catch_up_page_writes_the_articles_that_join_a_large_story_not_the_story_s_other_members()
    {
        // over 14 days: the range of held stories moves on at least once
        int n = await SeedAsync(reform: 700, marathon: 0, singles: 0, minutesApart: 60);
        // count the rows SQLite writes (a trigger fires for each row an INSERT or UPDATE writes, changed or not)
        await using (var conn = await _db.OpenAsync())
        await using (var cmd = conn.Command("""
            CREATE TABLE writes(tbl TEXT PRIMARY KEY, n INTEGER NOT NULL);
            INSERT INTO writes VALUES('stories', 0), ('story_articles', 0);
            CREATE TRIGGER w1 AFTER INSERT ON stories BEGIN UPDATE writes SET n = n + 1 WHERE tbl = 'stories'; END;
            CREATE TRIGGER w2 AFTER UPDATE ON stories BEGIN UPDATE writes SET n = n + 1 WHERE tbl = 'stories'; END;
            CREATE TRIGGER w3 AFTER INSERT ON story_articles BEGIN UPDATE writes SET n = n + 1 WHERE tbl = 'story_articles'; END;
            CREATE TRIGGER w4 AFTER UPDATE ON story_articles BEGIN UPDATE writes SET n = n + 1 WHERE tbl = 'story_articles'; END;
            """))
            await cmd.ExecuteNonQueryAsync();
        var counting = new CountingRepository(_stories);

        // the rebuild clears the stories (one UPDATE of every membership) and catches up 700 articles in 3 pages
        Assert.Equal(n, await NewAssigner(counting, incremental: true).RebuildAsync());

        var story = await _stories.GetStoryOfArticleAsync("r000000");
        Assert.Equal(700, story!.Articles.Count);
        await using (var conn = await _db.OpenAsync())
        await using (var cmd = conn.Command("SELECT n FROM writes ORDER BY tbl"))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            await r.ReadAsync();
            // one record per batch for the one story (recomputing it for every article wrote it 700 times); a batch
            // ends at each page of 256 and where the range of held stories moves on
            Assert.InRange(counting.Saves, 4, 10);
            Assert.Equal(counting.Saves, r.GetInt64(0));
            await r.ReadAsync();
            // 700 memberships cleared by the reset, then each article's own row once
            Assert.InRange(r.GetInt64(0), 1400, 1400);
        }
        // what crossed to the store: each article named once as joining (naming the story's members each time: ~245,000)
        Assert.Equal(700, counting.JoinedNamed);
        // the story is built here and stays held as the range moves on: its members are never read back
        Assert.Equal(0, counting.MembersRead);
        Assert.Equal(2, counting.UnassignedListings); // one listing of 700 keys, and the empty one that ends the catch-up
    }

    [Fact]
    public async Task A_running_assigner_holds_at_most_its_limit_of_members_and_assigns_bit_for_bit_as_one_that_holds_them_all()
    {
        // one assignment at a time, as the worker assigns, into two equal stores: one assigner keeps every member it
        // read (what a worker did for hours: every member of every active story), one at most 64
        using var otherDir = new TempDirectory();
        var otherDb = new SqliteDatabase(otherDir.Path);
        var otherStories = new SqliteStoryStore(otherDb, TimeProvider.System);
        var counting = new CountingRepository(_stories);
        var limited = new StoryAssigner(counting, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { HeldMembersLimit = 64 };
        var unlimited = new StoryAssigner(otherStories, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { HeldMembersLimit = int.MaxValue };
        // the long story (300 articles, two of each time) over 12 days, a second story, singles, two stories and their merge
        var saved = await SaveArticlesAsync(_articles, reform: 300, marathon: 40, singles: 30, minutesApart: 120, bridged: 12);
        var savedOther = await SaveArticlesAsync(new SqliteArticleStore(otherDb), reform: 300, marathon: 40, singles: 30, minutesApart: 120, bridged: 12);
        int mostHeld = 0;
        for (int i = 0; i < saved.Count; i++)
        {
            await limited.AssignAsync(saved[i].Article, saved[i].Vector);
            Assert.InRange(limited.HeldMembers, 0, 64);
            await unlimited.AssignAsync(savedOther[i].Article, savedOther[i].Vector);
            mostHeld = Math.Max(mostHeld, unlimited.HeldMembers);
        }

        Assert.Equal(await StoredAsync(otherDb), await StoredAsync());
        Assert.Equal(300, (await _stories.GetStoryOfArticleAsync("r000000"))!.Articles.Count);
        Assert.Equal(12 * 3 + 1, (await _stories.GetStoryOfArticleAsync("xbridge"))!.Articles.Count);
        Assert.True(mostHeld >= 300, $"the unlimited assigner held {mostHeld} members");
        // the long story's articles joined it without its members being read again each time (300 × 150 for two a time)
        Assert.InRange(counting.MembersRead, 0, 3_000);
    }

    [Fact]
    public async Task A_large_story_is_joined_without_its_members_held_and_late_articles_read_only_the_members_from_their_place_on_bit_for_bit()
    {
        // a worker's poll lists the newest entries first: articles older than a large story's newest member join it.
        // One assigner lets the members go after each assignment (at most 64 held), one holds them all and computes the
        // story from all its members for each article; both stores must be the same, bit for bit, after each one
        using var otherDir = new TempDirectory();
        var otherDb = new SqliteDatabase(otherDir.Path);
        var otherStories = new SqliteStoryStore(otherDb, TimeProvider.System);
        var otherArticles = new SqliteArticleStore(otherDb);
        var counting = new CountingRepository(_stories);
        var unlimited = new StoryAssigner(otherStories, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { HeldMembersLimit = int.MaxValue, Incremental = false };
        // the long story: 800 articles, two of each time, ten minutes apart (400 times over 66 hours)
        var saved = await SaveArticlesAsync(_articles, reform: 800, marathon: 0, singles: 0, minutesApart: 10, bridged: 0);
        var savedOther = await SaveArticlesAsync(otherArticles, reform: 800, marathon: 0, singles: 0, minutesApart: 10, bridged: 0);
        var first = new StoryAssigner(_stories, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance);
        for (int i = 0; i < saved.Count; i++)
        {
            await first.AssignAsync(saved[i].Article, saved[i].Vector);
            await unlimited.AssignAsync(savedOther[i].Article, savedOther[i].Vector);
        }
        // a worker started on that store: the story is not held, and is large enough (here, from 256 articles) for its
        // first join to sum it from its members streamed, none of them held
        var limited = new StoryAssigner(counting, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { HeldMembersLimit = 64, StreamMembersFrom = 256 };

        // then, in turns: a late article among the last ~60 members, on both sides of the kept sum of the first 768
        // (some at a time members already have, so it goes in among them by id), and a new newest one (every other one at the newest time, so that it joins by the sum
        // before that time, which the late article changed); one late article among the first members (all are read)
        var late = new List<(string Id, DateTimeOffset Time)>();
        for (int i = 0; i < 12; i++)
        {
            var minutes = 3990 - (i * 37 % 300);
            late.Add(($"late{i * 7919 % 1000:D3}", Day0.AddMinutes(i % 3 == 0 ? minutes / 10 * 10 : minutes)));
            late.Add(($"new{i * 37 % 100:D3}", Day0.AddMinutes(4000 + i / 2 * 10))); // two a time: the second goes in among the newest
        }
        late.Add(("late-early", Day0.AddMinutes(55)));
        late.Add(("new-last", Day0.AddMinutes(5000)));
        int n = 0;
        foreach (var (id, time) in late)
        {
            var title = $"Keller pension reform, update {n}";
            var body = $"Chancellor Anna Keller told Parliament on day {n % 4} that the retirement age rises to 67.";
            var (a, v) = await SaveAsync(_articles, id, title, $"Outlet {n % 9}", time, body, Noisy(0, 9000 + n));
            var (b, w) = await SaveAsync(otherArticles, id, title, $"Outlet {n % 9}", time, body, Noisy(0, 9000 + n));
            n++;
            await limited.AssignAsync(a, v);
            Assert.InRange(limited.HeldMembers, 0, 64);
            await unlimited.AssignAsync(b, w);
            // after each one: a later full recomputation (the early article's) would otherwise hide an earlier error
            Assert.Equal(await StoredAsync(otherDb), await StoredAsync());
        }

        Assert.Equal(800 + late.Count, (await _stories.GetStoryOfArticleAsync("r000000"))!.Articles.Count);
        // each of the 12 late articles read the members from the last kept sum before it (at most 512 on: 300 and the
        // new ones), the early one all of them; reading every member for each late article would be 12 × 812 and more
        Assert.Equal(800, counting.MembersStreamed); // once, at the first join
        Assert.InRange(counting.MembersRead, 1, 12 * (300 + 12) + 850);
    }

    [Fact]
    public async Task A_catch_up_holds_at_most_its_limit_of_members_between_pages_and_assigns_bit_for_bit_as_one_that_holds_them_all()
    {
        // two equal stores of articles without a story (an upgrade from before stories): one caught up by an assigner
        // that may hold 64 members, one by an assigner that holds every member it reads (what a catch-up did: a
        // worker catching up a 1M store held 2.3 GB)
        using var otherDir = new TempDirectory();
        var otherDb = new SqliteDatabase(otherDir.Path);
        var otherStories = new SqliteStoryStore(otherDb, TimeProvider.System);
        StoryAssigner? limited = null;
        var heldAtEachPage = new List<int>();
        var counting = new CountingRepository(_stories) { OnPage = () => heldAtEachPage.Add(limited!.HeldMembers) };
        limited = new StoryAssigner(counting, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { HeldMembersLimit = 64 };
        var unlimited = new StoryAssigner(otherStories, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance) { HeldMembersLimit = int.MaxValue };
        // the long story (600 articles, two of each time) over 12 days, a second story, singles, two stories and their merge
        var saved = await SaveArticlesAsync(_articles, reform: 600, marathon: 40, singles: 30, minutesApart: 60, bridged: 12);
        await SaveArticlesAsync(new SqliteArticleStore(otherDb), reform: 600, marathon: 40, singles: 30, minutesApart: 60, bridged: 12);

        Assert.Equal(saved.Count, await limited.AssignPendingAsync());
        Assert.Equal(saved.Count, await unlimited.AssignPendingAsync());

        Assert.Equal(await StoredAsync(otherDb), await StoredAsync());
        Assert.Equal(600, (await _stories.GetStoryOfArticleAsync("r000000"))!.Articles.Count);
        // 718 articles: three pages of 256; before the second and the third, at most 64 members held
        Assert.Equal(3, heldAtEachPage.Count);
        Assert.All(heldAtEachPage, held => Assert.InRange(held, 0, 64));
        // the long story's articles joined it by its summed state, without its members being read again for each
        Assert.InRange(counting.MembersRead, 0, 3_000);
    }

    /// <summary>The real store, counting what the assigner asks of it and hands it.</summary>
    sealed class CountingRepository(IStoryRepository inner) : IStoryRepository
    {
        public int JoinedNamed, Saves, MembersRead, MembersStreamed, UnassignedListings;
        /// <summary>Called as each page of a catch-up is read.</summary>
        public Action? OnPage { get; init; }

        public Task<string?> GetVectorModelAsync(CancellationToken ct = default) => inner.GetVectorModelAsync(ct);
        public Task SetVectorModelAsync(string model, CancellationToken ct = default) => inner.SetVectorModelAsync(model, ct);
        public Task<(ArticleFeatures Features, string? StoryId)?> GetMembershipAsync(string articleId, CancellationToken ct = default) => inner.GetMembershipAsync(articleId, ct);
        public Task<IReadOnlyList<StoryProfile>> GetActiveProfilesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default) => inner.GetActiveProfilesAsync(from, to, ct);

        public async Task<IReadOnlyList<ArticleFeatures>> GetMembersAsync(string storyId, CancellationToken ct = default)
        {
            var members = await inner.GetMembersAsync(storyId, ct);
            MembersRead += members.Count;
            return members;
        }

        public Task ForEachMemberAsync(string storyId, Action<ArticleFeatures> each, CancellationToken ct = default)
            => inner.ForEachMemberAsync(storyId, m => { MembersStreamed++; each(m); }, ct);

        public async Task<IReadOnlyList<ArticleFeatures>> GetMembersFromAsync(string storyId, DateTimeOffset time, string articleId, CancellationToken ct = default)
        {
            var members = await inner.GetMembersFromAsync(storyId, time, articleId, ct);
            MembersRead += members.Count;
            return members;
        }

        public Task<string> SaveAsync(IReadOnlyList<StoryUpdate> updates, CancellationToken ct = default)
        {
            Saves++;
            JoinedNamed += updates.Sum(u => u.Upserts.Sum(s => s.Joined.Count));
            return inner.SaveAsync(updates, ct);
        }

        public Task<string?> GetStoriesVersionAsync(CancellationToken ct = default) => inner.GetStoriesVersionAsync(ct);

        public Task<IReadOnlyList<long>> ListUnassignedAsync(CancellationToken ct = default)
        {
            UnassignedListings++;
            return inner.ListUnassignedAsync(ct);
        }

        public Task<IReadOnlyList<UnassignedArticle>> ReadUnassignedAsync(string model, IReadOnlyList<long> keys, CancellationToken ct = default)
        {
            OnPage?.Invoke();
            return inner.ReadUnassignedAsync(model, keys, ct);
        }
        public Task ResetAsync(bool dropVectors, CancellationToken ct = default) => inner.ResetAsync(dropVectors, ct);
    }
}
