using NewsBot.Onnx;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>One generator per model for all tests of a class; the model file is cached across runs in temp.</summary>
public abstract class OnnxGeneratorFixture : IDisposable
{
    public static readonly string SharedCacheDirectory = Path.Combine(Path.GetTempPath(), "newsbot-tests", "onnx-cache");

    protected OnnxGeneratorFixture(LocalEmbeddingModel model, bool quantize = false)
    {
        Generator = new OnnxEmbeddingGenerator(
            new OnnxEmbeddingOptions { Model = model.ToString(), Threads = 2, BatchSize = 4, MaxTokens = 256, Quantize = quantize },
            SharedCacheDirectory);
    }

    public OnnxEmbeddingGenerator Generator { get; }

    public void Dispose()
    {
        Generator.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class MiniLMFixture() : OnnxGeneratorFixture(LocalEmbeddingModel.MiniLM);

public sealed class ArcticXsFixture() : OnnxGeneratorFixture(LocalEmbeddingModel.ArcticXs);

/// <summary>The int8 MiniLM (<see cref="OnnxEmbeddingOptions.Quantize"/>), cached beside the float model.</summary>
public sealed class MiniLMInt8Fixture() : OnnxGeneratorFixture(LocalEmbeddingModel.MiniLM, quantize: true);

internal static class Vectors
{
    public static float Cosine(ReadOnlyMemory<float> a, ReadOnlyMemory<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a.Span, b.Span);

    public static float Norm(ReadOnlyMemory<float> a) => System.Numerics.Tensors.TensorPrimitives.Norm(a.Span);
}
