using System.Runtime.InteropServices;

namespace NewsBot.Onnx;

/// <summary>Which int8 operators <see cref="OnnxInt8Quantizer"/> writes for a quantized <c>MatMul</c>.</summary>
public enum OnnxInt8Form
{
    /// <summary>
    /// One <c>com.microsoft.DynamicQuantizeMatMul</c> per MatMul: it quantizes its float input to uint8 (per tensor,
    /// asymmetric) on every run and multiplies it with the int8 weight (U8S8 GEMM, prepacked once).
    /// </summary>
    DynamicQuantizeMatMul,

    /// <summary>
    /// One standard <c>DynamicQuantizeLinear</c> per distinct float input, shared by every MatMul that reads it (Q, K
    /// and V read the same hidden states), feeding <c>com.microsoft.MatMulIntegerToFloat</c> per weight.
    /// </summary>
    MatMulIntegerToFloat,
}

/// <summary>How <see cref="OnnxInt8Quantizer"/> rewrites a model.</summary>
public sealed record OnnxInt8QuantizerOptions
{
    /// <summary>The algorithm's version; part of the cache key, so a change of defaults or math yields a new file.</summary>
    public const string AlgorithmVersion = "int8-v1";

    public static OnnxInt8QuantizerOptions Default { get; } = new();

    public OnnxInt8Form Form { get; init; } = OnnxInt8Form.DynamicQuantizeMatMul;

    /// <summary>One scale per weight column (output feature) rather than one per matrix: more accurate, no slower.</summary>
    public bool PerColumn { get; init; } = true;

    /// <summary>
    /// Folds a bias <c>Add</c> that is a MatMul's only consumer (a 1-D float initializer of the output width) into the
    /// int8 operator's bias input, saving one pass over the output (on by default: measured +5–15% passages/s for
    /// MiniLM at batch 8–16, ORT then runs GELU without the bias instead of BiasGelu).
    /// </summary>
    public bool FoldBias { get; init; } = true;

    /// <summary>A short, file-name-safe description of these options, for cache keys.</summary>
    public string Describe() =>
        $"{AlgorithmVersion}-{(Form == OnnxInt8Form.DynamicQuantizeMatMul ? "dqmm" : "mi2f")}-{(PerColumn ? "col" : "tensor")}{(FoldBias ? "-bias" : "")}";
}

/// <summary>What <see cref="OnnxInt8Quantizer.Quantize"/> did.</summary>
/// <param name="MatMulNodes">MatMul nodes in the main graph.</param>
/// <param name="QuantizedNodes">MatMul nodes rewritten to int8 operators.</param>
/// <param name="QuantizedWeights">Distinct float weight initializers quantized (a weight read by two MatMuls counts once).</param>
/// <param name="DroppedFloatWeights">Float weights removed because nothing else read them.</param>
/// <param name="FoldedBiases">Bias Adds folded into the int8 operator.</param>
/// <param name="SharedInputQuantizers">DynamicQuantizeLinear nodes added (MatMulIntegerToFloat form only).</param>
/// <param name="InputBytes">Size of the model given.</param>
/// <param name="OutputBytes">Size of the model returned.</param>
public sealed record OnnxInt8QuantizationReport(
    int MatMulNodes,
    int QuantizedNodes,
    int QuantizedWeights,
    int DroppedFloatWeights,
    int FoldedBiases,
    int SharedInputQuantizers,
    long InputBytes,
    long OutputBytes)
{
    public bool Changed => QuantizedNodes > 0;
}

/// <summary>
/// Dynamic int8 quantization of an ONNX model's weight matrices, done on the protobuf wire format (no ONNX or
/// protobuf schema code): every <c>MatMul</c> of the main graph whose second input is a 2-D float32 initializer
/// (a weight <c>[K, N]</c>) becomes an int8 operator that ONNX Runtime's CPU provider runs with its integer GEMM
/// (AVX512-VNNI / AVX-VNNI where present). Everything else is copied byte for byte.
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
    // ModelProto
    const int ModelIrVersion = 1, ModelGraph = 7, ModelOpsetImport = 8;
    // OperatorSetIdProto
    const int OpsetDomain = 1, OpsetVersion = 2;
    // GraphProto
    const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;
    // NodeProto
    const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;
    // AttributeProto: g (GraphProto) and graphs (repeated GraphProto)
    const int AttributeGraph = 6, AttributeGraphs = 11;
    // TensorProto
    const int TensorDims = 1, TensorDataType = 2, TensorSegment = 3, TensorFloatData = 4, TensorName = 8, TensorRawData = 9,
        TensorExternalData = 13, TensorDataLocation = 14;
    // ValueInfoProto
    const int ValueInfoName = 1;
    // TensorProto.DataType
    const int Float = 1, Int8 = 3;

    const string MicrosoftDomain = "com.microsoft";

    /// <summary>Returns the rewritten model (or an unchanged copy when there is nothing to quantize).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ONNX model.</exception>
    public static byte[] Quantize(ReadOnlySpan<byte> model, OnnxInt8QuantizerOptions? options, out OnnxInt8QuantizationReport report)
    {
        options ??= OnnxInt8QuantizerOptions.Default;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX tensors are little-endian; this rewriter assumes a little-endian machine.");

        var topFields = new List<ProtoField>();
        ProtoField? graphField = null;
        long irVersion = 0;
        bool hasMicrosoftOpset = false;
        var reader = new ProtoReader(model);
        while (reader.Next(out var f))
        {
            topFields.Add(f);
            if (f.Number == ModelGraph && f.Type == WireType.LengthDelimited)
                graphField = graphField is null ? f : throw new InvalidDataException("The model has two graph fields.");
            else if (f.Number == ModelIrVersion && f.Type == WireType.Varint)
                irVersion = (long)f.Value;
            else if (f.Number == ModelOpsetImport && f.Type == WireType.LengthDelimited)
                hasMicrosoftOpset |= OpsetDomainOf(model[f.Payload]) == MicrosoftDomain;
        }
        if (graphField is not { } gf) throw new InvalidDataException("The model has no graph.");

        var graphBytes = model[gf.Payload];
        var graph = GraphInfo.Parse(graphBytes);
        var plan = irVersion >= 4 ? Plan.Make(graphBytes, graph, options) : new Plan();

        if (plan.Nodes.Count == 0)
        {
            report = new OnnxInt8QuantizationReport(graph.CountOps("MatMul"), 0, 0, 0, 0, 0, model.Length, model.Length);
            return model.ToArray();
        }

        var rewrittenGraph = WriteGraph(graphBytes, graph, plan, options);

        int lastOpset = topFields.FindLastIndex(f => f.Number == ModelOpsetImport);
        var output = new ProtoWriter(model.Length / 3);
        for (int i = 0; i < topFields.Count; i++)
        {
            var f = topFields[i];
            if (f.Start == gf.Start) output.WriteBytesField(ModelGraph, rewrittenGraph.WrittenSpan);
            else output.WriteRaw(model[f.Whole]);

            if (i == lastOpset && !hasMicrosoftOpset) WriteMicrosoftOpset(output);
        }
        if (lastOpset < 0 && !hasMicrosoftOpset) WriteMicrosoftOpset(output);

        var result = output.WrittenSpan.ToArray();
        report = new OnnxInt8QuantizationReport(
            graph.CountOps("MatMul"), plan.Nodes.Count, plan.Weights.Count, plan.Weights.Values.Count(w => w.DropFloat),
            plan.Nodes.Values.Count(n => n.BiasAdd >= 0), plan.InputQuantizers.Count, model.Length, result.Length);
        return result;

        static void WriteMicrosoftOpset(ProtoWriter w) => w.WriteMessageField(ModelOpsetImport, m =>
        {
            m.WriteStringField(OpsetDomain, MicrosoftDomain);
            m.WriteInt64Field(OpsetVersion, 1);
        });
    }

    static string OpsetDomainOf(ReadOnlySpan<byte> opset)
    {
        var r = new ProtoReader(opset);
        while (r.Next(out var f))
            if (f.Number == OpsetDomain && f.Type == WireType.LengthDelimited) return ProtoReader.String(opset, f);
        return "";
    }

    static ProtoWriter WriteGraph(ReadOnlySpan<byte> graphBytes, GraphInfo graph, Plan plan, OnnxInt8QuantizerOptions options)
    {
        var w = new ProtoWriter(graphBytes.Length / 3);
        int nodeIndex = 0, initializerIndex = 0;
        var emittedInputQuantizers = new HashSet<string>(StringComparer.Ordinal);
        var reader = new ProtoReader(graphBytes);
        while (reader.Next(out var f))
        {
            switch (f.Number)
            {
                case GraphNode when f.Type == WireType.LengthDelimited:
                {
                    int index = nodeIndex++;
                    if (plan.RemovedNodes.Contains(index)) break;
                    if (!plan.Nodes.TryGetValue(index, out var q))
                    {
                        w.WriteRaw(graphBytes[f.Whole]);
                        break;
                    }
                    var node = graph.Nodes[index];
                    var weight = plan.Weights[node.Inputs[1]];
                    string? bias = q.BiasAdd >= 0 ? q.BiasName : null;
                    string output = q.Output;
                    if (options.Form == OnnxInt8Form.DynamicQuantizeMatMul)
                    {
                        string[] inputs = bias is null
                            ? [node.Inputs[0], weight.QuantizedName, weight.ScaleName]
                            : [node.Inputs[0], weight.QuantizedName, weight.ScaleName, "", bias];
                        WriteNode(w, q.NodeName, "DynamicQuantizeMatMul", MicrosoftDomain, inputs, [output]);
                    }
                    else
                    {
                        var a = plan.InputQuantizers[node.Inputs[0]];
                        if (emittedInputQuantizers.Add(node.Inputs[0]))
                            WriteNode(w, a.NodeName, "DynamicQuantizeLinear", "", [node.Inputs[0]], [a.Quantized, a.Scale, a.ZeroPoint]);
                        string[] inputs = bias is null
                            ? [a.Quantized, weight.QuantizedName, a.Scale, weight.ScaleName, a.ZeroPoint]
                            : [a.Quantized, weight.QuantizedName, a.Scale, weight.ScaleName, a.ZeroPoint, "", bias];
                        WriteNode(w, q.NodeName, "MatMulIntegerToFloat", MicrosoftDomain, inputs, [output]);
                    }
                    break;
                }
                case GraphInitializer when f.Type == WireType.LengthDelimited:
                {
                    var init = graph.Initializers[initializerIndex++];
                    if (init.Name is { } name && plan.Weights.TryGetValue(name, out var weight) && init.Index == weight.InitializerIndex)
                    {
                        if (!weight.DropFloat) w.WriteRaw(graphBytes[f.Whole]);
                        WriteQuantizedWeight(w, graphBytes, init, weight, options.PerColumn);
                    }
                    else
                    {
                        w.WriteRaw(graphBytes[f.Whole]);
                    }
                    break;
                }
                case GraphValueInfo when f.Type == WireType.LengthDelimited:
                    // Drop shape information for values that no longer exist (a MatMul output folded into its bias Add).
                    if (!plan.RemovedValues.Contains(ValueInfoNameOf(graphBytes[f.Payload]) ?? ""))
                        w.WriteRaw(graphBytes[f.Whole]);
                    break;
                default:
                    w.WriteRaw(graphBytes[f.Whole]);
                    break;
            }
        }
        return w;
    }

    static void WriteNode(ProtoWriter w, string name, string opType, string domain, string[] inputs, string[] outputs) =>
        w.WriteMessageField(GraphNode, n =>
        {
            foreach (var i in inputs) n.WriteStringField(NodeInput, i);
            foreach (var o in outputs) n.WriteStringField(NodeOutput, o);
            n.WriteStringField(NodeName, name);
            n.WriteStringField(NodeOpType, opType);
            if (domain.Length > 0) n.WriteStringField(NodeDomain, domain);
        });

    static void WriteQuantizedWeight(ProtoWriter w, ReadOnlySpan<byte> graphBytes, InitializerInfo init, PlannedWeight weight, bool perColumn)
    {
        int k = checked((int)init.Dims[0]), n = checked((int)init.Dims[1]);
        var values = MemoryMarshal.Cast<byte, float>(graphBytes[init.Data]);
        var scales = new float[perColumn ? n : 1];
        var quantized = new byte[values.Length];
        QuantizeSymmetric(values, k, n, scales, MemoryMarshal.Cast<byte, sbyte>(quantized.AsSpan()));

        w.WriteMessageField(GraphInitializer, t =>
        {
            t.WriteInt64Field(TensorDims, k);
            t.WriteInt64Field(TensorDims, n);
            t.WriteInt64Field(TensorDataType, Int8);
            t.WriteStringField(TensorName, weight.QuantizedName);
            t.WriteBytesField(TensorRawData, quantized);
        });
        w.WriteMessageField(GraphInitializer, t =>
        {
            if (perColumn) t.WriteInt64Field(TensorDims, n); // else a scalar: no dims
            t.WriteInt64Field(TensorDataType, Float);
            t.WriteStringField(TensorName, weight.ScaleName);
            t.WriteBytesField(TensorRawData, MemoryMarshal.AsBytes(scales.AsSpan()));
        });
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

    static string? ValueInfoNameOf(ReadOnlySpan<byte> valueInfo)
    {
        var r = new ProtoReader(valueInfo);
        while (r.Next(out var f))
            if (f.Number == ValueInfoName && f.Type == WireType.LengthDelimited) return ProtoReader.String(valueInfo, f);
        return null;
    }

    sealed record NodeInfo(int Index, string OpType, string Domain, string Name, List<string> Inputs, List<string> Outputs, bool HasSubgraph)
    {
        public bool IsStandard(string opType) => OpType == opType && Domain is "" or "ai.onnx";
    }

    sealed record InitializerInfo(int Index, string? Name, long[] Dims, int DataType, Range Data, bool HasData, bool External)
    {
        public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

        /// <summary>A float32 tensor stored in this file, whole, little-endian (raw_data or packed float_data).</summary>
        public bool IsPlainFloat(ReadOnlySpan<byte> graphBytes) =>
            DataType == Float && HasData && !External && Dims.All(d => d >= 0) &&
            graphBytes[Data].Length == ElementCount * sizeof(float);
    }

    sealed class GraphInfo
    {
        public List<NodeInfo> Nodes { get; } = [];
        public List<InitializerInfo> Initializers { get; } = [];
        public Dictionary<string, InitializerInfo> InitializersByName { get; } = new(StringComparer.Ordinal);
        public HashSet<string> GraphInputs { get; } = new(StringComparer.Ordinal);
        public HashSet<string> GraphOutputs { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
        public bool HasSubgraphs { get; private set; }

        public int CountOps(string opType) => Nodes.Count(n => n.IsStandard(opType));

        public static GraphInfo Parse(ReadOnlySpan<byte> graph)
        {
            var info = new GraphInfo();
            var reader = new ProtoReader(graph);
            while (reader.Next(out var f))
            {
                if (f.Type != WireType.LengthDelimited) continue;
                var payload = graph[f.Payload];
                switch (f.Number)
                {
                    case GraphNode:
                        var node = ParseNode(info.Nodes.Count, payload);
                        info.Nodes.Add(node);
                        info.HasSubgraphs |= node.HasSubgraph;
                        info.Names.UnionWith(node.Inputs);
                        info.Names.UnionWith(node.Outputs);
                        info.Names.Add(node.Name);
                        break;
                    case GraphInitializer:
                        var init = ParseInitializer(info.Initializers.Count, payload, f.PayloadStart);
                        info.Initializers.Add(init);
                        if (init.Name is { } name)
                        {
                            info.InitializersByName.TryAdd(name, init);
                            info.Names.Add(name);
                        }
                        break;
                    case GraphInput or GraphOutput or GraphValueInfo:
                        if (ValueInfoNameOf(payload) is { } valueName)
                        {
                            info.Names.Add(valueName);
                            if (f.Number == GraphInput) info.GraphInputs.Add(valueName);
                            if (f.Number == GraphOutput) info.GraphOutputs.Add(valueName);
                        }
                        break;
                }
            }
            return info;
        }

        static NodeInfo ParseNode(int index, ReadOnlySpan<byte> node)
        {
            List<string> inputs = [], outputs = [];
            string opType = "", domain = "", name = "";
            bool hasSubgraph = false;
            var r = new ProtoReader(node);
            while (r.Next(out var f))
            {
                if (f.Type != WireType.LengthDelimited) continue;
                switch (f.Number)
                {
                    case NodeInput: inputs.Add(ProtoReader.String(node, f)); break;
                    case NodeOutput: outputs.Add(ProtoReader.String(node, f)); break;
                    case NodeName: name = ProtoReader.String(node, f); break;
                    case NodeOpType: opType = ProtoReader.String(node, f); break;
                    case NodeDomain: domain = ProtoReader.String(node, f); break;
                    case NodeAttribute:
                        var attribute = node[f.Payload];
                        var ar = new ProtoReader(attribute);
                        while (ar.Next(out var af))
                            hasSubgraph |= af.Number is AttributeGraph or AttributeGraphs;
                        break;
                }
            }
            return new NodeInfo(index, opType, domain, name, inputs, outputs, hasSubgraph);
        }

        /// <param name="offset">Where <paramref name="tensor"/> starts in the graph's bytes (ranges are kept relative to the graph).</param>
        static InitializerInfo ParseInitializer(int index, ReadOnlySpan<byte> tensor, int offset)
        {
            var dims = new List<long>();
            int dataType = 0;
            string? name = null;
            Range data = default;
            bool hasData = false, external = false, unsupportedLayout = false;
            var r = new ProtoReader(tensor);
            while (r.Next(out var f))
            {
                switch (f.Number)
                {
                    case TensorDims when f.Type == WireType.Varint:
                        dims.Add((long)f.Value);
                        break;
                    case TensorDims when f.Type == WireType.LengthDelimited: // packed
                        var packed = new ProtoReader(PrefixAsVarintFields(tensor[f.Payload]));
                        while (packed.Next(out var d)) dims.Add((long)d.Value);
                        break;
                    case TensorDataType when f.Type == WireType.Varint:
                        dataType = (int)f.Value;
                        break;
                    case TensorName when f.Type == WireType.LengthDelimited:
                        name = ProtoReader.String(tensor, f);
                        break;
                    case TensorRawData or TensorFloatData when f.Type == WireType.LengthDelimited:
                        unsupportedLayout |= hasData; // two data fields
                        data = (offset + f.PayloadStart)..(offset + f.End);
                        hasData = true;
                        break;
                    case TensorFloatData: // unpacked repeated floats: legal, rare, not handled
                    case TensorSegment:
                        unsupportedLayout = true;
                        break;
                    case TensorExternalData:
                        external = true;
                        break;
                    case TensorDataLocation when f.Type == WireType.Varint:
                        external |= f.Value == 1;
                        break;
                }
            }
            return new InitializerInfo(index, name, [.. dims], dataType, data, hasData && !unsupportedLayout, external);
        }

        /// <summary>Reads a packed varint list by giving each value a field-1 varint tag (cheap; dims lists are tiny).</summary>
        static byte[] PrefixAsVarintFields(ReadOnlySpan<byte> packed)
        {
            var bytes = new List<byte>(packed.Length * 2);
            bool atStart = true;
            foreach (var b in packed)
            {
                if (atStart) bytes.Add(0x08);
                bytes.Add(b);
                atStart = b < 0x80;
            }
            return [.. bytes];
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

        public static Plan Make(ReadOnlySpan<byte> graphBytes, GraphInfo graph, OnnxInt8QuantizerOptions options)
        {
            var plan = new Plan();
            var names = new HashSet<string>(graph.Names, StringComparer.Ordinal);

            var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            foreach (var node in graph.Nodes)
                foreach (var input in node.Inputs.Distinct())
                {
                    if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                    list.Add(node.Index);
                }

            foreach (var node in graph.Nodes)
            {
                if (!node.IsStandard("MatMul") || node.Inputs.Count != 2 || node.Outputs.Count != 1) continue;
                string weightName = node.Inputs[1];
                if (weightName == node.Inputs[0] || node.Inputs[0].Length == 0) continue;
                if (!graph.InitializersByName.TryGetValue(weightName, out var weight)) continue;
                if (graph.GraphInputs.Contains(weightName)) continue; // overridable at run time: not a constant
                if (weight.Dims.Length != 2 || weight.Dims[0] < 1 || weight.Dims[1] < 1 || !weight.IsPlainFloat(graphBytes)) continue;

                if (!plan.Weights.ContainsKey(weightName))
                    plan.Weights[weightName] = new PlannedWeight(weight.Index, Fresh(names, weightName + "_int8"), Fresh(names, weightName + "_scale"));

                string output = node.Outputs[0];
                int biasAdd = -1;
                string? biasName = null;
                if (options.FoldBias && !graph.GraphOutputs.Contains(output) &&
                    consumers.TryGetValue(output, out var users) && users.Count == 1 &&
                    graph.Nodes[users[0]] is { } add && add.IsStandard("Add") && add.Inputs.Count == 2 && add.Outputs.Count == 1 &&
                    !plan.RemovedNodes.Contains(add.Index))
                {
                    string other = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
                    if (other != output && graph.InitializersByName.TryGetValue(other, out var b) && !graph.GraphInputs.Contains(other) &&
                        b.Dims.Length == 1 && b.Dims[0] == weight.Dims[1] && b.IsPlainFloat(graphBytes))
                    {
                        biasAdd = add.Index;
                        biasName = other;
                        plan.RemovedNodes.Add(add.Index);
                        plan.RemovedValues.Add(output);
                        output = add.Outputs[0];
                    }
                }

                if (options.Form == OnnxInt8Form.MatMulIntegerToFloat && !plan.InputQuantizers.ContainsKey(node.Inputs[0]))
                {
                    string a = node.Inputs[0];
                    plan.InputQuantizers[a] = new InputQuantizer(
                        Fresh(names, a + "_DynamicQuantizeLinear"), Fresh(names, a + "_quantized"), Fresh(names, a + "_scale"), Fresh(names, a + "_zero_point"));
                }

                string nodeName = Fresh(names, (node.Name.Length > 0 ? node.Name : output) + "_int8");
                plan.Nodes[node.Index] = new PlannedNode(nodeName, output, biasAdd, biasName);
            }

            // A float weight goes only when every reader of it is a rewritten MatMul reading it as the weight, and no
            // subgraph could read it from the outer scope.
            foreach (var (name, weight) in plan.Weights)
            {
                weight.DropFloat = !graph.HasSubgraphs && !graph.GraphOutputs.Contains(name) &&
                    consumers[name].All(i => plan.Nodes.ContainsKey(i) && graph.Nodes[i].Inputs[0] != name);
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
