using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>
/// Late interaction on the real int8 MiniLM (BENCHMARKS.md §1.3.1, tenth pass): what it ranks first on an invented
/// case, and that the extractive answerer hands its features to <c>eval --features</c> without changing the answer.
/// </summary>
public sealed class LateInteractionModelTests(MiniLMInt8Fixture fixture, ITestOutputHelper output) : IClassFixture<MiniLMInt8Fixture>
{
    readonly Embedder _embedder = new(fixture.Generator, new EmbeddingProfile(fixture.Generator.ModelId, 384));

    const string Question = "How many wind turbines will the Dunmore farm have?";
    static readonly string[] Sentences =
    [
        "The offshore wind farm near Dunmore will be one of the largest in the region.",
        "It will have 48 turbines, each taller than the town's cathedral.",
        "Residents of Dunmore have long argued about the project.",
    ];

    [Fact]
    public async Task MaxSim_prefers_the_long_answering_sentence_that_the_pooled_vector_dilutes()
    {
        // invented: a short sentence that repeats the topic, and a long one that answers after a clause about something else
        const string question = "What caused the Brae Hill fire?";
        const string topical = "The Brae Hill fire is out.";
        const string answering = "Firefighters, who spent the night on the slopes with crews from three neighbouring counties and a helicopter from the coast, said the Brae Hill fire was caused by a discarded cigarette.";
        var q = (await _embedder.EmbedTokensAsync([question], query: true))![0];
        var s = (await _embedder.EmbedTokensAsync([topical, answering], query: false))!;
        var late = LateInteraction.ForCandidates(q, s);
        var pooled = s.Select(x => (double)VectorMath.Dot(x.Pooled, q.Pooled)).ToArray();
        for (int i = 0; i < 2; i++) output.WriteLine($"{pooled[i]:0.000} | {string.Join(" ", late[i].Select(v => v.ToString("0.000")))}");

        // the pooled cosine ranks the topical sentence first (measured 0.76 against 0.63); each question token finds its
        // match in the long sentence, so every MaxSim variant ranks the answering one first (0.80 against 0.76 plain)
        Assert.True(pooled[0] > pooled[1]);
        Assert.Equal(1, ArgMax(late, 0));
        Assert.Equal(1, ArgMax(late, 1));
        Assert.Equal(1, ArgMax(late, 2));
    }

    static int ArgMax(double[][] rows, int column) => Enumerable.Range(0, rows.Length).MaxBy(i => rows[i][column]);

    [Fact]
    public async Task The_answerer_writes_late_interaction_features_and_answers_as_without_them()
    {
        var hit = new SearchHit
        {
            Article = new() { Id = "wind", Title = "Dunmore wind farm approved", Url = "https://news.test/wind", Outlet = "Test Outlet", Published = new DateTimeOffset(2024, 3, 1, 9, 0, 0, TimeSpan.Zero) },
            Position = 0, Text = string.Join(" ", Sentences),
        };
        var qv = await _embedder.EmbedQueryAsync(Question);

        var plain = await new ExtractiveAnswerer(_embedder).AnswerAsync(Question, qv, [hit], maxSentences: 2, judge: false);
        SentenceFeatureRows? rows = null;
        var withSink = new ExtractiveAnswerer(_embedder) { FeatureSink = r => rows = r };
        var answer = await withSink.AnswerAsync(Question, qv, [hit], maxSentences: 2, judge: false);

        Assert.NotNull(rows);
        Assert.Equal(Sentences.Length, rows!.Rows.Count);
        Assert.All(rows.Rows, r => Assert.Equal(LateInteraction.FeatureNames.Length, r.Late!.Length));
        Assert.Equal(plain!.Text, answer!.Text);
        Assert.Equal(plain.Sentences.Select(x => x.Score), answer.Sentences.Select(x => x.Score));
    }
}
