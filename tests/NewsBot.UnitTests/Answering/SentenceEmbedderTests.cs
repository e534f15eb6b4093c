using Microsoft.Extensions.AI;
using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// <c>Answering:SentenceEmbeddings</c>: the extractive answerer scores sentences against the question with a second
/// model when one is given — the question embedded again by it (with its query prefix), the sentences by it — and
/// creates that model once, on the first answer.
/// </summary>
public class SentenceEmbedderTests
{
    readonly Embedder _retrieval = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    /// <summary>A stand-in sentence model: every text that contains <paramref name="marker"/> (or is a query) gets one direction, any other text another; it records what it was given.</summary>
    sealed class MarkerGenerator(string marker) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public const string QueryPrefix = "query: ";

        public List<string> Inputs { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var result = new GeneratedEmbeddings<Embedding<float>>();
            foreach (var v in values)
            {
                Inputs.Add(v);
                bool near = v.StartsWith(QueryPrefix, StringComparison.Ordinal) || v.Contains(marker, StringComparison.Ordinal);
                result.Add(new Embedding<float>(near ? new float[] { 1, 0, 0, 0 } : [0, 1, 0, 0]));
            }
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    static SearchHit Hit(string text) => new()
    {
        Article = new() { Id = "a", Title = "Council meeting", Url = "https://news.test/a", Outlet = "Test Outlet" }, Position = 0, Text = text,
    };

    const string Question = "What did the Eastvale council decide about the old bridge?";
    const string Topical = "The Eastvale council met on Tuesday to talk about the old bridge once more.";
    const string AnsweringSentence = "Members voted to shut the crossing for repairs until next spring.";

    [Fact]
    public async Task The_sentence_model_decides_the_similarity_and_is_created_once_on_first_use()
    {
        var generator = new MarkerGenerator("voted");
        int created = 0;
        var sentences = new SentenceEmbedder(() =>
        {
            created++;
            return new Embedder(generator, new EmbeddingProfile("marker-test", 4, QueryPrefix: MarkerGenerator.QueryPrefix));
        });
        var hits = new[] { Hit(Topical + " " + AnsweringSentence) };
        var qv = await _retrieval.EmbedQueryAsync(Question);

        // retrieval's own (bag-of-words) similarity prefers the sentence that repeats the question's words
        var before = await new ExtractiveAnswerer(_retrieval).AnswerAsync(Question, qv, hits, maxSentences: 1, judge: false);
        Assert.NotNull(before);
        Assert.Equal(Topical, before.Sentences[0].Text);

        var answerer = new ExtractiveAnswerer(_retrieval, sentences);
        Assert.Equal(0, created);
        Assert.False(sentences.IsCreated);

        var after = await answerer.AnswerAsync(Question, qv, hits, maxSentences: 1, judge: false);
        Assert.NotNull(after);
        Assert.Equal(AnsweringSentence, after.Sentences[0].Text);
        // the question went to the sentence model with its query prefix, the candidates without
        Assert.Contains(MarkerGenerator.QueryPrefix + Question, generator.Inputs);
        Assert.Contains(AnsweringSentence, generator.Inputs);
        Assert.Contains(Topical, generator.Inputs);

        await answerer.AnswerAsync(Question, qv, hits, maxSentences: 1, judge: false);
        Assert.Equal(1, created);
        Assert.True(sentences.IsCreated);
    }

    [Fact]
    public async Task Only_the_similarity_part_of_the_score_changes_mapped_by_the_models_scale()
    {
        // one candidate: its score differs between the two models by the hand score's dense weight (0.5) times the
        // difference of the two cosines, the sentence model's mapped by its scale (here 2 × 1 − 0.5); every other part
        // of the score is the same
        var generator = new MarkerGenerator("voted");
        var scale = new CosineScale(2.0, -0.5);
        var sentences = new SentenceEmbedder(() => new Embedder(generator, new EmbeddingProfile("marker-test", 4, QueryPrefix: MarkerGenerator.QueryPrefix)), scale);
        var hits = new[] { Hit(AnsweringSentence) };
        var qv = await _retrieval.EmbedQueryAsync(Question);
        var passage = (await _retrieval.EmbedPassagesAsync([AnsweringSentence]))[0];
        double retrievalCosine = VectorMath.Dot(qv, passage);

        var plain = await new ExtractiveAnswerer(_retrieval).AnswerAsync(Question, qv, hits, maxSentences: 1, judge: false);
        var scored = await new ExtractiveAnswerer(_retrieval, sentences).AnswerAsync(Question, qv, hits, maxSentences: 1, judge: false);

        Assert.NotNull(plain);
        Assert.NotNull(scored);
        Assert.Equal(0.5 * (1.5 - retrievalCosine), scored.Sentences[0].Score - plain.Sentences[0].Score, 6);
    }
}
