using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Evaluation;
using NewsBot.UnitTests.Fakes;
using static NewsBot.UnitTests.Answering.InventedHits;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// The learned sentence scorer (<see cref="SentenceModel"/>, <c>Answering:SentenceModel</c>): with the shipped weights it
/// quotes the sentence that meets the question's constraints, refuses when none does, and the fitter it came from
/// learns what separates answers from the rest. Invented stories only.
/// </summary>
public class SentenceModelTests
{
    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    /// <summary>The first-ranked article is on topic but gives neither year nor amount; the second gives both.</summary>
    static SearchHit[] DepotStories() =>
    [
        Hit("a", "Northwind Rail and the Eastport depot", "Northwind Rail has long wanted to buy the Eastport depot, its chairman told shareholders.\n\nThe Eastport depot is one of the oldest in the region and employs many local workers."),
        Hit("b", "Northwind Rail completes depot purchase", "Northwind Rail paid £42m for the Eastport depot in 2019, the company said.\n\nThe sale ends years of talks over the site's future."),
    ];

    async Task<ExtractiveAnswer?> AskAsync(string question, IReadOnlyList<SearchHit> hits, Action<SentenceFeatureRows>? sink = null)
    {
        var qv = await _embedder.EmbedQueryAsync(question);
        var answerer = new ExtractiveAnswerer(_embedder) { FeatureSink = sink };
        return await answerer.AnswerAsync(question, qv, hits, maxSentences: 3, asked: question, useModel: true);
    }

    [Fact]
    public void The_shipped_weights_match_the_feature_list()
        => Assert.Equal(SentenceModel.FeatureNames.Length, SentenceModel.Weights.Length);

    [Fact]
    public async Task Every_candidate_gets_one_value_per_feature()
    {
        SentenceFeatureRows? rows = null;
        await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2019?", DepotStories(), r => rows = r);
        Assert.NotNull(rows);
        Assert.Equal(4, rows.Rows.Count);
        Assert.All(rows.Rows, r => Assert.Equal(SentenceModel.FeatureNames.Length, r.Features.Length));
    }

    [Fact]
    public async Task The_sentence_with_the_asked_year_and_amount_beats_an_on_topic_one_without()
    {
        var answer = await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2019?", DepotStories());
        Assert.NotNull(answer);
        Assert.Null(answer.Shortfall);
        Assert.Contains("£42m", answer.Text);
        Assert.Equal("b", answer.Sources[0].Article.Id);
        Assert.InRange(answer.BestScore, SentenceModel.AnswerThreshold, 1);
    }

    [Fact]
    public async Task A_year_no_sentence_has_lowers_the_best_probability()
    {
        // the learned weights do not make the year a hard rule (AnswerService refuses a year no source mentions before
        // the answerer is asked); they must still count it against the sentence
        var asked = await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2019?", DepotStories());
        var other = await AskAsync("How much did Northwind Rail pay for the Eastport depot in 2031?", DepotStories());
        Assert.NotNull(asked);
        Assert.NotNull(other);
        Assert.True(other.BestScore < asked.BestScore - 0.05, $"2031: {other.BestScore:0.000}, 2019: {asked.BestScore:0.000}");
    }

    [Fact]
    public async Task A_question_whose_names_and_year_no_sentence_has_is_refused_with_what_is_missing()
    {
        var answer = await AskAsync("How much did Southgate Ferries pay for the Westbay terminal in 2031?", DepotStories());
        Assert.NotNull(answer);
        Assert.NotNull(answer.Shortfall);
        Assert.Equal("", answer.Text);
        Assert.Empty(answer.Sources);
        Assert.True(answer.BestScore < SentenceModel.AnswerThreshold);
        Assert.Contains("2031", answer.Shortfall.Value.Judgement.Missing);
    }

    [Fact]
    public void The_fitter_learns_the_feature_that_separates_answers()
    {
        // feature 1 marks the answers, feature 2 is noise; the fitted weight of the first must dominate
        var rng = new Random(7);
        var rows = Enumerable.Range(0, 400).Select(i =>
        {
            bool label = i % 10 == 0;
            return (label, new[] { 1.0, label ? 1.0 : 0.0, rng.NextDouble() });
        }).ToList();
        var w = SentenceModelFitter.Fit(rows);
        Assert.True(w[1] > 3, $"weight of the separating feature {w[1]}");
        Assert.True(Math.Abs(w[2]) < 1, $"weight of the noise {w[2]}");
        double Prob(double[] x) => 1 / (1 + Math.Exp(-(w[0] * x[0] + w[1] * x[1] + w[2] * x[2])));
        Assert.True(Prob([1, 1, 0.5]) > 0.9);
        Assert.True(Prob([1, 0, 0.5]) < 0.1);
    }
}
