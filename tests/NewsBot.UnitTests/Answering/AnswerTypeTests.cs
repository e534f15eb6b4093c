using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// The extractive answerer prefers the sentence that holds what was asked for and the question does not
/// already say. In each case the first-ranked article repeats the question's words without answering it,
/// and the second holds the answer.
/// </summary>
public class AnswerTypeTests
{
    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    static SearchHit Hit(string id, string title, string text) => new()
    {
        Article = new() { Id = id, Title = title, Url = $"https://news.test/{id}", Outlet = "Test Outlet" }, Position = 0, Text = text,
    };

    [Theory]
    // "who": a person's name the question does not give, not the club the question names
    [InlineData("Who are Rivertown bringing in as their new coach?",
        "Rivertown coach search", "Rivertown said the coaching job is a fantastic one for anybody.",
        "Rivertown to appoint coach", "The club are set to unveil Maria Olsen as their new coach on Wednesday.",
        "Maria Olsen")]
    // "how many": a number, not a restatement of the flooding
    [InlineData("How many homes were flooded in Eastvale?",
        "Eastvale flooding", "The storm flooded homes in Eastvale, the council said.",
        "Eastvale flooding update", "The storm flooded 340 homes in Eastvale.",
        "340")]
    // "which country": a country, not the minister's name
    [InlineData("Which country's points system is the minister's plan modelled on?",
        "Minister unveils points plan", "The minister said the points plan would be published on Monday.",
        "Points plan details", "He is proposing a points system similar to Norway's, the minister said.",
        "Norway")]
    public async Task The_sentence_holding_the_kind_of_answer_asked_for_wins_over_one_that_repeats_the_question(
        string question, string title0, string text0, string title1, string text1, string expected)
    {
        var hits = new[] { Hit("a", title0, text0), Hit("b", title1, text1) };
        var qv = await _embedder.EmbedQueryAsync(question);
        var answer = await new ExtractiveAnswerer(_embedder).AnswerAsync(question, qv, hits, maxSentences: 1);
        Assert.NotNull(answer);
        Assert.Contains(expected, answer.Text);
        Assert.Equal("b", answer.Sources[0].Article.Id);
    }

    [Fact]
    public async Task A_new_name_beside_the_role_asked_about_wins_over_another_new_name()
    {
        // both sentences name someone the question does not and say the same; only the second's name stands beside "chairman"
        const string question = "Who is the Harbour Party chairman that wrote to the two defectors?";
        var hits = new[]
        {
            Hit("a", "Harbour Party defections", "Tom Berg said the Harbour Party chairman wrote to the two defectors on Monday."),
            Hit("b", "Harbour Party letter", "Harbour Party chairman Ida Lund wrote to the two defectors on Monday."),
        };
        var qv = await _embedder.EmbedQueryAsync(question);
        var answer = await new ExtractiveAnswerer(_embedder).AnswerAsync(question, qv, hits, maxSentences: 1);
        Assert.Equal("b", answer!.Sources[0].Article.Id);
        Assert.Contains("Ida Lund", answer.Text);
        Assert.True(ExtractiveAnswerer.RoleBesideNewName("Rory Armes, studio general manager for the firm, said so.", ["manager"], ExtractiveAnswerer.QuestionWords("Which games manager said it?")));
        Assert.False(ExtractiveAnswerer.RoleBesideNewName("The manager of the club, speaking after the match, said Rory Armes had left.", ["manager"], ExtractiveAnswerer.QuestionWords("Which games manager said it?")));
    }

    [Fact]
    public async Task The_article_that_mentions_the_names_in_the_question_is_preferred()
    {
        // both sentences name a country; only the second article is the column the question names
        const string question = "Which country has rejected the patent plan, according to Ada Moreno's column?";
        var hits = new[]
        {
            Hit("a", "Patent plan delayed", "Poland has rejected the patent plan and asked for more time."),
            Hit("b", "Be careful how you code", "Ada Moreno writes about software. Poland has rejected the patent plan, she notes."),
        };
        var qv = await _embedder.EmbedQueryAsync(question);
        var answer = await new ExtractiveAnswerer(_embedder).AnswerAsync(question, qv, hits, maxSentences: 1);
        Assert.Equal("b", answer!.Sources[0].Article.Id);
    }

    [Theory]
    // the question word that comes first decides what is asked for
    [InlineData("Who was sitting on the throne in England when the colonies declared independence?", "Person")]
    [InlineData("When did the minister say who would lead the inquiry?", "Time")]
    [InlineData("How many people were there when the bridge opened?", "Quantity")]
    [InlineData("Which country won the vote and when?", "Country")]
    [InlineData("What did Moscow say about the talks?", "Other")]
    public void The_first_question_word_decides_the_kind_of_answer(string question, string kind)
        => Assert.Equal(kind, ExtractiveAnswerer.Classify(question).ToString());

    [Theory]
    [InlineData("What was the result of the UK's 2016 referendum?", "2016")]
    [InlineData("What was the UK launch price of Microsoft's Xbox 360?", "360")]
    [InlineData("When did the Boeing 737 first fly after 1990?", "737,1990")]
    [InlineData("Who won Best Actor at the 92nd Academy Awards?", "")]
    [InlineData("Did prices rise 3.5% or 2.1%?", "")]
    [InlineData("How many people were killed in Kyiv?", "")]
    [InlineData("Did the fund lose 1,2000 dollars?", "")]
    public void Asked_numbers_are_years_and_numbers_that_follow_a_name(string question, string expected)
        => Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), AnswerService.AskedNumbers(question));
}
