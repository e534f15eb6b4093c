using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>
/// The first start with a new model cache rewrites the model to int8 (~250-300 MB of heap garbage: the 90 MB model
/// read, parsed and serialised again). A worker started on a new data directory kept that committed until its first
/// snapshot rewrite collected (BENCHMARKS.md, "The worker at 1M"). Run alone: the figures are the whole process's.
/// </summary>
[Collection(QuantizationMemoryCollection.Name)]
public sealed class QuantizationMemoryTests : IDisposable
{
    const long Slack = 64L << 20;
    readonly string _dir = Path.Combine(Path.GetTempPath(), "newsbot-tests", "qmem-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Loading_the_model_for_the_first_time_gives_back_what_the_int8_rewrite_allocated()
    {
        var options = new OnnxEmbeddingOptions { Threads = 1, CacheDirectory = _dir, Quantize = true };
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long allocatedBefore = GC.GetTotalMemory(forceFullCollection: false);
        long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;

        using var generator = new OnnxEmbeddingGenerator(options);
        generator.EnsureLoaded();

        Assert.Contains("-int8-", generator.ModelPath!, StringComparison.Ordinal); // this load did the rewrite
        // Without the collection after the rewrite, either no collection ran since (the garbage is still counted as
        // allocated) or one ran while the rewrite was live (its heap stayed committed): one of the two is hundreds of MB.
        Assert.InRange(GC.GetTotalMemory(forceFullCollection: false) - allocatedBefore, long.MinValue, Slack);
        Assert.InRange(GC.GetGCMemoryInfo().TotalCommittedBytes - committedBefore, long.MinValue, Slack);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Runs <see cref="QuantizationMemoryTests"/> alone: other tests' allocations would move its figures.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuantizationMemoryCollection
{
    public const string Name = "int8 rewrite memory (reads the process's GC figures)";
}
