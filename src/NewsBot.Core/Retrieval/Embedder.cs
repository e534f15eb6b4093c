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
    /// The token vectors of a query or of passages, embedded with the model's prefix as <see cref="EmbedQueryAsync"/> and
    /// <see cref="EmbedPassagesAsync"/> do (so the pooled vector is theirs, checked alike), but without the prefix's own
    /// tokens: an instruction ("Represent this sentence for searching relevant passages: ") is not part of the question to
    /// match token by token. Null when the generator has no token port.
    /// </summary>
    public async Task<IReadOnlyList<TokenEmbedding>?> EmbedTokensAsync(IReadOnlyList<string> texts, bool query, CancellationToken ct = default)
    {
        if (TokenGenerator is not { } tokens) return null;
        var prefix = query ? profile.QueryPrefix : profile.PassagePrefix;
        // the prefix's tokens without [CLS] and [SEP]; prefixes end in a space or a colon, so they tokenize alike before a text
        int prefixTokens = prefix.Length == 0 ? 0 : (await tokens.EmbedTokensAsync([prefix], ct).ConfigureAwait(false))[0].Tokens.Count - 2;
        var output = new List<TokenEmbedding>(texts.Count);
        for (int start = 0; start < texts.Count; start += profile.MaxBatch)
        {
            var batch = texts.Skip(start).Take(profile.MaxBatch).Select(p => prefix + p).ToList();
            var result = await tokens.EmbedTokensAsync(batch, ct).ConfigureAwait(false);
            if (result.Count != batch.Count)
                throw new InvalidOperationException($"The embedding model returned {result.Count} token sets for {batch.Count} inputs.");
            foreach (var r in result)
            {
                int skip = Math.Min(prefixTokens, Math.Max(0, r.Tokens.Count - 2));
                output.Add(skip == 0
                    ? r with { Pooled = Check(r.Pooled) }
                    : new TokenEmbedding(Check(r.Pooled), [r.Tokens[0], .. r.Tokens.Skip(1 + skip)], [r.Vectors[0], .. r.Vectors.Skip(1 + skip)]));
            }
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
