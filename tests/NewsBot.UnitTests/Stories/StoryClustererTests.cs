using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;

namespace NewsBot.UnitTests.Stories;

public class StoryClustererTests
{
    static readonly DateTimeOffset Day0 = new(2026, 3, 10, 8, 0, 0, TimeSpan.Zero);
    readonly StoryClusterer _clusterer = new(new StoryOptions());

    /// <summary>A unit vector mostly along <paramref name="axis"/>, tilted by <paramref name="tilt"/> towards <paramref name="other"/>.</summary>
    internal static float[] Vec(int axis, int other = -1, float tilt = 0)
    {
        var v = new float[16];
        v[axis] = 1;
        if (other >= 0) v[other] = tilt;
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    internal static ArticleFeatures Article(string id, float[] vector, DateTimeOffset time, params string[] entities) => new()
    {
        ArticleId = id, Time = time, Vector = vector, Entities = entities, Title = id,
    };

    [Fact]
    public void Two_reports_of_one_event_join_and_an_unrelated_one_does_not()
    {
        var story = StoryProfile.FromMembers("quake", [Article("a1", Vec(0, 1, 0.2f), Day0, "italy", "norcia", "umbria")]);
        var sameEvent = Article("a2", Vec(0, 2, 0.3f), Day0.AddHours(3), "norcia", "ingv", "umbria");
        var unrelated = Article("b1", Vec(5), Day0.AddHours(3), "harbor", "city");

        Assert.Equal("quake", _clusterer.Decide(sameEvent, [story]).JoinStoryId);
        Assert.Null(_clusterer.Decide(unrelated, [story]).JoinStoryId);
    }

    [Fact]
    public void The_same_kind_of_event_in_another_place_opens_its_own_story()
    {
        // the texts read alike (two earthquakes) but name no place or person in common
        var italy = StoryProfile.FromMembers("italy", [Article("a1", Vec(0, 1, 0.5f), Day0, "italy", "norcia", "umbria")]);
        var crete = Article("c1", Vec(0, 2, 0.6f), Day0.AddDays(1), "crete", "heraklion", "greece");
        Assert.True(VectorMath.Cosine(crete.Vector, italy.Centroid()) > 0.7, "the vectors alone would merge them");
        Assert.Null(_clusterer.Decide(crete, [italy]).JoinStoryId);
    }

    [Fact]
    public void The_same_event_three_years_later_is_another_story()
    {
        var final2023 = StoryProfile.FromMembers("sb2023", [Article("a1", Vec(3), Day0.AddYears(-3), "chiefs", "eagles", "mahomes")]);
        var final2026 = Article("b1", Vec(3), Day0, "chiefs", "eagles", "mahomes");
        Assert.Null(_clusterer.Score(final2026, final2023));
        Assert.Null(_clusterer.Decide(final2026, [final2023]).JoinStoryId);
    }

    [Fact]
    public void Each_day_away_from_a_story_costs_score()
    {
        var story = StoryProfile.FromMembers("s", [Article("a1", Vec(0), Day0, "keller")]);
        var sameDay = _clusterer.Score(Article("a2", Vec(0), Day0, "keller"), story);
        var twoDaysLater = _clusterer.Score(Article("a3", Vec(0), Day0.AddDays(2), "keller"), story);
        Assert.NotNull(sameDay);
        Assert.NotNull(twoDaysLater);
        Assert.Equal(2 * new StoryOptions().DayPenalty, sameDay!.Value - twoDaysLater!.Value, 6);
    }

    [Fact]
    public void The_same_people_in_another_event_stay_apart()
    {
        // a chancellor's pension reform and her flood visit: shared name, different text
        var pensions = StoryProfile.FromMembers("pensions", [Article("a1", Vec(4, 6, 0.3f), Day0, "keller", "berg", "parliament")]);
        var floods = Article("f1", Vec(7, 4, 0.5f), Day0.AddDays(1), "keller", "riverton", "elm");
        Assert.Null(_clusterer.Decide(floods, [pensions]).JoinStoryId);
    }

    [Fact]
    public void An_article_that_fits_two_close_stories_joins_the_best_and_merges_the_other()
    {
        var early = StoryProfile.FromMembers("early", [Article("a1", Vec(0, 1, 0.25f), Day0, "fischer", "harbor")]);
        var late = StoryProfile.FromMembers("late", [Article("b1", Vec(0, 2, 0.25f), Day0.AddDays(3.5), "fischer", "brandt")]);
        var bridge = Article("x", Vec(0), Day0.AddDays(1.75), "fischer", "harbor", "brandt");

        var decision = _clusterer.Decide(bridge, [early, late]);
        Assert.NotNull(decision.JoinStoryId);
        Assert.Equal(["early", "late"], new[] { decision.JoinStoryId! }.Concat(decision.Merge).Order());
    }

    [Fact]
    public void A_second_story_that_is_about_something_else_is_not_merged()
    {
        var a = StoryProfile.FromMembers("a", [Article("a1", Vec(0), Day0, "fischer")]);
        var b = StoryProfile.FromMembers("b", [Article("b1", Vec(9), Day0, "fischer")]);
        var decision = _clusterer.Decide(Article("x", Vec(0, 9, 0.1f), Day0, "fischer"), [a, b]);
        Assert.Equal("a", decision.JoinStoryId);
        Assert.Empty(decision.Merge);
    }

    [Fact]
    public void The_representative_headline_is_the_one_nearest_the_centroid()
    {
        var members = new[]
        {
            Article("outlier", Vec(0, 5, 1.5f), Day0),
            Article("central", Vec(0, 5, 0.3f), Day0.AddHours(1)),
            Article("other", Vec(0), Day0.AddHours(2)),
        };
        Assert.Equal("central", StoryClusterer.Representative(members).ArticleId);
    }

    [Fact]
    public void Names_come_from_capitalised_words_that_do_not_open_a_sentence()
    {
        var entities = StoryFeatureExtractor.Entities("Two dead as quake hits Umbria",
            "Officials said two people died in Norcia on Tuesday. Prime Minister Giulia Ferri visited Norcia's old town.");
        Assert.Contains("umbria", entities);
        Assert.Contains("norcia", entities);
        Assert.Contains("ferri", entities);
        Assert.Contains("giulia", entities);
        Assert.DoesNotContain("officials", entities);
        Assert.DoesNotContain("tuesday", entities);
        Assert.DoesNotContain("two", entities);
        Assert.Equal(["2026", "2900"], StoryFeatureExtractor.Numbers("In 2026 about 2,900 people and 3 dogs"));
    }
}
