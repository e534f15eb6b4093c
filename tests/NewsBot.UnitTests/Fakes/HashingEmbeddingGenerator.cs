using Microsoft.Extensions.AI;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Fakes;

/// <summary>
/// A deterministic stand-in for a sentence embedding model: stemmed words hashed into a small vector
/// (bag of words), L2-normalised. Texts sharing words get similar vectors, which is all the unit
/// tests of storage and ingestion need; semantic behaviour is tested with the real model elsewhere.
/// </summary>
public sealed class HashingEmbeddingGenerator(int dimensions = 64) : IEmbeddingGenerator<string, Embedding<float>>
{
    int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public static EmbeddingProfile Profile(int dimensions = 64) => new("hashing-test", dimensions, MaxBatch: 4);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls); // ingestion embeds the next group while it writes the last: calls may overlap
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var v in values) result.Add(new Embedding<float>(Embed(v)));
        return Task.FromResult(result);
    }

    public float[] Embed(string text)
    {
        var v = new float[dimensions];
        foreach (var term in LexicalAnalyzer.DocumentTerms(text))
        {
            var h = Hashing.Fnv1a32(term);
            v[h % (uint)dimensions] += (h & 0x80000000) != 0 ? 1f : -1f;
        }
        if (v.All(x => x == 0)) v[0] = 1;
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
