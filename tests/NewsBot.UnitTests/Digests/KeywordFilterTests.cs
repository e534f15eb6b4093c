using NewsBot.Core.Digests;

namespace NewsBot.UnitTests.Digests;

public class KeywordFilterTests
{
    [Fact]
    public void Plus_and_minus_words_become_the_filter_and_the_rest_stays()
    {
        var f = KeywordFilter.Parse(["08:00", "Europe/London", "-sport", "+harbour", "-celebrity", "-5"], out var rest);
        Assert.Equal(["harbour"], f.Include);
        Assert.Equal(["sport", "celebrity"], f.Exclude);
        Assert.Equal(["08:00", "Europe/London", "-5"], rest);
        Assert.Equal("+harbour -sport -celebrity", f.ToString());
    }

    [Fact]
    public void Excluded_words_match_by_stem_and_included_words_must_all_occur()
    {
        var f = KeywordFilter.Parse(["-celebrity", "+bridge"], out _);
        Assert.False(f.Matches("Celebrities flock to the bridge opening"));
        Assert.True(f.Matches("The harbour bridge closes for repairs"));
        Assert.False(f.Matches("The harbour tunnel closes for repairs"));
    }

    [Fact]
    public void A_quoted_phrase_needs_its_words_together()
    {
        var f = KeywordFilter.Parse(["+\"city council\""], out _);
        Assert.True(f.Matches("The City Council voted on Monday"));
        Assert.False(f.Matches("The council of the city voted"));
    }

    [Fact]
    public void No_words_means_everything_passes_and_lone_signs_are_not_words()
    {
        var f = KeywordFilter.Parse(["+", "-", "bridge"], out var rest);
        Assert.True(f.IsEmpty);
        Assert.True(f.Matches("anything at all"));
        Assert.Equal(["+", "-", "bridge"], rest);
    }
}
