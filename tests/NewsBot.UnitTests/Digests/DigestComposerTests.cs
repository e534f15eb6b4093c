using NewsBot.Core.Digests;

namespace NewsBot.UnitTests.Digests;

public class DigestComposerTests : IDisposable
{
    readonly StoryWorld _world = new();
    static readonly DateTimeOffset Now = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);

    public void Dispose() => _world.Dispose();

    DigestRequest Last24h(int top = 5, KeywordFilter? filter = null)
        => new() { Since = Now.AddHours(-24), Until = Now, Top = top, Filter = filter ?? KeywordFilter.None };

    async Task BridgeStoryAsync()
    {
        await _world.AddAsync("bridge", "b1", "Valley Wire", Now.AddHours(-5), "Harbour bridge closed after cracks found",
            "Accept cookies to continue reading this site.",
            "The harbour bridge was closed to all traffic on Friday after engineers found cracks in two support beams.",
            "Officials said repairs would cost about 4 million euros.");
        await _world.AddAsync("bridge", "b2", "Coast Herald", Now.AddHours(-3), "Cracks shut harbour bridge",
            "The harbour bridge was closed to all traffic on Friday after engineers discovered cracks in two support beams.",
            "The city expects a bill of 6 million euros. Subscribe to our newsletter for updates.");
    }

    [Fact]
    public async Task Stories_are_ranked_by_outlets_then_articles_and_leads_shared_by_outlets_are_said_once_citing_each()
    {
        await BridgeStoryAsync();
        await _world.AddAsync("cup", "c1", "Sport Daily", Now.AddHours(-2), "Rovers reach cup final",
            "Rovers beat United 2-1 on Saturday to reach the cup final for the first time in a decade.");
        await _world.AddAsync("cup", "c2", "Sport Daily", Now.AddHours(-1), "Rovers manager hails players",
            "The Rovers manager praised his players after the semi-final win against United.");

        var digest = await new DigestComposer(_world, _world.Articles).ComposeAsync(Last24h());

        Assert.Equal(["bridge", "cup"], digest.Stories.Select(s => s.StoryId));
        var bridge = digest.Stories[0];
        Assert.Equal(["Valley Wire", "Coast Herald"], bridge.Outlets);
        Assert.Equal(["b1", "b2"], bridge.Articles.Select(a => a.Id));
        // the two near-identical leads become one sentence citing both outlets
        Assert.StartsWith("The harbour bridge was closed to all traffic on Friday", bridge.Summary);
        Assert.Contains("[1][2]", bridge.Summary);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(bridge.Summary, "harbour bridge was closed"));
        Assert.DoesNotContain("cookie", bridge.Summary, StringComparison.OrdinalIgnoreCase);
        // two different leads in one story: both said, each cited to its own article
        var cup = digest.Stories[1];
        Assert.Contains("to reach the cup final for the first time in a decade. [1]", cup.Summary);
        Assert.Contains("semi-final win against United. [2]", cup.Summary);
    }

    [Fact]
    public async Task Page_furniture_never_reaches_a_summary()
    {
        await _world.AddAsync("s", "x1", "Valley Wire", Now.AddHours(-1), "Tram line opens",
            "Subscribe to our newsletter and sign up for alerts about local transport news.",
            "By Anna Berg",
            "The new tram line between the station and the university opened to passengers on Sunday morning.");

        var digest = await new DigestComposer(_world, _world.Articles).ComposeAsync(Last24h());

        var summary = digest.Stories.Single().Summary;
        Assert.StartsWith("The new tram line between the station", summary);
        Assert.DoesNotContain("ubscribe", summary);
        Assert.DoesNotContain("Anna Berg", summary);
    }

    [Fact]
    public async Task Only_articles_in_the_window_count_and_top_limits_the_stories()
    {
        await BridgeStoryAsync();
        await _world.AddAsync("old", "o1", "Valley Wire", Now.AddDays(-3), "Old council vote",
            "The council voted three days ago to approve the new budget for the coming year.");
        await _world.AddAsync("tram", "t1", "Valley Wire", Now.AddHours(-1), "Tram line opens",
            "The new tram line between the station and the university opened to passengers on Sunday morning.");

        var all = await new DigestComposer(_world, _world.Articles).ComposeAsync(Last24h());
        Assert.Equal(["bridge", "tram"], all.Stories.Select(s => s.StoryId));
        var top1 = await new DigestComposer(_world, _world.Articles).ComposeAsync(Last24h(top: 1));
        Assert.Equal(["bridge"], top1.Stories.Select(s => s.StoryId));
    }

    [Fact]
    public async Task Keyword_filters_keep_out_excluded_stories_and_keep_only_included_ones()
    {
        await BridgeStoryAsync();
        await _world.AddAsync("cup", "c1", "Sport Daily", Now.AddHours(-2), "Rovers reach cup final",
            "Rovers beat United 2-1 on Saturday to reach the cup final for the first time in a decade.");

        var noSport = await new DigestComposer(_world, _world.Articles).ComposeAsync(Last24h(filter: KeywordFilter.Parse(["-sport"], out _)));
        Assert.Equal(["bridge"], noSport.Stories.Select(s => s.StoryId)); // "Sport Daily" is the outlet
        var onlyBridge = await new DigestComposer(_world, _world.Articles).ComposeAsync(Last24h(filter: KeywordFilter.Parse(["+bridge"], out _)));
        Assert.Equal(["bridge"], onlyBridge.Stories.Select(s => s.StoryId));
    }

    sealed class ScriptedWriter(string? reply) : IDigestWriter
    {
        public IReadOnlyList<DigestSource>? Sources;
        public Task<string?> SummarizeAsync(string storyTitle, IReadOnlyList<DigestSource> sources, CancellationToken ct = default)
        {
            Sources = sources;
            return Task.FromResult(reply);
        }
    }

    [Fact]
    public async Task A_model_summary_keeps_its_valid_citations_and_one_citing_nothing_falls_back_to_the_leads()
    {
        await BridgeStoryAsync();
        var writer = new ScriptedWriter("Engineers closed the harbour bridge over cracked beams [2]; estimates range from 4 to 6 million euros [1][2][7].");
        var digest = await new DigestComposer(_world, _world.Articles, writer).ComposeAsync(Last24h());
        Assert.Equal("Engineers closed the harbour bridge over cracked beams [2]; estimates range from 4 to 6 million euros [1][2].", digest.Stories[0].Summary);
        Assert.Equal(2, writer.Sources!.Count);
        Assert.DoesNotContain("cookie", writer.Sources[0].Lead, StringComparison.OrdinalIgnoreCase);
        Assert.Null(digest.Note);

        var uncited = await new DigestComposer(_world, _world.Articles, new ScriptedWriter("The bridge is closed.")).ComposeAsync(Last24h());
        Assert.StartsWith("The harbour bridge was closed", uncited.Stories[0].Summary);
        Assert.NotNull(uncited.Note);
    }
}
