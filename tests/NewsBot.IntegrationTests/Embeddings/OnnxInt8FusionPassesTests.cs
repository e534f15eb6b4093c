using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NewsBot.Onnx;
using NewsBot.Onnx.Proto;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>
/// The head-Transpose fold on one attention block written here as the BERT exports write it (2 heads of 3), run in ONNX
/// Runtime before and after: the same outputs, fewer Transposes, and a graph it cannot fold safely left as it was.
/// </summary>
public sealed class OnnxInt8FusionPassesTests
{
    const int Heads = 2, Size = 3, Hidden = Heads * Size, Sequence = 5;

    [Theory]
    [InlineData(-1L)]
    [InlineData(3L)] // snowflake-arctic-embed-xs names the last axis of the 4-D scores 3
    public void The_folded_attention_computes_what_the_transposed_one_did(long softmaxAxis)
    {
        var model = Attention(softmaxAxis, shapeReadOutside: false);
        var folded = ModelProto.Parser.ParseFrom(model.ToByteArray());

        Assert.Equal(1, OnnxInt8FusionPasses.FoldHeadTransposes(folded.Graph));

        var ops = folded.Graph.Node.Select(n => n.Domain.Length > 0 ? $"{n.Domain}.{n.OpType}" : n.OpType).ToList();
        Assert.Equal(1, ops.Count(op => op == "Transpose")); // the context's only; Q, K and V are read in place
        Assert.Equal(2, ops.Count(op => op == "com.microsoft.FusedMatMul"));
        Assert.DoesNotContain("MatMul", ops);
        Assert.DoesNotContain("Div", ops); // the scale is the first FusedMatMul's alpha
        Assert.DoesNotContain("Shape", ops); // the old output Reshape's shape computation went with it

        var (q, k, v) = (TinyOnnx.Random(Sequence * Hidden, 1), TinyOnnx.Random(Sequence * Hidden, 2), TinyOnnx.Random(Sequence * Hidden, 3));
        var expected = Run(model.ToByteArray(), q, k, v);
        var actual = Run(folded.ToByteArray(), q, k, v);
        Assert.Equal(Sequence * Hidden, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.True(MathF.Abs(p.First - p.Second) <= 1e-6f, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void A_graph_that_reads_the_transposed_context_elsewhere_is_left_as_it_was()
    {
        // The context's Shape is also a graph output: without that Transpose it would have no input, so nothing changes.
        var model = Attention(-1, shapeReadOutside: true);
        var graph = model.Graph.Clone();

        Assert.Equal(0, OnnxInt8FusionPasses.FoldHeadTransposes(graph));
        Assert.Equal(model.Graph, graph);
    }

    [Fact]
    public void A_graph_with_the_mask_Add_before_the_Softmax_is_not_folded()
    {
        // A padded batch needs its mask and its batch axis: the fold only takes Softmax(scale(Q·Kᵀ)).
        var model = Attention(-1, shapeReadOutside: false, maskAdd: true);
        var graph = model.Graph.Clone();

        Assert.Equal(0, OnnxInt8FusionPasses.FoldHeadTransposes(graph));
        Assert.Equal(model.Graph, graph);
    }

    /// <summary>
    /// q, k, v <c>[1, s, 6]</c> → Reshape [1, -1, 2, 3] → Transpose (K to [1, 2, 3, s]) → MatMul → Div √3 (→ Add mask)
    /// → Softmax → MatMul V → Transpose → Reshape to the shape read from the context (Shape, Gather, Concat).
    /// </summary>
    static ModelProto Attention(long softmaxAxis, bool shapeReadOutside, bool maskAdd = false)
    {
        var graph = new GraphProto { Name = "attention" };
        graph.Initializer.Add(Int64s("heads_shape", 1, -1, Heads, Size));
        graph.Initializer.Add(Int64s("zero", 0));
        graph.Initializer.Add(Int64s("one", 1));
        graph.Initializer.Add(Int64s("hidden", Hidden));
        graph.Initializer.Add(Floats("scale", [], MathF.Sqrt(Size)));
        foreach (var (name, perm) in new[] { ("q", new long[] { 0, 2, 1, 3 }), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3]) })
        {
            graph.Input.Add(Value(name, 1, -1, Hidden));
            graph.Node.Add(Node($"{name}_reshape", "Reshape", [name, "heads_shape"], [$"{name}_4d"]));
            graph.Node.Add(Node($"{name}_transpose", "Transpose", [$"{name}_4d"], [$"{name}_heads"], Ints("perm", perm)));
        }
        graph.Node.Add(Node("scores", "MatMul", ["q_heads", "k_heads"], ["scores_out"]));
        graph.Node.Add(Node("div", "Div", ["scores_out", "scale"], ["scaled"]));
        if (maskAdd)
        {
            graph.Initializer.Add(Floats("mask", [1, 1, 1, Sequence], new float[Sequence]));
            graph.Node.Add(Node("mask_add", "Add", ["scaled", "mask"], ["masked"]));
        }
        graph.Node.Add(Node("softmax", "Softmax", [maskAdd ? "masked" : "scaled"], ["probabilities"], Ints("axis", softmaxAxis)));
        graph.Node.Add(Node("context", "MatMul", ["probabilities", "v_heads"], ["context_out"]));
        graph.Node.Add(Node("merge", "Transpose", ["context_out"], ["merged"], Ints("perm", 0, 2, 1, 3)));
        graph.Node.Add(Node("shape_of", "Shape", ["merged"], ["merged_shape"]));
        graph.Node.Add(Node("batch", "Gather", ["merged_shape", "zero"], ["batch_dim"]));
        graph.Node.Add(Node("sequence", "Gather", ["merged_shape", "one"], ["sequence_dim"]));
        graph.Node.Add(Node("out_shape", "Concat", ["batch_dim", "sequence_dim", "hidden"], ["output_shape"], Ints("axis", 0)));
        graph.Node.Add(Node("output", "Reshape", ["merged", "output_shape"], ["y"]));
        graph.Output.Add(Value("y", 1, -1, Hidden));
        if (shapeReadOutside)
        {
            graph.Node.Add(Node("shape_out", "Identity", ["merged_shape"], ["shape_copy"]));
            graph.Output.Add(new ValueInfoProto { Name = "shape_copy", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 7 } } });
        }
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return model;
    }

    static float[] Run(byte[] model, float[] q, float[] k, float[] v)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        int[] shape = [1, Sequence, Hidden];
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("q", new DenseTensor<float>(q, shape)),
            NamedOnnxValue.CreateFromTensor("k", new DenseTensor<float>(k, shape)),
            NamedOnnxValue.CreateFromTensor("v", new DenseTensor<float>(v, shape)),
        ], ["y"]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    static NodeProto Node(string name, string op, string[] inputs, string[] outputs, AttributeProto? attribute = null)
    {
        var node = new NodeProto { Name = name, OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        if (attribute is not null) node.Attribute.Add(attribute);
        return node;
    }

    static AttributeProto Ints(string name, params long[] values) =>
        OnnxInt8GraphPasses.Attribute(name, values, list: name == "perm");

    static TensorProto Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = 7, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.Add(values.Length);
        return t;
    }

    static TensorProto Floats(string name, long[] dims, params float[] values)
    {
        var t = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.Add(dims);
        return t;
    }

    static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(dims.Select(d => d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "s" } : new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
