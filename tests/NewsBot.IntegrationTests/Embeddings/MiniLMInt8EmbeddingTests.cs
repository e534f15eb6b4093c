using Microsoft.Extensions.AI;
using NewsBot.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>The int8 MiniLM against the float one: same shape, close vectors, retrieval order kept.</summary>
public sealed class MiniLMInt8EmbeddingTests(MiniLMFixture floatFixture, MiniLMInt8Fixture int8Fixture, ITestOutputHelper output)
    : IClassFixture<MiniLMFixture>, IClassFixture<MiniLMInt8Fixture>
{
    // Varied news text: short and long, numbers, names, quotes, accents, several topics and registers.
    static readonly string[] News =
    [
        "The central bank raised interest rates by a quarter point on Wednesday, its third increase this year.",
        "Heavy rain caused flooding in several northern towns, and hundreds of residents spent the night in school gyms.",
        "Shares in the carmaker fell 7% after it cut its profit forecast, blaming weak demand in China.",
        "The city council voted 31 to 20 to extend the tram line to the airport by 2029.",
        "A 24-year-old striker scored twice as the home side came from behind to win the cup final 3-2.",
        "Scientists have discovered a new species of frog in the rainforests of Ecuador.",
        "Nurses across the region will strike for 48 hours next week after pay talks with the health ministry collapsed.",
        "\"We will not negotiate under threat,\" the prime minister told parliament on Tuesday.",
        "Police arrested three men in connection with a series of burglaries in the old town.",
        "The heatwave pushed electricity prices to a record high as air-conditioning demand surged.",
        "Wildfires forced the evacuation of 12,000 people on the island, officials said.",
        "The museum reopened after a two-year renovation with a new wing dedicated to modern art.",
        "Inflation eased to 3.1% in March, down from 3.8% a month earlier, the statistics office reported.",
        "Café owners in Zürich complain about rising rents and the city's new parking rules.",
        "The court ruled that the data-sharing agreement breached privacy law and ordered it suspended.",
        "Exports of wheat from the port resumed after a three-week blockade ended.",
        "Researchers say the vaccine cut hospital admissions by two thirds among people over 65.",
        "The opposition leader resigned after the party's worst election result in decades.",
        "A magnitude 6.2 earthquake struck off the coast early on Sunday; no tsunami warning was issued.",
        "Tech giant unveils a cheaper phone aimed at students, with a battery that lasts two days.",
    ];

    readonly OnnxEmbeddingGenerator _float = floatFixture.Generator;
    readonly OnnxEmbeddingGenerator _int8 = int8Fixture.Generator;

    [Fact]
    public async Task The_int8_model_loads_and_records_its_own_model_id()
    {
        var result = await _int8.GenerateAsync(News[..3]);

        Assert.True(_int8.Quantized);
        Assert.Equal("all-MiniLM-L6-v2-int8", _int8.ModelId);
        Assert.Matches(@"all-MiniLM-L6-v2-int8-[0-9a-f]{12}\.onnx$", _int8.ModelPath);
        Assert.Equal("all-MiniLM-L6-v2-int8", _int8.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
        Assert.All(result, e =>
        {
            Assert.Equal(384, e.Vector.Length);
            Assert.Equal(1f, Vectors.Norm(e.Vector), 4);
            Assert.Equal("all-MiniLM-L6-v2-int8", e.ModelId);
        });
        // The index asks for the model it was built with; the float model's id is not this one.
        await Assert.ThrowsAsync<ArgumentException>(() => _int8.GenerateAsync(["x"], new EmbeddingGenerationOptions { ModelId = "all-MiniLM-L6-v2" }));
    }

    [Fact]
    public async Task Int8_vectors_are_close_to_float_ones()
    {
        var expected = await _float.GenerateAsync(News);
        var actual = await _int8.GenerateAsync(News);

        var cosines = Enumerable.Range(0, News.Length).Select(i => Vectors.Cosine(actual[i].Vector, expected[i].Vector)).ToArray();
        output.WriteLine($"int8 vs float cosine over {News.Length} sentences: min {cosines.Min():F4}, mean {cosines.Average():F4}, max {cosines.Max():F4}");

        Assert.True(cosines.Average() >= 0.98, $"mean cosine {cosines.Average():F4}");
        Assert.True(cosines.Min() >= 0.95, $"min cosine {cosines.Min():F4} (sentence {Array.IndexOf(cosines, cosines.Min())})");
    }

    [Fact]
    public async Task A_paraphrase_still_scores_above_an_unrelated_sentence()
    {
        var result = await _int8.GenerateAsync(
        [
            "The government announced new taxes on fuel.",
            "Officials unveiled a levy on petrol and diesel.",
            "The football team won the championship final.",
        ]);

        float paraphrase = Vectors.Cosine(result[0].Vector, result[1].Vector);
        float unrelated = Vectors.Cosine(result[0].Vector, result[2].Vector);
        output.WriteLine($"paraphrase {paraphrase:F4}, unrelated {unrelated:F4}");
        Assert.True(paraphrase > unrelated + 0.2f, $"paraphrase {paraphrase}, unrelated {unrelated}");
    }

    [Fact]
    public async Task Questions_find_the_same_best_passage_as_with_the_float_model()
    {
        string[] questions =
        [
            "Did the central bank change interest rates?",
            "Where was there flooding?",
            "Why did the carmaker's shares drop?",
            "Will the tram go to the airport?",
            "Who won the cup final?",
            "When will the nurses strike?",
            "How high were electricity prices during the heatwave?",
            "What was the inflation rate in March?",
            "Was there an earthquake?",
            "Which phone is aimed at students?",
        ];
        var passagesFloat = await _float.GenerateAsync(News);
        var passagesInt8 = await _int8.GenerateAsync(News);
        var questionsFloat = await _float.GenerateAsync(questions);
        var questionsInt8 = await _int8.GenerateAsync(questions);

        static int Best(Embedding<float> q, GeneratedEmbeddings<Embedding<float>> passages) =>
            Enumerable.Range(0, passages.Count).MaxBy(i => Vectors.Cosine(q.Vector, passages[i].Vector));

        for (int i = 0; i < questions.Length; i++)
            Assert.Equal(Best(questionsFloat[i], passagesFloat), Best(questionsInt8[i], passagesInt8));
    }

    [Fact]
    public async Task Batched_padded_int8_vectors_match_single_ones()
    {
        // Activations are quantized with one scale per batch, so padding and neighbours can move a vector a little.
        var batched = await _int8.GenerateAsync(News[..8]);

        var cosines = new float[8];
        for (int i = 0; i < 8; i++)
        {
            var (single, _) = await _int8.EmbedAsync([News[i]], batchSize: 1, CancellationToken.None);
            cosines[i] = Vectors.Cosine(batched[i].Vector, single[0]);
        }
        output.WriteLine($"int8 batched vs single cosine: min {cosines.Min():F5}, mean {cosines.Average():F5}");
        Assert.All(cosines, c => Assert.True(c >= 0.99f, $"cosine {c}"));
    }
}
