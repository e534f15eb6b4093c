using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Hosting;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>
/// <c>Answering:SentenceEmbeddings</c> wired by the host: retrieval stays on its model, and the extractive answerer's
/// similarity of a sentence to the question is the named local model's (real ONNX models, float, shared cache).
/// </summary>
public sealed class SentenceEmbeddingsRegistrationTests(ArcticXsFixture arctic) : IClassFixture<ArcticXsFixture>
{
    const string Question = "How many homes did the Eastvale floods damage last winter?";
    const string Sentence = "Council surveyors counted 340 damaged houses after the river burst its banks in January.";

    static ServiceProvider Host(string? sentenceModel)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = Path.Combine(Path.GetTempPath(), "newsbot-tests", "unused-data"),
            ["Embeddings:Quantize"] = "false",
            ["Embeddings:Threads"] = "2",
            ["Embeddings:BatchSize"] = "4",
            ["Embeddings:CacheDirectory"] = OnnxGeneratorFixture.SharedCacheDirectory,
            ["Answering:SentenceEmbeddings"] = sentenceModel,
        };
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(new CliContext());
        services.AddSection<StorageOptions>(config, StorageOptions.SectionName);
        services.AddNewsBotEmbeddings(config);
        services.AddNewsBotAnswering(config);
        return services.BuildServiceProvider();
    }

    static SearchHit[] Hits() =>
    [
        new()
        {
            Article = new() { Id = "a", Title = "Floods in Eastvale", Url = "https://news.test/a", Outlet = "Test Outlet" }, Position = 0, Text = Sentence,
        },
    ];

    static async Task<double> ScoreAsync(ExtractiveAnswerer answerer, float[] queryVector)
    {
        var answer = await answerer.AnswerAsync(Question, queryVector, Hits(), maxSentences: 1, judge: false);
        Assert.NotNull(answer);
        return Assert.Single(answer.Sentences).Score;
    }

    [Fact]
    public async Task ArcticXs_scores_the_sentences_while_retrieval_stays_MiniLM()
    {
        using var host = Host("ArcticXs");
        var retrieval = host.GetRequiredService<Embedder>();
        Assert.Equal("all-MiniLM-L6-v2", retrieval.Profile.Model);
        var qv = await retrieval.EmbedQueryAsync(Question);

        double withArctic = await ScoreAsync(host.GetRequiredService<ExtractiveAnswerer>(), qv);
        double withMiniLM = await ScoreAsync(new ExtractiveAnswerer(retrieval), qv);

        // the score's only model-dependent part is 0.5 × the cosine: the difference is that of the two models' cosines,
        // ArcticXs's computed with its query prefix and mapped onto MiniLM's scale
        var reference = new Embedder(arctic.Generator, OnnxEmbeddingProfiles.For(LocalEmbeddingModel.ArcticXs));
        var arcticQuery = await reference.EmbedQueryAsync(Question);
        var arcticSentence = (await reference.EmbedPassagesAsync([Sentence]))[0];
        var miniSentence = (await retrieval.EmbedPassagesAsync([Sentence]))[0];
        double arcticCosine = VectorMath.Dot(arcticQuery, arcticSentence), miniCosine = VectorMath.Dot(qv, miniSentence);
        Assert.True(Math.Abs(arcticCosine - miniCosine) > 0.01, $"the two models' cosines should differ ({arcticCosine} / {miniCosine})");
        var scale = CosineScale.For("ArcticXs");
        Assert.NotEqual(CosineScale.Identity, scale); // its cosines are mapped onto MiniLM's scale
        Assert.Equal(0.5 * (scale.Apply(arcticCosine) - miniCosine), withArctic - withMiniLM, 3);
    }

    [Fact]
    public async Task Unset_or_the_retrieval_model_itself_scores_as_before_and_an_unknown_model_is_refused()
    {
        foreach (var setting in new[] { null, "minilm" })
        {
            using var host = Host(setting);
            var retrieval = host.GetRequiredService<Embedder>();
            var qv = await retrieval.EmbedQueryAsync(Question);
            Assert.Equal(await ScoreAsync(new ExtractiveAnswerer(retrieval), qv), await ScoreAsync(host.GetRequiredService<ExtractiveAnswerer>(), qv), 9);
        }

        using var bad = Host("GloVe");
        var error = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<AnsweringOptions>());
        Assert.Contains("Answering:SentenceEmbeddings", error.Message);
    }
}
