using System.Runtime.InteropServices;
using Google.Protobuf;
using NewsBot.Onnx.Proto;

namespace NewsBot.Onnx;

/// <summary>
/// Dynamic int8 quantization of an ONNX model's weight matrices: every <c>MatMul</c> of the main graph whose second
/// input is a 2-D float32 initializer (a weight <c>[K, N]</c>) becomes an int8 operator that ONNX Runtime's CPU
/// provider runs with its integer GEMM (AVX512-VNNI / AVX-VNNI where present). The model is read and written through
/// the ONNX message classes generated from <c>onnx_min.proto</c> (Google.Protobuf); fields that file does not name
/// are kept as unknown fields and written back as they came, so everything but the rewritten nodes and weights
/// survives (top-level fields may come back in another order, which protobuf readers ignore).
/// </summary>
/// <remarks>
/// <para>Weights: symmetric int8 in [-127, 127], zero point 0 (the optional zero-point input is left out), scale
/// max|w| / 127 per column (or per matrix), round half to even. Activations are quantized at run time by ONNX
/// Runtime to uint8 with a per-tensor scale and zero point (what <c>DynamicQuantizeLinear</c> computes).</para>
/// <para>Left alone: MatMuls of two activations (attention scores), MatMuls in subgraphs, weights that are graph
/// inputs (overridable), stored outside the file, in segments, or not float32. A float weight that some other node
/// also reads is kept beside its int8 copy. A model with nothing to quantize comes back unchanged.</para>
/// <para>The <c>com.microsoft</c> opset (version 1) is imported when missing. The model must use IR version 4 or
/// later (initializers that are not graph inputs).</para>
/// <para>On x86-64 CPUs without VNNI, ONNX Runtime's U8S8 kernels add pairs of products in saturating 16-bit
/// arithmetic, which can clip full-range int8 weights; run such sessions with
/// <c>session.x64quantprecision = 1</c> (see <see cref="OnnxModelRuntime"/>).</para>
/// </remarks>
public static class OnnxInt8Quantizer
{
    // TensorProto.DataType
    const int Float = 1, Int8 = 3;
    // TensorProto.DataLocation
    const int External = 1;

    const string MicrosoftDomain = "com.microsoft";

    /// <summary>Returns the rewritten model (or an unchanged copy when there is nothing to quantize).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ONNX model.</exception>
    public static byte[] Quantize(ReadOnlySpan<byte> model, OnnxInt8QuantizerOptions? options, out OnnxInt8QuantizationReport report)
    {
        options ??= OnnxInt8QuantizerOptions.Default;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX tensors are little-endian; this rewriter assumes a little-endian machine.");

        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Not a valid ONNX model: {e.Message}", e);
        }
        if (proto.Graph is not { } graph) throw new InvalidDataException("The model has no graph.");

        var info = GraphInfo.Of(graph);
        int matMuls = graph.Node.Count(n => IsStandard(n, "MatMul"));
        var plan = proto.IrVersion >= 4 ? Plan.Make(graph, info, options) : new Plan();
        if (plan.Nodes.Count == 0)
        {
            report = new OnnxInt8QuantizationReport(matMuls, 0, 0, 0, 0, 0, model.Length, model.Length);
            return model.ToArray();
        }

        Rewrite(graph, plan, options);
        if (!proto.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        int merged = options.Merges && !info.HasSubgraphs ? OnnxInt8GraphPasses.MergeSharedInputs(proto) : 0;
        int masks = options.DropAttentionMask && !info.HasSubgraphs ? OnnxInt8GraphPasses.DropAttentionMask(graph) : 0;
        int heads = options.FoldsHeads && masks > 0 ? OnnxInt8FusionPasses.FoldHeadTransposes(graph) : 0;

        var result = proto.ToByteArray();
        report = new OnnxInt8QuantizationReport(
            matMuls, plan.Nodes.Count, plan.Weights.Count, plan.Weights.Values.Count(w => w.DropFloat),
            plan.Nodes.Values.Count(n => n.BiasAdd >= 0), plan.InputQuantizers.Count, model.Length, result.Length)
        { MergedNodes = merged, DroppedMaskAdds = masks, FoldedAttentionBlocks = heads };
        return result;
    }

    static bool IsStandard(NodeProto node, string opType) => node.OpType == opType && node.Domain is "" or "ai.onnx";

    /// <summary>Replaces planned MatMuls (and folded Adds) by int8 nodes and puts each int8 weight after its float one.</summary>
    static void Rewrite(GraphProto graph, Plan plan, OnnxInt8QuantizerOptions options)
    {
        var nodes = new List<NodeProto>(graph.Node.Count);
        var emittedInputQuantizers = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < graph.Node.Count; index++)
        {
            var node = graph.Node[index];
            if (plan.RemovedNodes.Contains(index)) continue;
            if (!plan.Nodes.TryGetValue(index, out var q))
            {
                nodes.Add(node);
                continue;
            }
            var weight = plan.Weights[node.Input[1]];
            string? bias = q.BiasAdd >= 0 ? q.BiasName : null;
            if (options.Form == OnnxInt8Form.DynamicQuantizeMatMul)
            {
                string[] inputs = bias is null
                    ? [node.Input[0], weight.QuantizedName, weight.ScaleName]
                    : [node.Input[0], weight.QuantizedName, weight.ScaleName, "", bias];
                nodes.Add(Node(q.NodeName, "DynamicQuantizeMatMul", MicrosoftDomain, inputs, [q.Output]));
            }
            else
            {
                var a = plan.InputQuantizers[node.Input[0]];
                if (emittedInputQuantizers.Add(node.Input[0]))
                    nodes.Add(Node(a.NodeName, "DynamicQuantizeLinear", "", [node.Input[0]], [a.Quantized, a.Scale, a.ZeroPoint]));
                string[] inputs = bias is null
                    ? [a.Quantized, weight.QuantizedName, a.Scale, weight.ScaleName, a.ZeroPoint]
                    : [a.Quantized, weight.QuantizedName, a.Scale, weight.ScaleName, a.ZeroPoint, "", bias];
                nodes.Add(Node(q.NodeName, "MatMulIntegerToFloat", MicrosoftDomain, inputs, [q.Output]));
            }
        }
        graph.Node.Clear();
        graph.Node.AddRange(nodes);

        var initializers = new List<TensorProto>(graph.Initializer.Count + plan.Weights.Count * 2);
        for (int index = 0; index < graph.Initializer.Count; index++)
        {
            var init = graph.Initializer[index];
            if (init.HasName && plan.Weights.TryGetValue(init.Name, out var weight) && index == weight.InitializerIndex)
            {
                if (!weight.DropFloat) initializers.Add(init);
                initializers.AddRange(QuantizedWeight(init, weight, options.PerColumn));
            }
            else
            {
                initializers.Add(init);
            }
        }
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);

        // Drop shape information for values that no longer exist (a MatMul output folded into its bias Add).
        var kept = graph.ValueInfo.Where(v => !plan.RemovedValues.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(kept);
    }

    internal static NodeProto Node(string name, string opType, string domain, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { Name = name, OpType = opType };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        if (domain.Length > 0) node.Domain = domain;
        return node;
    }

    static TensorProto[] QuantizedWeight(TensorProto init, PlannedWeight weight, bool perColumn)
    {
        int k = checked((int)init.Dims[0]), n = checked((int)init.Dims[1]);
        var values = FloatValues(init);
        var scales = new float[perColumn ? n : 1];
        var quantized = new byte[values.Length];
        QuantizeSymmetric(values, k, n, scales, MemoryMarshal.Cast<byte, sbyte>(quantized.AsSpan()));

        var q = new TensorProto { DataType = Int8, Name = weight.QuantizedName, RawData = ByteString.CopyFrom(quantized) };
        q.Dims.Add([k, n]);
        var s = new TensorProto { DataType = Float, Name = weight.ScaleName, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan())) };
        if (perColumn) s.Dims.Add(n); // else a scalar: no dims
        return [q, s];
    }

    /// <summary>A plain float tensor's values (<see cref="IsPlainFloat"/>): its raw_data, or its float_data.</summary>
    static ReadOnlySpan<float> FloatValues(TensorProto t) =>
        t.HasRawData ? MemoryMarshal.Cast<byte, float>(t.RawData.Span) : t.FloatData.ToArray();

    /// <summary>A float32 tensor stored in this file, whole, in one data field (little-endian raw_data or float_data).</summary>
    static bool IsPlainFloat(TensorProto t)
    {
        if (t.DataType != Float || t.Segment is not null || t.DataLocation == External || t.ExternalData.Count > 0) return false;
        if (t.Dims.Any(d => d < 0)) return false;
        long count = t.Dims.Aggregate(1L, (a, d) => a * d);
        return t.HasRawData
            ? t.FloatData.Count == 0 && t.RawData.Length == count * sizeof(float)
            : t.FloatData.Count == count && count > 0;
    }

    /// <summary>
    /// Symmetric int8 of a row-major <c>[k, n]</c> matrix: one scale per column when <paramref name="scales"/> has
    /// <paramref name="n"/> entries, else one for all; q = round(w / scale) clamped to [-127, 127].
    /// </summary>
    internal static void QuantizeSymmetric(ReadOnlySpan<float> values, int k, int n, Span<float> scales, Span<sbyte> quantized)
    {
        if (values.Length != k * n || quantized.Length != values.Length) throw new ArgumentException("Shape and buffer sizes differ.");
        bool perColumn = scales.Length == n;
        if (!perColumn && scales.Length != 1) throw new ArgumentException("One scale, or one per column.", nameof(scales));

        scales.Clear();
        for (int row = 0; row < k; row++)
        {
            var r = values.Slice(row * n, n);
            for (int col = 0; col < n; col++)
            {
                float a = MathF.Abs(r[col]);
                if (!float.IsFinite(a)) throw new InvalidDataException("A weight matrix holds a NaN or infinity.");
                int s = perColumn ? col : 0;
                if (a > scales[s]) scales[s] = a;
            }
        }
        for (int s = 0; s < scales.Length; s++) scales[s] = scales[s] > 0 ? scales[s] / 127f : 1f;

        for (int row = 0; row < k; row++)
        {
            var r = values.Slice(row * n, n);
            var q = quantized.Slice(row * n, n);
            for (int col = 0; col < n; col++)
            {
                float v = MathF.Round(r[col] / scales[perColumn ? col : 0], MidpointRounding.ToEven);
                q[col] = (sbyte)Math.Clamp(v, -127f, 127f);
            }
        }
    }

    /// <summary>Names, graph inputs and outputs, initializers by name (the first of a name wins), subgraph presence.</summary>
    sealed class GraphInfo
    {
        public Dictionary<string, (int Index, TensorProto Tensor)> InitializersByName { get; } = new(StringComparer.Ordinal);
        public HashSet<string> GraphInputs { get; } = new(StringComparer.Ordinal);
        public HashSet<string> GraphOutputs { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
        public bool HasSubgraphs { get; private set; }

        public static GraphInfo Of(GraphProto graph)
        {
            var info = new GraphInfo();
            foreach (var node in graph.Node)
            {
                info.HasSubgraphs |= node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0);
                info.Names.UnionWith(node.Input);
                info.Names.UnionWith(node.Output);
                info.Names.Add(node.Name);
            }
            for (int i = 0; i < graph.Initializer.Count; i++)
            {
                var init = graph.Initializer[i];
                if (!init.HasName) continue;
                info.InitializersByName.TryAdd(init.Name, (i, init));
                info.Names.Add(init.Name);
            }
            foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Where(v => v.HasName))
                info.Names.Add(v.Name);
            info.GraphInputs.UnionWith(graph.Input.Where(v => v.HasName).Select(v => v.Name));
            info.GraphOutputs.UnionWith(graph.Output.Where(v => v.HasName).Select(v => v.Name));
            return info;
        }
    }

    sealed record PlannedWeight(int InitializerIndex, string QuantizedName, string ScaleName)
    {
        public bool DropFloat { get; set; }
    }

    sealed record PlannedNode(string NodeName, string Output, int BiasAdd, string? BiasName);

    sealed record InputQuantizer(string NodeName, string Quantized, string Scale, string ZeroPoint);

    sealed class Plan
    {
        public Dictionary<int, PlannedNode> Nodes { get; } = [];
        public Dictionary<string, PlannedWeight> Weights { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, InputQuantizer> InputQuantizers { get; } = new(StringComparer.Ordinal);
        public HashSet<int> RemovedNodes { get; } = [];
        public HashSet<string> RemovedValues { get; } = new(StringComparer.Ordinal);

        public static Plan Make(GraphProto graph, GraphInfo info, OnnxInt8QuantizerOptions options)
        {
            var plan = new Plan();
            var names = new HashSet<string>(info.Names, StringComparer.Ordinal);

            var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (int index = 0; index < graph.Node.Count; index++)
                foreach (var input in graph.Node[index].Input.Distinct())
                {
                    if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                    list.Add(index);
                }

            for (int index = 0; index < graph.Node.Count; index++)
            {
                var node = graph.Node[index];
                if (!IsStandard(node, "MatMul") || node.Input.Count != 2 || node.Output.Count != 1) continue;
                string weightName = node.Input[1];
                if (weightName == node.Input[0] || node.Input[0].Length == 0) continue;
                if (!info.InitializersByName.TryGetValue(weightName, out var weight)) continue;
                if (info.GraphInputs.Contains(weightName)) continue; // overridable at run time: not a constant
                var dims = weight.Tensor.Dims;
                if (dims.Count != 2 || dims[0] < 1 || dims[1] < 1 || !IsPlainFloat(weight.Tensor)) continue;

                if (!plan.Weights.ContainsKey(weightName))
                    plan.Weights[weightName] = new PlannedWeight(weight.Index, Fresh(names, weightName + "_int8"), Fresh(names, weightName + "_scale"));

                string output = node.Output[0];
                int biasAdd = -1;
                string? biasName = null;
                if (options.FoldBias && !info.GraphOutputs.Contains(output) &&
                    consumers.TryGetValue(output, out var users) && users.Count == 1 &&
                    graph.Node[users[0]] is { } add && IsStandard(add, "Add") && add.Input.Count == 2 && add.Output.Count == 1 &&
                    !plan.RemovedNodes.Contains(users[0]))
                {
                    string other = add.Input[0] == output ? add.Input[1] : add.Input[0];
                    if (other != output && info.InitializersByName.TryGetValue(other, out var b) && !info.GraphInputs.Contains(other) &&
                        b.Tensor.Dims.Count == 1 && b.Tensor.Dims[0] == dims[1] && IsPlainFloat(b.Tensor))
                    {
                        biasAdd = users[0];
                        biasName = other;
                        plan.RemovedNodes.Add(users[0]);
                        plan.RemovedValues.Add(output);
                        output = add.Output[0];
                    }
                }

                if (options.Form == OnnxInt8Form.MatMulIntegerToFloat && !plan.InputQuantizers.ContainsKey(node.Input[0]))
                {
                    string a = node.Input[0];
                    plan.InputQuantizers[a] = new InputQuantizer(
                        Fresh(names, a + "_DynamicQuantizeLinear"), Fresh(names, a + "_quantized"), Fresh(names, a + "_scale"), Fresh(names, a + "_zero_point"));
                }

                string nodeName = Fresh(names, (node.Name.Length > 0 ? node.Name : output) + "_int8");
                plan.Nodes[index] = new PlannedNode(nodeName, output, biasAdd, biasName);
            }

            // A float weight goes only when every reader of it is a rewritten MatMul reading it as the weight, and no
            // subgraph could read it from the outer scope.
            foreach (var (name, weight) in plan.Weights)
            {
                weight.DropFloat = !info.HasSubgraphs && !info.GraphOutputs.Contains(name) &&
                    consumers[name].All(i => plan.Nodes.ContainsKey(i) && graph.Node[i].Input[0] != name);
            }
            return plan;
        }

        static string Fresh(HashSet<string> names, string wanted)
        {
            string name = wanted;
            for (int i = 1; !names.Add(name); i++) name = $"{wanted}_{i}";
            return name;
        }
    }
}
