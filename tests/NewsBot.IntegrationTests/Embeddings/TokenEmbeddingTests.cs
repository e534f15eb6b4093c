using Microsoft.Extensions.AI;
using NewsBot.Core.Retrieval;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>
/// The token-vector port (<see cref="ITokenEmbeddingGenerator"/>) on the real int8 MiniLM: the vectors it returns are
/// the ones the sentence vector is pooled from, so late interaction and the pooled cosine see the same run.
/// </summary>
public sealed class TokenEmbeddingTests(MiniLMInt8Fixture fixture) : IClassFixture<MiniLMInt8Fixture>
{
    static readonly string[] Texts =
    [
        "The council voted to close the library on Sundays, saving £40,000 a year.",
        "Flooding closed the bridge.",
        "Tickets for the festival sold out within hours, organisers said on Tuesday.",
    ];

    readonly OnnxEmbeddingGenerator _generator = fixture.Generator;

    [Fact]
    public async Task The_pooled_vector_is_the_mean_of_the_token_vectors_the_port_returns()
    {
        var tokens = await _generator.EmbedTokensAsync(Texts);
        var pooled = await _generator.GenerateAsync(Texts);

        Assert.Equal(Texts.Length, tokens.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            var t = tokens[i];
            Assert.Equal("[CLS]", t.Tokens[0]);
            Assert.Equal("[SEP]", t.Tokens[^1]);
            Assert.Equal(t.Tokens.Count, t.Vectors.Count);
            Assert.All(t.Vectors, v => Assert.Equal(384, v.Length));
            // mean pooling over every real token, then unit length, as sentence-transformers does
            var mean = new float[384];
            foreach (var v in t.Vectors) System.Numerics.Tensors.TensorPrimitives.Add(mean, v, mean);
            System.Numerics.Tensors.TensorPrimitives.Divide(mean, System.Numerics.Tensors.TensorPrimitives.Norm(mean), mean);
            for (int d = 0; d < 384; d++)
            {
                Assert.Equal(mean[d], t.Pooled[d], 5);
                Assert.Equal(pooled[i].Vector.Span[d], t.Pooled[d], 5);
            }
        }
        Assert.Contains("library", tokens[0].Tokens);
        Assert.Contains("bridge", tokens[1].Tokens);
    }

    [Fact]
    public async Task The_embedder_finds_the_port_through_the_generator_and_adds_no_prefix_for_MiniLM()
    {
        var embedder = new Embedder(_generator, new EmbeddingProfile(_generator.ModelId, 384));
        Assert.NotNull(embedder.TokenGenerator);

        var viaEmbedder = await embedder.EmbedTokensAsync([Texts[1]], query: false);
        var passages = await embedder.EmbedPassagesAsync([Texts[1]]);

        Assert.NotNull(viaEmbedder);
        Assert.Equal(passages[0], viaEmbedder![0].Pooled);
        Assert.Equal(["[CLS]", "flooding", "closed", "the", "bridge", ".", "[SEP]"], viaEmbedder[0].Tokens);
    }
}

/// <summary>The token port with a query prefix (ArcticXs): the pooled vector is the prefixed query's, the tokens are the question's own.</summary>
public sealed class ArcticTokenEmbeddingTests(ArcticXsFixture fixture) : IClassFixture<ArcticXsFixture>
{
    [Fact]
    public async Task The_query_prefix_is_embedded_but_its_tokens_are_left_out()
    {
        var embedder = new Embedder(fixture.Generator, OnnxEmbeddingProfiles.For(LocalEmbeddingModel.ArcticXs));
        const string question = "Who opened the new library?";

        var query = (await embedder.EmbedTokensAsync([question], query: true))![0];
        var passage = (await embedder.EmbedTokensAsync([question], query: false))![0];

        Assert.Equal(["[CLS]", "who", "opened", "the", "new", "library", "?", "[SEP]"], query.Tokens);
        Assert.Equal(passage.Tokens, query.Tokens);
        Assert.Equal(query.Tokens.Count, query.Vectors.Count);
        // the pooled vector is still the one retrieval compares, with the instruction
        Assert.Equal(await embedder.EmbedQueryAsync(question), query.Pooled);
        Assert.NotEqual(passage.Pooled, query.Pooled);
    }
}
