using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;
using static NewsBot.UnitTests.Stories.StoryClustererTests;

namespace NewsBot.UnitTests.Stories;

/// <summary>The assigner against the real SQLite story store, with chosen vectors (no model).</summary>
public class StoryAssignerTests : IDisposable
{
    static readonly DateTimeOffset Day0 = new(2026, 6, 2, 9, 0, 0, TimeSpan.Zero);
    readonly TempDirectory _dir = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleStore _articles;
    readonly SqliteStoryStore _stories;
    readonly HashingEmbeddingGenerator _gen = new(16);
    readonly StoryAssigner _assigner;

    public StoryAssignerTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _articles = new SqliteArticleStore(_db);
        _stories = new SqliteStoryStore(_db, TimeProvider.System);
        _assigner = new StoryAssigner(_stories, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
            new Chunker(HeuristicTokenCounter.Instance), TestLog.For<StoryAssigner>());
    }

    public void Dispose() => _dir.Dispose();

    async Task<ArticleRecord> Save(string id, string title, string outlet, DateTimeOffset published, string body)
    {
        var a = new ArticleRecord
        {
            Article = new ArticleRef { Id = id, Url = "https://news.test/" + id, Title = title, Outlet = outlet, Published = published },
            SourceKey = "https://news.test/" + id, IngestedAt = published, ContentHash = Hashing.ContentHash(body + id), Kind = SourceKind.Page, ChunkCount = 1, Body = body,
        };
        await _articles.SaveArticleAsync(a);
        return a;
    }

    [Fact]
    public async Task Two_outlets_on_one_event_make_one_story_with_both_outlets()
    {
        var a = await Save("a", "Keller unveils pension reform", "Northern Ledger", Day0, "Chancellor Anna Keller told Parliament the retirement age rises to 67.");
        var b = await Save("b", "Unions call protest as Keller plans later retirement", "Harbor Herald", Day0.AddHours(2), "Unions oppose Anna Keller and the plan of Tomas Berg.");
        var c = await Save("c", "Harbor City marathon won in record time", "Coastal Times", Day0.AddHours(1), "Daniel Kiprop won the race in Harbor City.");
        await _assigner.AssignAsync(a, Vec(0, 1, 0.2f));
        await _assigner.AssignAsync(b, Vec(0, 2, 0.2f));
        await _assigner.AssignAsync(c, Vec(6));

        var story = await _stories.GetStoryOfArticleAsync("a");
        Assert.NotNull(story);
        Assert.Equal(["a", "b"], story!.Articles.Select(x => x.Id));
        Assert.Equal(["Northern Ledger", "Harbor Herald"], story.Outlets);
        Assert.Equal(Day0, story.FirstSeen);
        Assert.Equal(Day0.AddHours(2), story.LastSeen);
        var other = await _stories.GetStoryOfArticleAsync("c");
        Assert.NotEqual(story.Id, other!.Id);

        var listed = await _stories.ListStoriesAsync(Day0.AddHours(-1), null);
        Assert.Equal([story.Id, other.Id], listed.Select(s => s.Id)); // most outlets first
        Assert.Equal([story.Id], (await _stories.ListStoriesAsync(Day0.AddHours(-1), 1)).Select(s => s.Id));
        Assert.Empty(await _stories.ListStoriesAsync(Day0.AddDays(1), null));
    }

    [Fact]
    public async Task The_same_kind_of_event_another_year_or_place_is_a_separate_story()
    {
        var y2026 = await Save("f26", "Chiefs beat Eagles to win the final", "Metro Wire", Day0, "Kansas City Chiefs beat the Philadelphia Eagles.");
        var y2023 = await Save("f23", "Chiefs beat Eagles to win the final", "Metro Wire", Day0.AddYears(-3), "Kansas City Chiefs beat the Philadelphia Eagles.");
        var elsewhere = await Save("q2", "Earthquake shakes Crete", "Coastal Times", Day0, "An earthquake hit Heraklion in Greece.");
        var quake = await Save("q1", "Earthquake shakes central Italy", "Daily Courier", Day0, "An earthquake hit Norcia in Umbria, Italy.");
        await _assigner.AssignAsync(y2023, Vec(3));
        await _assigner.AssignAsync(y2026, Vec(3));
        await _assigner.AssignAsync(quake, Vec(0, 1, 0.5f));
        await _assigner.AssignAsync(elsewhere, Vec(0, 2, 0.6f));
        var ids = new[] { "f26", "f23", "q1", "q2" };
        var storyIds = new List<string>();
        foreach (var id in ids) storyIds.Add((await _stories.GetStoryOfArticleAsync(id))!.Id);
        Assert.Equal(4, storyIds.Distinct().Count());
    }

    [Fact]
    public async Task A_bridging_article_merges_two_stories_into_one()
    {
        var early = await Save("e", "Fischer leads in Harbor City count", "Harbor Herald", Day0, "Lena Fischer leads the count in Harbor City.");
        var late = await Save("l", "Brandt concedes to Fischer", "Daily Courier", Day0.AddDays(3.5), "Karl Brandt conceded to Lena Fischer.");
        await _assigner.AssignAsync(early, Vec(0, 1, 0.25f));
        await _assigner.AssignAsync(late, Vec(0, 2, 0.25f));
        Assert.NotEqual((await _stories.GetStoryOfArticleAsync("e"))!.Id, (await _stories.GetStoryOfArticleAsync("l"))!.Id);

        var bridge = await Save("x", "Fischer wins Harbor City as Brandt falls", "Northern Ledger", Day0.AddDays(1.75), "Lena Fischer beat Karl Brandt in Harbor City.");
        await _assigner.AssignAsync(bridge, Vec(0));

        var story = await _stories.GetStoryOfArticleAsync("x");
        Assert.Equal(["e", "x", "l"], story!.Articles.Select(a => a.Id));
        Assert.Single(await _stories.ListStoriesAsync(null, null));
        Assert.Equal(Day0, story.FirstSeen);
        Assert.Equal(Day0.AddDays(3.5), story.LastSeen);
    }

    [Fact]
    public async Task An_updated_article_moves_when_it_now_fits_another_story()
    {
        var a1 = await Save("a1", "Tram fares to rise", "Harbor Herald", Day0, "Petra Novak defended the Harbor City tram fare rise.");
        var a2 = await Save("a2", "Council backs tram fare rise", "Northern Ledger", Day0, "Petra Novak and the Harbor City council raise fares.");
        var b1 = await Save("b1", "Kiprop wins marathon", "Coastal Times", Day0, "Daniel Kiprop won the marathon.");
        await _assigner.AssignAsync(a1, Vec(0));
        await _assigner.AssignAsync(a2, Vec(0, 1, 0.2f));
        await _assigner.AssignAsync(b1, Vec(6));
        var fares = (await _stories.GetStoryOfArticleAsync("a2"))!.Id;
        Assert.Equal(fares, (await _stories.GetStoryOfArticleAsync("a1"))!.Id);

        // a2 is rewritten into a marathon report
        var rewritten = a2 with { Article = a2.Article with { Title = "Kiprop sets marathon record" }, Body = "Daniel Kiprop set a record in the Harbor City marathon." };
        await _articles.SaveArticleAsync(rewritten);
        await _assigner.AssignAsync(rewritten, Vec(6, 7, 0.2f));

        var marathon = await _stories.GetStoryOfArticleAsync("a2");
        Assert.Equal(["b1", "a2"], marathon!.Articles.Select(a => a.Id).Order().Reverse());
        var left = await _stories.GetStoryAsync(fares);
        Assert.Equal(["a1"], left!.Articles.Select(a => a.Id));
        Assert.Equal("Tram fares to rise", left.Title);
    }

    [Fact]
    public async Task An_updated_article_that_still_fits_stays_and_a_lone_one_keeps_its_story_id()
    {
        var a = await Save("a", "Tram fares to rise", "Harbor Herald", Day0, "Petra Novak defended the fare rise.");
        await _assigner.AssignAsync(a, Vec(0));
        var id = (await _stories.GetStoryOfArticleAsync("a"))!.Id;
        await _assigner.AssignAsync(a with { Body = a.Body + " Update: the vote passed." }, Vec(0, 1, 0.1f));
        Assert.Equal(id, (await _stories.GetStoryOfArticleAsync("a"))!.Id);
        Assert.Single(await _stories.ListStoriesAsync(null, null));
    }

    [Fact]
    public async Task A_file_whose_changed_content_gives_it_a_new_id_replaces_the_old_one_in_its_story()
    {
        var a = await Save("a", "Tram fares to rise", "Harbor Herald", Day0, "Petra Novak defended the fare rise.");
        var old = await Save("f-old", "Council backs fare rise", "Northern Ledger", Day0, "Petra Novak and the council raise fares.");
        await _assigner.AssignAsync(a, Vec(0));
        await _assigner.AssignAsync(old, Vec(0, 1, 0.2f));
        var story = (await _stories.GetStoryOfArticleAsync("a"))!.Id;
        Assert.Equal(story, (await _stories.GetStoryOfArticleAsync("f-old"))!.Id);

        await _articles.DeleteArticleAsync("f-old");
        var renewed = await Save("f-new", "Council backs fare rise", "Northern Ledger", Day0, "Petra Novak and the council raise fares to 2.90.");
        await _assigner.AssignAsync(renewed, Vec(0, 1, 0.25f), replacesArticleId: "f-old");

        Assert.Null(await _stories.GetMembershipAsync("f-old"));
        var after = await _stories.GetStoryAsync(story);
        Assert.Equal(["a", "f-new"], after!.Articles.Select(x => x.Id).Order());
        Assert.Equal(2, (await _stories.GetMembersAsync(story)).Count);
    }

    [Fact]
    public async Task Articles_without_a_story_are_assigned_later_and_rebuild_gives_the_same_stories()
    {
        await Save("p", "Keller unveils pension reform", "Northern Ledger", Day0, "Chancellor Anna Keller told Parliament the retirement age rises to 67 by 2035.");
        await Save("q", "Keller pension reform: retirement at 67", "Harbor Herald", Day0.AddHours(1), "Chancellor Anna Keller told Parliament the retirement age rises to 67 by 2035.");
        await Save("r", "Kiprop wins marathon", "Coastal Times", Day0, "Daniel Kiprop won the marathon in record time.");
        Assert.Equal((0, 3), await _stories.GetCountsAsync());

        Assert.Equal(3, await _assigner.AssignPendingAsync());
        Assert.Equal((2, 0), await _stories.GetCountsAsync());
        Assert.Equal(0, await _assigner.AssignPendingAsync());
        var before = (await _stories.ListStoriesAsync(null, null)).Select(s => (s.Id, string.Join(",", s.Articles.Select(a => a.Id)))).ToList();
        int calls = _gen.Calls;

        Assert.Equal(3, await _assigner.RebuildAsync());
        var after = (await _stories.ListStoriesAsync(null, null)).Select(s => (s.Id, string.Join(",", s.Articles.Select(a => a.Id)))).ToList();
        Assert.Equal(before, after);
        Assert.Equal(calls, _gen.Calls); // the stored vectors were reused
    }

    StoryAssigner NewAssigner(IStoryRepository repository) => new(repository, new StoryClusterer(new StoryOptions()), new Embedder(_gen, HashingEmbeddingGenerator.Profile(16)),
        new Chunker(HeuristicTokenCounter.Instance), NullLogger<StoryAssigner>.Instance);

    [Fact]
    public async Task A_story_another_process_wrote_is_seen_by_an_assigner_holding_the_stories_in_memory()
    {
        var a = await Save("a", "Keller unveils pension reform", "Northern Ledger", Day0, "Chancellor Anna Keller told Parliament the retirement age rises to 67.");
        var b = await Save("b", "Unions protest Keller pension plan", "Harbor Herald", Day0.AddHours(1), "Unions oppose Anna Keller and her pension plan.");
        var c = await Save("c", "Keller defends pension reform", "Coastal Times", Day0.AddHours(2), "Anna Keller defended the pension reform in Parliament.");
        await _assigner.AssignAsync(a, Vec(0, 1, 0.2f)); // this assigner now holds the story in memory

        // another process: its own database handle and assigner
        var otherDb = new SqliteDatabase(_dir.Path);
        await NewAssigner(new SqliteStoryStore(otherDb, TimeProvider.System)).AssignAsync(b, Vec(0, 2, 0.2f));
        await _assigner.AssignAsync(c, Vec(0, 3, 0.2f));

        var story = await _stories.GetStoryOfArticleAsync("c");
        Assert.Equal(["a", "b", "c"], story!.Articles.Select(x => x.Id));
        // the stored profile counts all three: the first assigner did not write over b from what it held
        var profile = Assert.Single(await _stories.GetActiveProfilesAsync(Day0.AddDays(-1), Day0.AddDays(1)));
        Assert.Equal(3, profile.Count);
        Assert.Equal(["anna", "keller"], profile.Entities.Where(kv => kv.Value == 3).Select(kv => kv.Key).Order());
    }

    [Fact]
    public async Task The_catch_up_writes_in_batches_the_same_stories_and_profiles_as_assigning_one_by_one()
    {
        var articles = new[]
        {
            (await Save("a1", "Tram fares to rise", "Harbor Herald", Day0, "Petra Novak defended the Harbor City tram fare rise."), Vec(0)),
            (await Save("b1", "Kiprop wins marathon", "Coastal Times", Day0.AddHours(1), "Daniel Kiprop won the Harbor City marathon."), Vec(6)),
            (await Save("a2", "Council backs tram fare rise", "Northern Ledger", Day0.AddHours(2), "Petra Novak and the Harbor City council raise fares."), Vec(0, 1, 0.2f)),
            (await Save("b2", "Kiprop breaks course record", "Daily Courier", Day0.AddHours(3), "Daniel Kiprop broke the record in Harbor City."), Vec(6, 7, 0.2f)),
            (await Save("a3", "Novak: fares rise in March", "Metro Wire", Day0.AddHours(4), "Petra Novak said the Harbor City fares rise in March."), Vec(0, 2, 0.2f)),
        };
        foreach (var (article, vector) in articles) await _assigner.AssignAsync(article, vector);
        var oneByOne = await Snapshot();
        Assert.Equal(2, oneByOne.Count);

        // a rebuild assigns them again as one catch-up batch (one transaction), from the stored features
        Assert.Equal(5, await _assigner.RebuildAsync());
        Assert.Equal(oneByOne, await Snapshot());
    }

    /// <summary>Each story's id, title, articles and stored profile (the sum's bits, counts, span).</summary>
    async Task<List<string>> Snapshot()
    {
        var result = new List<string>();
        foreach (var s in (await _stories.ListStoriesAsync(null, null)).OrderBy(s => s.Id, StringComparer.Ordinal))
        {
            var p = (await _stories.GetActiveProfilesAsync(s.FirstSeen, s.LastSeen)).Single(x => x.Id == s.Id);
            result.Add(string.Join("|", s.Id, s.Title, string.Join(",", s.Articles.Select(a => a.Id)), p.Count, p.First, p.Last,
                Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Sum.AsSpan())),
                string.Join(",", p.Entities.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + kv.Value))));
        }
        return result;
    }
}
