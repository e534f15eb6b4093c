using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NewsBot.Onnx;
using NewsBot.Onnx.Proto;
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
    public void Fields_that_onnx_min_proto_does_not_name_survive_the_rewrite()
    {
        var model = TinyOnnx.Build(withBias: true);

        var quantized = OnnxInt8Quantizer.Quantize(model, null, out var report);

        Assert.True(report.Changed);
        Assert.True(quantized.AsSpan().IndexOf(TinyOnnx.ProducerName()) >= 0, "producer_name was lost");
        Assert.Equal("tiny", ModelProto.Parser.ParseFrom(quantized).Graph.Name);
    }

    [Fact]
    public void Bytes_that_are_not_a_model_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => OnnxInt8Quantizer.Quantize(new byte[] { 0x3A, 0xFF, 0x01, 0x02 }, null, out _));
        Assert.Throws<InvalidDataException>(() => OnnxInt8Quantizer.Quantize(new ModelProto { IrVersion = 8 }.ToByteArray(), null, out _)); // no graph
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
/// Builds a one-layer ONNX model with the generated ONNX classes: <c>Y = X · W (+ B)</c>, X <c>[n, 16]</c> float,
/// W <c>[16, 8]</c>, B <c>[8]</c>. A <c>producer_name</c> (a field onnx_min.proto leaves out) rides along as raw bytes.
/// </summary>
internal static class TinyOnnx
{
    public const string Producer = "newsbot-tests";

    public static byte[] Build(bool withBias = false, bool weightAsGraphInput = false, bool weightAlsoOutput = false)
    {
        const int k = 16, n = 8;
        var w = Random(k * n, seed: 42);
        var b = Random(n, seed: 43);
        var graph = new GraphProto { Name = "tiny" };
        graph.Node.Add(Node("matmul", "MatMul", ["X", "W"], [withBias ? "XW" : "Y"]));
        if (withBias) graph.Node.Add(Node("bias", "Add", ["XW", "B"], ["Y"]));
        if (weightAlsoOutput) graph.Node.Add(Node("copy", "Identity", ["W"], ["W_copy"]));
        if (!weightAsGraphInput) graph.Initializer.Add(Tensor("W", [k, n], w));
        if (withBias) graph.Initializer.Add(Tensor("B", [n], b));
        graph.Input.Add(Value("X", [-1, k]));
        if (weightAsGraphInput) graph.Input.Add(Value("W", [k, n]));
        graph.Output.Add(Value("Y", [-1, n]));
        if (weightAlsoOutput) graph.Output.Add(Value("W_copy", [k, n]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return [.. model.ToByteArray(), .. ProducerName()];
    }

    /// <summary>ModelProto field 2 (producer_name), encoded by hand because onnx_min.proto does not declare it.</summary>
    public static byte[] ProducerName()
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString(Producer);
        output.Flush();
        return buffer.ToArray();
    }

    static NodeProto Node(string name, string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { Name = name, OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }

    static TensorProto Tensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    /// <summary>A float tensor value info; -1 = a symbolic dimension.</summary>
    static ValueInfoProto Value(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(dims.Select(d => d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "n" } : new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

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
    public static List<string> OpTypes(byte[] model) =>
        ModelProto.Parser.ParseFrom(model).Graph.Node.Select(n => n.Domain.Length > 0 ? $"{n.Domain}.{n.OpType}" : n.OpType).ToList();

    public static List<string> OpsetDomains(byte[] model) =>
        ModelProto.Parser.ParseFrom(model).OpsetImport.Select(o => o.Domain).ToList();
}
