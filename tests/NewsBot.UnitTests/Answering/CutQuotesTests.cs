using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// The default path's sentence choice with cut quotes and the learned refusal (<c>Answering:CutQuotes</c>,
/// <c>Answering:CutQuoteWords</c>, <c>Answering:AnswerabilityModel</c>): the same sentences as the default answer, each cut to
/// the clauses that carry the answer, verbatim and marked; further sentences only within the word bound; a question the
/// answerability model judges unanswered is refused with what its best source lacks. Invented stories only.
/// </summary>
public class CutQuotesTests
{
    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    static SearchHit Hit(string id, string title, string text) => new()
    {
        Article = new() { Id = id, Title = title, Url = $"https://news.test/{id}", Outlet = "Test Outlet", Published = new DateTimeOffset(2019, 5, 2, 9, 0, 0, TimeSpan.Zero) },
        Position = 0, Text = text,
    };

    static SearchHit[] DepotStories() =>
    [
        Hit("b", "Northwind Rail completes depot purchase", "Northwind Rail paid £42m for the Eastport depot in 2019, ending a dispute that had dragged on for most of the decade, which its chairman described as the longest of his career.\n\nThe council said the £42m that Northwind Rail paid for the Eastport depot in 2019 would pay for new homes in the town, which has waited for them for years."),
        Hit("a", "Northwind Rail and the Eastport depot", "Northwind Rail has long wanted to buy the Eastport depot, its chairman told shareholders at the annual meeting in the city.\n\nThe Eastport depot is one of the oldest in the region and employs many local workers from across the county."),
    ];

    async Task<ExtractiveAnswer?> AskAsync(string question, int cutQuoteWords = 0, bool refuse = false)
    {
        var qv = await _embedder.EmbedQueryAsync(question);
        return await new ExtractiveAnswerer(_embedder).AnswerAsync(question, qv, DepotStories(), maxSentences: 3, asked: question, judge: false,
            cutQuoteWords: cutQuoteWords, refuseByAnswerability: refuse);
    }

    static int Words(string text) => text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public async Task Cut_quotes_keep_the_default_sentences_and_cut_each_to_the_clause_with_the_answer()
    {
        const string question = "How much did Northwind Rail pay for the Eastport depot in 2019?";
        var whole = await AskAsync(question);
        var cut = await AskAsync(question, cutQuoteWords: 200);
        Assert.NotNull(whole);
        Assert.NotNull(cut);
        // the same sentences, from the same sources, in the same order
        Assert.Equal(whole.Sentences.Select(s => s.Text), cut.Sentences.Select(s => s.Text));
        Assert.Equal(whole.Sources.Select(s => s.Article.Id), cut.Sources.Select(s => s.Article.Id));
        Assert.Contains("longest of his career", whole.Text);
        Assert.Contains("£42m", cut.Text);
        Assert.DoesNotContain("longest of his career", cut.Text);
        Assert.Contains("…", cut.Text);
        Assert.True(Words(cut.Text) < Words(whole.Text), $"{Words(cut.Text)} against {Words(whole.Text)} words");
        Assert.StartsWith("According to Test Outlet (2 May 2019):", cut.Text);
        Assert.Equal(whole.BestScore, cut.BestScore);
    }

    [Fact]
    public async Task The_word_bound_keeps_the_first_sentence_and_drops_further_ones_that_pass_it()
    {
        const string question = "How much did Northwind Rail pay for the Eastport depot in 2019?";
        var unbounded = await AskAsync(question, cutQuoteWords: 200);
        var bounded = await AskAsync(question, cutQuoteWords: 10);
        Assert.NotNull(unbounded);
        Assert.NotNull(bounded);
        Assert.True(unbounded.Sentences.Count > 1, "the story should give the default path more than one sentence");
        Assert.Single(bounded.Sentences);
        Assert.Contains(bounded.Sentences.Single().Text, unbounded.Sentences.Select(s => s.Text));
        Assert.True(Words(bounded.Text) < Words(unbounded.Text));
        Assert.Contains("£42m", bounded.Text);
    }

    [Fact]
    public void Further_sentences_are_kept_in_order_while_they_fit_and_a_shorter_later_one_may_still_fit()
    {
        var quotes = new Dictionary<int, string> { [7] = "one two three four five six", [3] = "a b c d e f g h", [5] = "x y z" };
        Assert.Equal(new[] { 7, 5 }, ExtractiveAnswerer.WithinQuoteWords([7, 3, 5], i => quotes[i], 10));
        Assert.Equal(new[] { 7, 3, 5 }, ExtractiveAnswerer.WithinQuoteWords([7, 3, 5], i => quotes[i], 17));
        // the first is quoted even when it alone passes the bound
        Assert.Equal(new[] { 3 }, ExtractiveAnswerer.WithinQuoteWords([3, 5], i => quotes[i], 4));
    }

    [Fact]
    public void The_preceding_sentence_stays_only_while_the_cut_keeps_the_opening_pronoun()
    {
        const string before = "Harbour Energy reported its results on Monday.";
        const string sentence = "It said profit rose to £310m last year, which analysts had not expected, while its rivals reported falling sales across the whole of the North Sea region.";
        var kept = ExtractiveAnswerer.CutQuote(sentence, before + " " + sentence, "How much profit did Harbour Energy make last year?");
        Assert.StartsWith(before + " It said profit rose to £310m", kept);
        Assert.EndsWith("…", kept);
        Assert.DoesNotContain("rivals", kept);

        const string led = "The vote had been delayed twice by a row over the budget and the council's spending plans; they finally approved 320 new homes for the Millbrook estate on Tuesday.";
        var cutStart = ExtractiveAnswerer.CutQuote(led, "The council met in the town hall. " + led, "How many new homes were approved for the Millbrook estate?");
        Assert.StartsWith("…", cutStart);
        Assert.DoesNotContain("town hall", cutStart);
        Assert.Contains("320 new homes", cutStart);
    }

    [Fact]
    public async Task The_answerability_model_refuses_a_question_the_default_path_would_answer()
    {
        const string question = "How much did Northwind Rail pay for the Eastport depot in 2031?";
        var answered = await AskAsync(question, cutQuoteWords: 45);
        Assert.NotNull(answered);
        Assert.Null(answered.Shortfall);
        Assert.NotEqual("", answered.Text);

        var refused = await AskAsync(question, cutQuoteWords: 45, refuse: true);
        Assert.NotNull(refused);
        Assert.NotNull(refused.Shortfall);
        Assert.Equal("", refused.Text);
        Assert.Empty(refused.Sources);
        Assert.Contains("2031", refused.Shortfall.Value.Judgement.Missing);
    }

    [Fact]
    public async Task The_answerability_model_lets_an_answered_question_through()
    {
        var answer = await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2019?", cutQuoteWords: 45, refuse: true);
        Assert.NotNull(answer);
        Assert.Null(answer.Shortfall);
        Assert.Contains("£42m", answer.Text);
    }
}
