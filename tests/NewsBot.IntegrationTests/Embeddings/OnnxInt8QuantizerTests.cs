using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>The rewriter on tiny models built here field by field, run in ONNX Runtime before and after.</summary>
public sealed class OnnxInt8QuantizerTests
{
    const int K = 16, N = 8;

    [Theory]
    [InlineData(OnnxInt8Form.DynamicQuantizeMatMul, true, false)]
    [InlineData(OnnxInt8Form.DynamicQuantizeMatMul, false, false)]
    [InlineData(OnnxInt8Form.DynamicQuantizeMatMul, true, true)]
    [InlineData(OnnxInt8Form.MatMulIntegerToFloat, true, false)]
    [InlineData(OnnxInt8Form.MatMulIntegerToFloat, true, true)]
    public void A_weight_MatMul_becomes_int8_and_computes_nearly_the_same(OnnxInt8Form form, bool perColumn, bool foldBias)
    {
        var model = TinyOnnx.Build(withBias: true);
        var options = new OnnxInt8QuantizerOptions { Form = form, PerColumn = perColumn, FoldBias = foldBias };

        var quantized = OnnxInt8Quantizer.Quantize(model, options, out var report);

        Assert.Equal(new OnnxInt8QuantizationReport(1, 1, 1, 1, foldBias ? 1 : 0, form == OnnxInt8Form.MatMulIntegerToFloat ? 1 : 0, model.Length, quantized.Length), report);
        var ops = TinyOnnx.OpTypes(quantized);
        Assert.DoesNotContain("MatMul", ops);
        Assert.Contains(form == OnnxInt8Form.DynamicQuantizeMatMul ? "com.microsoft.DynamicQuantizeMatMul" : "com.microsoft.MatMulIntegerToFloat", ops);
        Assert.Equal(foldBias ? 0 : 1, ops.Count(o => o == "Add"));
        Assert.Equal(["", "com.microsoft"], TinyOnnx.OpsetDomains(quantized));
        Assert.True(quantized.Length < model.Length); // K x N floats became bytes

        var x = TinyOnnx.Random(5 * K, seed: 1);
        var expected = TinyOnnx.Run(model, x, rows: 5);
        var actual = TinyOnnx.Run(quantized, x, rows: 5);
        float range = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 0.03f * range, $"output {i}: {actual[i]} vs {expected[i]} (range {range})");
    }

    [Fact]
    public void A_graph_without_weight_MatMuls_comes_back_unchanged()
    {
        var model = TinyOnnx.Build(weightAsGraphInput: true); // X x W, both fed at run time

        var result = OnnxInt8Quantizer.Quantize(model, null, out var report);

        Assert.Equal(model, result);
        Assert.False(report.Changed);
        Assert.Equal(1, report.MatMulNodes);
    }

    [Fact]
    public void An_already_quantized_model_is_left_as_it_is()
    {
        var once = OnnxInt8Quantizer.Quantize(TinyOnnx.Build(withBias: true), null, out _);

        var twice = OnnxInt8Quantizer.Quantize(once, null, out var report);

        Assert.Equal(once, twice);
        Assert.False(report.Changed);
    }

    [Fact]
    public void A_weight_that_another_node_reads_stays_beside_its_int8_copy()
    {
        var model = TinyOnnx.Build(weightAlsoOutput: true); // Identity(W) is a second graph output

        var quantized = OnnxInt8Quantizer.Quantize(model, null, out var report);

        Assert.Equal(1, report.QuantizedNodes);
        Assert.Equal(0, report.DroppedFloatWeights);
        var x = TinyOnnx.Random(3 * K, seed: 2);
        var expected = TinyOnnx.Run(model, x, rows: 3);
        var actual = TinyOnnx.Run(quantized, x, rows: 3);
        float range = expected.Max(MathF.Abs);
        Assert.All(expected.Zip(actual), p => Assert.True(MathF.Abs(p.First - p.Second) <= 0.03f * range));
    }

    [Fact]
    public void Symmetric_quantization_uses_the_full_range_and_errs_by_at_most_half_a_step()
    {
        var w = TinyOnnx.Random(K * N, seed: 3);
        w[5] = 0; // a column's values need not be non-zero
        var scales = new float[N];
        var q = new sbyte[K * N];

        OnnxInt8Quantizer.QuantizeSymmetric(w, K, N, scales, q);

        for (int col = 0; col < N; col++)
        {
            int peak = Enumerable.Range(0, K).Max(row => Math.Abs((int)q[row * N + col]));
            Assert.Equal(127, peak);
            for (int row = 0; row < K; row++)
                Assert.True(MathF.Abs(q[row * N + col] * scales[col] - w[row * N + col]) <= scales[col] / 2 * 1.0001f);
        }

        var allZero = new float[K * N];
        OnnxInt8Quantizer.QuantizeSymmetric(allZero, K, N, scales, q);
        Assert.All(scales, s => Assert.Equal(1f, s));
        Assert.All(q, v => Assert.Equal(0, v));
    }
}

/// <summary>
/// Builds a one-layer ONNX model with <see cref="ProtoWriter"/>: <c>Y = X · W (+ B)</c>, X <c>[n, 16]</c> float,
/// W <c>[16, 8]</c>, B <c>[8]</c>.
/// </summary>
internal static class TinyOnnx
{
    public static byte[] Build(bool withBias = false, bool weightAsGraphInput = false, bool weightAlsoOutput = false)
    {
        const int k = 16, n = 8;
        var w = Random(k * n, seed: 42);
        var b = Random(n, seed: 43);
        var model = new ProtoWriter();
        model.WriteInt64Field(1, 8); // ir_version
        model.WriteStringField(2, "newsbot-tests");
        model.WriteMessageField(7, g =>
        {
            Node(g, "matmul", "MatMul", ["X", "W"], [withBias ? "XW" : "Y"]);
            if (withBias) Node(g, "bias", "Add", ["XW", "B"], ["Y"]);
            if (weightAlsoOutput) Node(g, "copy", "Identity", ["W"], ["W_copy"]);
            g.WriteStringField(2, "tiny");
            if (!weightAsGraphInput) Tensor(g, "W", [k, n], w);
            if (withBias) Tensor(g, "B", [n], b);
            Value(g, 11, "X", [-1, k]);
            if (weightAsGraphInput) Value(g, 11, "W", [k, n]);
            Value(g, 12, "Y", [-1, n]);
            if (weightAlsoOutput) Value(g, 12, "W_copy", [k, n]);
        });
        model.WriteMessageField(8, o => o.WriteInt64Field(2, 17)); // opset_import { version: 17 }
        return model.WrittenSpan.ToArray();
    }

    static void Node(ProtoWriter g, string name, string op, string[] inputs, string[] outputs) => g.WriteMessageField(1, n =>
    {
        foreach (var i in inputs) n.WriteStringField(1, i);
        foreach (var o in outputs) n.WriteStringField(2, o);
        n.WriteStringField(3, name);
        n.WriteStringField(4, op);
    });

    static void Tensor(ProtoWriter g, string name, long[] dims, float[] values) => g.WriteMessageField(5, t =>
    {
        foreach (var d in dims) t.WriteInt64Field(1, d);
        t.WriteInt64Field(2, 1); // FLOAT
        t.WriteStringField(8, name);
        t.WriteBytesField(9, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    });

    /// <summary>A float tensor value info; -1 = a symbolic dimension.</summary>
    static void Value(ProtoWriter g, int field, string name, long[] dims) => g.WriteMessageField(field, v =>
    {
        v.WriteStringField(1, name);
        v.WriteMessageField(2, type => type.WriteMessageField(1, tensor =>
        {
            tensor.WriteInt64Field(1, 1); // elem_type FLOAT
            tensor.WriteMessageField(2, shape =>
            {
                foreach (var d in dims)
                    shape.WriteMessageField(1, dim =>
                    {
                        if (d < 0) dim.WriteStringField(2, "n");
                        else dim.WriteInt64Field(1, d);
                    });
            });
        }));
    });

    public static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Runs the model on X <c>[rows, 16]</c> and returns Y.</summary>
    public static float[] Run(byte[] model, float[] x, int rows)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(x, [rows, x.Length / rows]))], ["Y"]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    /// <summary>The graph's op types in order, "domain.op" outside the default domain.</summary>
    public static List<string> OpTypes(byte[] model)
    {
        var ops = new List<string>();
        foreach (var graph in Fields(model, 7))
            foreach (var node in Fields(graph, 1))
            {
                string op = Fields(node, 4).Select(Text).Single();
                string domain = Fields(node, 7).Select(Text).SingleOrDefault() ?? "";
                ops.Add(domain.Length > 0 ? $"{domain}.{op}" : op);
            }
        return ops;
    }

    public static List<string> OpsetDomains(byte[] model) =>
        Fields(model, 8).Select(o => Fields(o, 1).Select(Text).SingleOrDefault() ?? "").ToList();

    static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    /// <summary>The payloads of a message's length-delimited fields numbered <paramref name="number"/>.</summary>
    static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var reader = new ProtoReader(message);
        while (reader.Next(out var f))
            if (f.Number == number && f.Type == WireType.LengthDelimited) found.Add(message[f.Payload]);
        return found;
    }
}
