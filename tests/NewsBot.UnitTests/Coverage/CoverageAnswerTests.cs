using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Answering;
using NewsBot.Core.Coverage;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Coverage;

/// <summary>
/// Coverage questions through the answer service, over a real SQLite store with articles written for these tests, a
/// hashing stand-in embedder and the <see cref="LabelledStoryStore"/> test double grouping them into stories by name.
/// </summary>
public class CoverageAnswerTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly SqliteDatabase _db;
    readonly SqliteArticleIndex _index;
    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));
    readonly FakeArticleSource _source = new();

    public CoverageAnswerTests()
    {
        _db = new SqliteDatabase(_dir.Path);
        _index = new SqliteArticleIndex(_db);
    }

    public void Dispose()
    {
        _index.Dispose();
        _dir.Dispose();
    }

    static DateTimeOffset At(int day, int hour, int minute = 0) => new(2026, 11, day, hour, minute, 0, TimeSpan.Zero);

    void Add(string key, string url, string title, string outlet, DateTimeOffset? published, params string[] paragraphs)
        => _source.Add(key, new ExtractedArticle(url, url, title, null, outlet, published, paragraphs, SourceKind.Page));

    async Task Seed()
    {
        // story "tarnow": three outlets, the Ledger first; they differ on the injured (12 / about 20) and the cost (4 / 6 million)
        Add("wire", "https://wire.test/tarnow-blaze", "Blaze guts Tarnow warehouse, about 20 hurt", "Valley Wire", At(25, 10),
            "About 20 people were injured when fire swept through a furniture warehouse in Tarnow on Monday night.",
            "The owner put the cost of the repairs at 6 million euros.",
            "The mayor ordered nearby schools closed while smoke hung over the eastern district.");
        Add("ledger", "https://ledger.test/tarnow-fire", "Warehouse fire in Tarnow injures twelve", "Northern Ledger", At(25, 7, 30),
            "Twelve people were injured in the Tarnow warehouse fire, police said on Tuesday morning.",
            "Repairs to the depot will cost 4 million euros, according to the company.",
            "Investigators believe the fire started in a paint store beside the loading bay.");
        Add("crier", "https://crier.test/tarnow-smoke", "Tarnow fire: residents told to keep windows shut", "Town Crier", At(26, 9),
            "Residents of Tarnow were told to keep their windows shut after the warehouse fire on Monday.",
            "Twelve people were injured in the fire, the regional hospital confirmed.",
            "A volunteer brigade from Debica helped the city's firefighters through the night.");
        // story "lodz": another warehouse fire, another story
        Add("post", "https://post.test/lodz-fire", "Fire at Lodz warehouse", "Daily Post", At(20, 8),
            "A fire damaged a textile warehouse in Lodz on Thursday, injuring three workers.",
            "Firefighters needed four hours to bring the blaze under control.");
        // story "chess": a single outlet
        Add("chess", "https://games.test/chess-open", "Young champion wins Riga chess open", "Board Weekly", At(24, 12),
            "A 16-year-old from Riga won the city chess open after a tense final round.",
            "She beat the defending champion with the black pieces in 41 moves.");
        var pipeline = new IngestionPipeline(_source, new SqliteArticleStore(_db), _index, new SqliteFeedStore(_db), _embedder,
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System, TestLog.For<IngestionPipeline>());
        await foreach (var _ in pipeline.IngestAsync(["wire", "ledger", "crier", "post", "chess"])) { }
    }

    AnswerService Service(ILlmAnswerer? llm = null, bool withStories = true)
    {
        var options = new AnsweringOptions { MinRelevance = 0.3 };
        var retriever = new Retriever(_index, _index, _embedder, LexicalEncoder.Default, new RetrievalOptions(), TimeProvider.System);
        var articles = new SqliteArticleStore(_db);
        var coverage = withStories
            ? new CoverageAnswerer(retriever, new LabelledStoryStore(articles), articles, options, TestLog.For<CoverageAnswerer>(), llm as ICoverageComparer)
            : null;
        return new AnswerService(retriever, new ExtractiveAnswerer(_embedder), new SqliteConversationStore(_db), options, TimeProvider.System,
            TestLog.For<AnswerService>(), llm, articles, coverage);
    }

    /// <summary>The citation numbers that follow <paramref name="text"/> in the answer.</summary>
    static int CitationAfter(string answer, string text)
    {
        int at = answer.IndexOf(text, StringComparison.Ordinal);
        Assert.True(at >= 0, $"“{text}” not in: {answer}");
        return int.Parse(Regex.Match(answer[(at + text.Length)..], @"\[(\d+)\]").Groups[1].Value);
    }

    static void AssertEveryCitationUsed(AnswerResult r)
    {
        var used = Regex.Matches(r.Answer, @"\[(\d+)\]").Select(m => int.Parse(m.Groups[1].Value)).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(1, r.Citations.Count), used);
        Assert.Equal(r.Citations.Count, r.Citations.Select(c => c.Article.Id).Distinct().Count());
    }

    [Fact]
    public async Task Which_outlets_names_every_outlet_of_the_story_each_cited_with_its_article_and_nothing_else()
    {
        await Seed();
        var r = await Service().AnswerAsync(new AnswerRequest { Question = "Which outlets reported the warehouse fire in Tarnow?" });
        Assert.False(r.Refused, r.Answer);
        Assert.Equal(["https://crier.test/tarnow-smoke", "https://ledger.test/tarnow-fire", "https://wire.test/tarnow-blaze"], r.Citations.Select(c => c.Article.Url).Order());
        foreach (var c in r.Citations)
            Assert.Equal(c.N, CitationAfter(r.Answer, c.Article.Outlet + ": "));
        Assert.DoesNotContain("Daily Post", r.Answer);
        AssertEveryCitationUsed(r);
        Assert.Equal("story-tarnow", r.Story?.StoryId);
        Assert.Equal(CoverageKind.Outlets, r.Story?.Kind);
        Assert.StartsWith("3 outlets covered this story", r.Answer);
    }

    [Fact]
    public async Task Who_reported_it_first_names_the_earliest_outlet_by_publication_time_and_cites_it()
    {
        await Seed();
        var r = await Service().AnswerAsync(new AnswerRequest { Question = "Who reported the Tarnow warehouse fire first?" });
        Assert.StartsWith("Northern Ledger reported it first, on 25 November 2026 at 07:30 [1]", r.Answer);
        Assert.Equal("https://ledger.test/tarnow-fire", r.Citations[0].Article.Url);
        // then the others, in order, each cited to its own article
        Assert.True(r.Answer.IndexOf("Valley Wire", StringComparison.Ordinal) < r.Answer.IndexOf("Town Crier", StringComparison.Ordinal), r.Answer);
        Assert.Equal("https://wire.test/tarnow-blaze", r.Citations[CitationAfter(r.Answer, "Valley Wire on 25 November 2026 at 10:00 ") - 1].Article.Url);
        AssertEveryCitationUsed(r);
    }

    [Fact]
    public async Task Differing_numbers_are_each_cited_to_their_own_outlet()
    {
        await Seed();
        var r = await Service().AnswerAsync(new AnswerRequest { Question = "How do the accounts of the Tarnow warehouse fire differ?" });
        Assert.Equal(AnswerMode.Extractive, r.Mode);
        Assert.Contains("Figures that differ", r.Answer);
        Assert.Contains("Northern Ledger says twelve: “", r.Answer);
        Assert.Contains("Valley Wire says about 20: “", r.Answer);
        var ledger = r.Citations[CitationAfter(r.Answer, "Twelve people were injured in the Tarnow warehouse fire, police said on Tuesday morning.”") - 1];
        Assert.Equal("Northern Ledger", ledger.Article.Outlet);
        var wire = r.Citations[CitationAfter(r.Answer, "About 20 people were injured") - 1];
        Assert.Equal("Valley Wire", wire.Article.Outlet);
        Assert.Equal("Valley Wire", r.Citations[CitationAfter(r.Answer, "6 million euros.”") - 1].Article.Outlet);
        Assert.Equal("Northern Ledger", r.Citations[CitationAfter(r.Answer, "4 million euros, according to the company.”") - 1].Article.Outlet);
        // what only one outlet has, cited to it
        Assert.Equal("Northern Ledger", r.Citations[CitationAfter(r.Answer, "paint store beside the loading bay.”") - 1].Article.Outlet);
        Assert.DoesNotContain("Lodz", r.Answer);
        Assert.Contains("About 20 people were injured", wire.Snippet);
        AssertEveryCitationUsed(r);
    }

    [Fact]
    public async Task What_one_outlet_says_that_another_does_not_compares_only_those_two()
    {
        await Seed();
        var r = await Service().AnswerAsync(new AnswerRequest { Question = "What does Town Crier say about the Tarnow fire that Valley Wire doesn't?" });
        Assert.StartsWith("What Town Crier reports that Valley Wire does not:", r.Answer);
        // the outlet asked about comes first where they disagree
        Assert.Contains("- Town Crier says twelve: “", r.Answer);
        Assert.Equal("Town Crier", r.Citations[CitationAfter(r.Answer, "Debica") - 1].Article.Outlet);
        Assert.DoesNotContain(r.Citations, c => c.Article.Outlet == "Northern Ledger");
        AssertEveryCitationUsed(r);
    }

    [Fact]
    public async Task A_story_only_one_outlet_covered_says_so()
    {
        await Seed();
        var outlets = await Service().AnswerAsync(new AnswerRequest { Question = "Which sites covered the Riga chess open?" });
        Assert.StartsWith("Only Board Weekly covered this story", outlets.Answer);
        Assert.Equal("https://games.test/chess-open", Assert.Single(outlets.Citations).Article.Url);
        var differ = await Service().AnswerAsync(new AnswerRequest { Question = "How do the reports of the Riga chess open differ?" });
        Assert.StartsWith("Only Board Weekly covered this story, so there are no other accounts to compare", differ.Answer);
        Assert.Single(differ.Citations);
    }

    [Fact]
    public async Task Accounts_that_agree_are_said_to_agree_citing_each_outlet()
    {
        Add("bridge1", "https://ledger.test/bridge-open", "Vistula bridge opens", "Northern Ledger", At(27, 8),
            "The new Vistula bridge opened to traffic on Saturday after two years of work.",
            "The bridge cost 30 million euros to build.");
        Add("bridge2", "https://wire.test/bridge-opening", "Traffic crosses new Vistula bridge", "Valley Wire", At(27, 11),
            "After two years of work the new Vistula bridge opened to traffic on Saturday.",
            "Building the bridge cost 30 million euros.");
        var pipeline = new IngestionPipeline(_source, new SqliteArticleStore(_db), _index, new SqliteFeedStore(_db), _embedder,
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System, TestLog.For<IngestionPipeline>());
        await foreach (var _ in pipeline.IngestAsync(["bridge1", "bridge2"])) { }
        var r = await Service().AnswerAsync(new AnswerRequest { Question = "Where do the outlets disagree about the new Vistula bridge?" });
        Assert.StartsWith("I found no figures that differ and nothing one outlet reports that the others lack", r.Answer);
        Assert.Equal(["Northern Ledger", "Valley Wire"], r.Citations.Select(c => c.Article.Outlet));
        Assert.Equal(1, CitationAfter(r.Answer, "Northern Ledger "));
        Assert.Equal(2, CitationAfter(r.Answer, "Valley Wire "));
    }

    [Fact]
    public async Task Follow_ups_refer_to_the_story_of_the_previous_answers_articles()
    {
        await Seed();
        var service = Service();
        var first = await service.AnswerAsync(new AnswerRequest { Question = "Where did the fire in Tarnow start?", ConversationId = "c1" });
        Assert.False(first.Refused, first.Answer);
        Assert.DoesNotContain(first.Citations, c => c.Article.Url.Contains("lodz"));

        var who = await service.AnswerAsync(new AnswerRequest { Question = "and who reported it first?", ConversationId = "c1" });
        Assert.StartsWith("Northern Ledger reported it first", who.Answer);
        Assert.Equal("story-tarnow", who.Story?.StoryId);

        var when = await service.AnswerAsync(new AnswerRequest { Question = "When did Town Crier first report it?", ConversationId = "c1" });
        Assert.StartsWith("Town Crier first reported it on 26 November 2026 at 09:00 [1]", when.Answer);
        Assert.Equal("Northern Ledger", when.Citations[CitationAfter(when.Answer, "Northern Ledger had it first, on 25 November 2026 at 07:30 ") - 1].Article.Outlet);

        var differ = await service.AnswerAsync(new AnswerRequest { Question = "How do their accounts differ?", ConversationId = "c1" });
        Assert.Contains("Figures that differ", differ.Answer);
        Assert.Equal(3, differ.Story?.Outlets.Count);
    }

    [Fact]
    public async Task Without_a_story_store_or_a_matching_story_the_question_is_answered_as_usual()
    {
        await Seed();
        var plain = await Service(withStories: false).AnswerAsync(new AnswerRequest { Question = "Which outlets reported the warehouse fire in Tarnow?" });
        Assert.Null(plain.Story);
        // nothing in the news is about it: refused as any other question
        var none = await Service().AnswerAsync(new AnswerRequest { Question = "Which outlets reported the Brazilian central bank interest rate decision?" });
        Assert.True(none.Refused, none.Answer);
        Assert.Null(none.Story);
        // a named "outlet" NewsBot does not know is no coverage question
        var ministry = await Service().AnswerAsync(new AnswerRequest { Question = "When did the regional hospital first report the injured in Tarnow?" });
        Assert.Null(ministry.Story);
        // with no conversation, "it" is nothing to look up
        var alone = await Service().AnswerAsync(new AnswerRequest { Question = "who had it first?" });
        Assert.Null(alone.Story);
    }
}
