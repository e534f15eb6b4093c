using Microsoft.Extensions.AI;

namespace NewsBot.Core.Retrieval;

/// <summary>What the configured embedding model is and how it wants its inputs.</summary>
/// <param name="Model">A stable model name recorded in the index ("all-MiniLM-L6-v2").</param>
/// <param name="QueryPrefix">Text put before queries (snowflake-arctic-embed wants an instruction).</param>
/// <param name="MaxBatch">How many passages go to the generator at once.</param>
public sealed record EmbeddingProfile(string Model, int Dimensions, string QueryPrefix = "", string PassagePrefix = "", int MaxBatch = 16);

/// <summary>
/// Embeds queries and passages through any <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>
/// (local ONNX, OpenAI-compatible endpoint), adding the model's prefixes and checking dimensions.
/// </summary>
public sealed class Embedder(IEmbeddingGenerator<string, Embedding<float>> generator, EmbeddingProfile profile)
{
    public EmbeddingProfile Profile => profile;

    public IEmbeddingGenerator<string, Embedding<float>> Generator => generator;

    /// <summary>The generator's token-vector port, or null when it has none (remote APIs).</summary>
    public ITokenEmbeddingGenerator? TokenGenerator => generator.GetService(typeof(ITokenEmbeddingGenerator)) as ITokenEmbeddingGenerator;

    /// <summary>
    /// The token vectors of a query and of passages, with the model's prefixes (their tokens come back too), the pooled
    /// vectors checked like <see cref="EmbedPassagesAsync"/>'s; null when the generator has no token port.
    /// </summary>
    public async Task<IReadOnlyList<TokenEmbedding>?> EmbedTokensAsync(IReadOnlyList<string> texts, bool query, CancellationToken ct = default)
    {
        if (TokenGenerator is not { } tokens) return null;
        var prefix = query ? profile.QueryPrefix : profile.PassagePrefix;
        var output = new List<TokenEmbedding>(texts.Count);
        for (int start = 0; start < texts.Count; start += profile.MaxBatch)
        {
            var batch = texts.Skip(start).Take(profile.MaxBatch).Select(p => prefix + p).ToList();
            var result = await tokens.EmbedTokensAsync(batch, ct).ConfigureAwait(false);
            if (result.Count != batch.Count)
                throw new InvalidOperationException($"The embedding model returned {result.Count} token sets for {batch.Count} inputs.");
            foreach (var r in result) output.Add(r with { Pooled = Check(r.Pooled) });
        }
        return output;
    }

    public async Task<float[]> EmbedQueryAsync(string query, CancellationToken ct = default)
    {
        var result = await generator.GenerateAsync([profile.QueryPrefix + query], cancellationToken: ct).ConfigureAwait(false);
        return Check(result[0].Vector.ToArray());
    }

    public async Task<float[][]> EmbedPassagesAsync(IReadOnlyList<string> passages, CancellationToken ct = default)
    {
        var output = new float[passages.Count][];
        for (int start = 0; start < passages.Count; start += profile.MaxBatch)
        {
            var batch = passages.Skip(start).Take(profile.MaxBatch).Select(p => profile.PassagePrefix + p).ToList();
            var result = await generator.GenerateAsync(batch, cancellationToken: ct).ConfigureAwait(false);
            if (result.Count != batch.Count)
                throw new InvalidOperationException($"The embedding model returned {result.Count} vectors for {batch.Count} inputs.");
            for (int i = 0; i < batch.Count; i++) output[start + i] = Check(result[i].Vector.ToArray());
        }
        return output;
    }

    float[] Check(float[] v)
    {
        if (v.Length != profile.Dimensions)
            throw new InvalidOperationException(
                $"The embedding model '{profile.Model}' returned {v.Length} dimensions, but {profile.Dimensions} are configured (Embeddings:Dimensions).");
        VectorMath.NormalizeInPlace(v);
        return v;
    }
}
