using System.Numerics.Tensors;

namespace NewsBot.Core.Retrieval;

public static class VectorMath
{
    public static void NormalizeInPlace(Span<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        if (norm > 0 && MathF.Abs(norm - 1f) > 1e-6f) TensorPrimitives.Divide(v, norm, v);
    }

    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);
}
