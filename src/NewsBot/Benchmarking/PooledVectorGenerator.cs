using Microsoft.Extensions.AI;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Benchmarking;

/// <summary>
/// Stands in for the model when the benchmark builds large indexes "without embedding": each text gets
/// one of the real vectors the model produced for the sample, perturbed by deterministic noise and
/// re-normalised, so the index holds a realistic spread of vectors at no model cost.
/// </summary>
public sealed class PooledVectorGenerator(IReadOnlyList<float[]> pool, float noise = 0.35f) : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var v in values) result.Add(new Embedding<float>(Vector(v)));
        return Task.FromResult(result);
    }

    public float[] Vector(string text)
    {
        ulong h = Hashing.Fnv1a64(text);
        var baseVector = pool[(int)(h % (ulong)pool.Count)];
        var v = new float[baseVector.Length];
        var rng = new Random((int)(h >> 32) ^ (int)h);
        for (int i = 0; i < v.Length; i++)
            v[i] = baseVector[i] + noise * (float)(rng.NextDouble() * 2 - 1) / MathF.Sqrt(v.Length);
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
