using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Evaluation;
using NewsBot.UnitTests.Fakes;
using static NewsBot.UnitTests.Answering.InventedHits;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// The learned ranker, its answerability decision and the clause cut (<see cref="SentenceRanker"/>,
/// <c>Answering:SentenceRanker</c>): with the shipped weights the sentence holding the asked year and amount comes first,
/// a question whose year no candidate gives is refused, quotes are cut to the clause that carries the answer, verbatim
/// and marked; the fitter's ranking objective learns what orders candidates within a question. Invented stories only.
/// </summary>
public class SentenceRankerTests
{
    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    /// <summary>The first-ranked article is on topic but gives neither year nor amount; the second gives both, in a long sentence.</summary>
    static SearchHit[] DepotStories() =>
    [
        Hit("a", "Northwind Rail and the Eastport depot", "Northwind Rail has long wanted to buy the Eastport depot, its chairman told shareholders.\n\nThe Eastport depot is one of the oldest in the region and employs many local workers."),
        Hit("b", "Northwind Rail completes depot purchase", "Northwind Rail paid £42m for the Eastport depot in 2019, ending a dispute that had dragged on for most of the decade, which its chairman described as the longest of his career.\n\nThe sale ends years of talks over the site's future."),
    ];

    async Task<ExtractiveAnswer?> AskAsync(string question, IReadOnlyList<SearchHit> hits)
    {
        var qv = await _embedder.EmbedQueryAsync(question);
        return await new ExtractiveAnswerer(_embedder).AnswerAsync(question, qv, hits, maxSentences: 3, asked: question, useRanker: true);
    }

    [Fact]
    public void The_shipped_weights_match_the_feature_lists()
    {
        Assert.Equal(SentenceModel.FeatureNames.Length, SentenceRanker.Weights.Length);
        Assert.Equal(SentenceRanker.QuestionFeatureNames.Length, SentenceRanker.QuestionWeights.Length);
        var features = new[] { new double[SentenceModel.FeatureNames.Length], new double[SentenceModel.FeatureNames.Length] };
        Assert.Equal(SentenceRanker.QuestionFeatureNames.Length, SentenceRanker.QuestionFeatures(features, [0.5, 0.1], ["a", "b"]).Length);
    }

    [Fact]
    public void Shares_are_a_softmax_ordered_as_the_scores()
    {
        var shares = SentenceRanker.Shares([2.0, 0.0, 1.0]);
        Assert.Equal(1.0, shares.Sum(), 9);
        Assert.True(shares[0] > shares[2] && shares[2] > shares[1]);
        Assert.Equal(Math.Exp(2) / (Math.Exp(2) + 1 + Math.Exp(1)), shares[0], 9);
    }

    [Fact]
    public async Task The_sentence_with_the_asked_year_and_amount_comes_first_and_is_cut_to_its_clause()
    {
        var answer = await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2019?", DepotStories());
        Assert.NotNull(answer);
        Assert.Null(answer.Shortfall);
        Assert.Equal("b", answer.Sources[0].Article.Id);
        Assert.Contains("£42m", answer.Text);
        Assert.InRange(answer.BestScore, SentenceRanker.AnswerThreshold, 1);
        // the relative clause about the chairman carries nothing asked: cut, and the cut marked
        Assert.DoesNotContain("longest of his career", answer.Text);
        Assert.Contains("…", answer.Text);
        Assert.StartsWith("According to Test Outlet (2 May 2019):", answer.Text);
    }

    [Fact]
    public async Task A_question_whose_year_no_candidate_gives_is_refused_with_what_is_missing()
    {
        var answer = await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2031?", DepotStories());
        Assert.NotNull(answer);
        Assert.NotNull(answer.Shortfall);
        Assert.Equal("", answer.Text);
        Assert.Empty(answer.Sources);
        Assert.True(answer.BestScore < SentenceRanker.AnswerThreshold, $"answerability {answer.BestScore:0.000}");
        Assert.Contains("2031", answer.Shortfall.Value.Judgement.Missing);
    }

    [Fact]
    public void The_cut_keeps_the_clause_with_the_asked_figure_verbatim_and_marks_where_it_cut()
    {
        const string sentence = "Harbour Energy said its profit rose to £310m last year, which analysts had not expected, while its rivals reported falling sales across the whole of the North Sea region.";
        var cut = ExtractiveAnswerer.Cut(sentence, "How much profit did Harbour Energy make last year?");
        Assert.Contains("£310m", cut);
        Assert.EndsWith("…", cut);
        Assert.DoesNotContain("rivals", cut);
        Assert.True(sentence.StartsWith(cut.TrimEnd('…'), StringComparison.Ordinal), cut);
        Assert.True(cut.Split(' ').Length <= sentence.Split(' ').Length - 5);
    }

    [Fact]
    public void The_cut_can_drop_a_leading_clause_and_marks_the_start()
    {
        const string sentence = "The vote had been delayed twice by a row over the budget and the council's spending plans; councillors finally approved 320 new homes for the Millbrook estate on Tuesday.";
        var cut = ExtractiveAnswerer.Cut(sentence, "How many new homes did councillors approve for the Millbrook estate?");
        Assert.StartsWith("…", cut);
        Assert.Contains("320 new homes", cut);
        Assert.DoesNotContain("budget", cut);
        Assert.Contains(cut.TrimStart('…'), sentence);
    }

    [Fact]
    public void Short_sentences_and_sentences_without_clause_boundaries_are_quoted_whole()
    {
        const string shortOne = "Harbour Energy made a profit of £310m, which beat forecasts.";
        Assert.Equal(shortOne, ExtractiveAnswerer.Cut(shortOne, "How much profit did Harbour Energy make?"));
        const string oneClause = "Harbour Energy made a record profit of £310m in the twelve months to the end of December thanks to higher gas prices in every market it sells to";
        Assert.Equal(oneClause, ExtractiveAnswerer.Cut(oneClause, "How much profit did Harbour Energy make?"));
    }

    [Fact]
    public void The_ranking_objective_learns_what_orders_candidates_within_a_question()
    {
        // per question one candidate is marked by feature 1; feature 2 is high for every candidate of some questions (it
        // says nothing about which candidate answers) and feature 3 is noise
        var rng = new Random(11);
        var questions = Enumerable.Range(0, 60).Select(q =>
        {
            double level = q % 2;
            int answer = rng.Next(8);
            return (IReadOnlyList<(bool, double[])>)Enumerable.Range(0, 8).Select(i => (i == answer, new[] { 1.0, i == answer ? 1.0 : rng.NextDouble() * 0.3, level, rng.NextDouble() })).ToList();
        }).ToList();
        var w = SentenceRankerFitter.FitRanker(questions, 1e-3);
        Assert.True(w[1] > 3, $"weight of the marking feature {w[1]}");
        Assert.True(Math.Abs(w[2]) < 0.5, $"weight of the question-level feature {w[2]}");
        Assert.True(Math.Abs(w[3]) < 1, $"weight of the noise {w[3]}");
    }
}
