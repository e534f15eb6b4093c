using NewsBot.Core.Answering;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// The WordNet-derived lexicon (<see cref="Lexicon"/>) and what it lets the answerability judgement accept: a relation
/// or key term reworded by a synonym or a derived word, a place named by its adjective. Invented sentences.
/// </summary>
public class LexiconTests
{
    [Theory]
    [InlineData("acquired", "acquisition")] // a verb and its nominalisation
    [InlineData("elected", "election")]
    [InlineData("bought", "purchase")] // an irregular form, then a synonym
    [InlineData("released", "liberated")]
    [InlineData("exported", "exporters")]
    public void Related_words_in_any_inflection(string a, string b)
    {
        Assert.True(Lexicon.Related(a, b));
        Assert.True(Lexicon.Related(b, a));
    }

    [Theory]
    [InlineData("won", "sold")]
    [InlineData("convicted", "indicted")]
    [InlineData("died", "suffered")]
    [InlineData("elected", "banned")]
    public void Unrelated_words_are_not_related(string a, string b) => Assert.False(Lexicon.Related(a, b));

    [Fact]
    public void Lemmas_follow_the_regular_endings_and_the_irregular_verbs()
    {
        Assert.Contains("ban", Lexicon.Lemmas("banned"));
        Assert.Contains("study", Lexicon.Lemmas("studies"));
        Assert.Contains("pay", Lexicon.Lemmas("paid"));
        Assert.Equal(["qwzx"], Lexicon.Lemmas("qwzx")); // unknown: the word itself
    }

    [Fact]
    public void A_place_adjective_names_its_place_only_when_capitalised()
    {
        Assert.Contains("belgium", Lexicon.PlacesOf("Belgian"));
        Assert.Contains("japan", Lexicon.PlacesOf("Japanese"));
        Assert.Empty(Lexicon.PlacesOf("belgian"));
        Assert.Empty(Lexicon.PlacesOf("Acme"));
    }

    [Fact]
    public void A_relation_reworded_by_a_synonym_is_stated_and_one_not_related_is_not()
    {
        Assert.True(ExtractiveAnswerer.StatesRelation("Who acquired Widgetco?", "Widgetco's acquisition by Acme closed on Monday.", out _));
        Assert.True(ExtractiveAnswerer.StatesRelation("When was the mayor released from prison?", "The mayor was liberated on 3 May.", out _));
        Assert.False(ExtractiveAnswerer.StatesRelation("When was Jo Smith convicted of fraud?", "Jo Smith, who was indicted on fraud charges, awaits a trial date.", out _));
        // the synonym under a marker of the future is anticipated, not stated
        Assert.False(ExtractiveAnswerer.StatesRelation("Who acquired Widgetco?", "Acme is expected to complete its acquisition of Widgetco.", out var anticipated));
        Assert.True(anticipated);
    }

    [Fact]
    public void A_place_is_covered_by_its_adjective_and_the_reverse()
    {
        var byAdjective = ExtractiveAnswerer.Judge("How much did the Belgium brewer Brewco pay for the stake?", "Brewco paid 250m euros for the stake.", "Belgian brewer buys stake");
        Assert.Empty(byAdjective.Missing);
        var byPlace = ExtractiveAnswerer.Judge("How much did the Belgian-based brewer Brewco pay for the stake?", "Brewco paid 250m euros for the stake.", "Brewer from Belgium buys stake");
        Assert.Empty(byPlace.Missing);
        var other = ExtractiveAnswerer.Judge("How much did the Dutch brewer Brewco pay for the stake?", "Brewco paid 250m euros for the stake.", "Brewer from Belgium buys stake");
        Assert.Equal(["Dutch"], other.Missing);
    }

    [Fact]
    public void A_key_term_reworded_by_a_synonym_counts_towards_the_share()
    {
        // "purchasers" for "buyers" covers a key term; "fans" does not
        const string question = "How many buyers ordered the Zephyr phone?";
        var reworded = ExtractiveAnswerer.Judge(question, "Some 90,000 purchasers have ordered the Zephyr.", "Zephyr orders");
        var other = ExtractiveAnswerer.Judge(question, "Some 90,000 fans have ordered the Zephyr.", "Zephyr orders");
        Assert.True(reworded.TermShare > other.TermShare, $"{reworded} / {other}");
    }
}
