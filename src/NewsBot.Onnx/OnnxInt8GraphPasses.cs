using System.Runtime.InteropServices;
using Google.Protobuf;
using NewsBot.Onnx.Proto;

namespace NewsBot.Onnx;

/// <summary>
/// Two rewrites of a quantized encoder graph that <see cref="OnnxInt8Quantizer"/> applies after it has replaced the
/// weight MatMuls (measured on the 2-core machine, int8 MiniLM, one 200-token passage a run on one thread: together
/// +2.3 % tokens per CPU second, 6 interleaved rounds; BENCHMARKS.md §3.1.1). ONNX Runtime's own fusions do not do
/// either for this export (its attention fusion does not match the mask path), so they are written here.
/// </summary>
internal static class OnnxInt8GraphPasses
{
    const string MicrosoftDomain = "com.microsoft";
    const int Float = 1, Int8 = 3, Int64 = 7;

    /// <summary>
    /// Merges the <c>DynamicQuantizeMatMul</c> nodes that read the same input (a layer's Q, K and V projections)
    /// into one over their weight matrices side by side, followed by a <c>Split</c> into the original outputs: the
    /// input is quantized and packed once instead of three times, and one wider GEMM runs instead of three. With
    /// per-column weight scales and the input's per-tensor quantization, each output column is computed exactly as
    /// before (the same integers, the same scales), so the vectors do not change.
    /// </summary>
    /// <returns>How many nodes were merged away (2 per merged group of 3).</returns>
    public static int MergeSharedInputs(ModelProto model)
    {
        var graph = model.Graph;
        var names = Names(graph);
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) initializers.TryAdd(t.Name, t);
        var readers = Readers(graph);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

        // A candidate: int8 weight [K, N] and per-column scale [N] that only it reads, no zero point, bias [N] or none.
        bool Mergeable(NodeProto n, out int k, out int width)
        {
            k = width = 0;
            if (n.OpType != "DynamicQuantizeMatMul" || n.Domain != MicrosoftDomain || n.Output.Count != 1) return false;
            if (n.Input.Count is not (3 or 5) || (n.Input.Count == 5 && n.Input[3].Length > 0)) return false;
            if (!initializers.TryGetValue(n.Input[1], out var w) || w.DataType != Int8 || w.Dims.Count != 2 || !w.HasRawData) return false;
            if (!initializers.TryGetValue(n.Input[2], out var s) || s.DataType != Float || s.Dims.Count != 1 || s.Dims[0] != w.Dims[1] || !s.HasRawData) return false;
            if (readers.GetValueOrDefault(n.Input[1]) != 1 || readers.GetValueOrDefault(n.Input[2]) != 1 || outputs.Contains(n.Input[1]) || outputs.Contains(n.Input[2])) return false;
            if (n.Input.Count == 5 && !(initializers.TryGetValue(n.Input[4], out var b) && b.DataType == Float && b.Dims.Count == 1 && b.Dims[0] == w.Dims[1] && b.HasRawData)) return false;
            k = checked((int)w.Dims[0]);
            width = checked((int)w.Dims[1]);
            return true;
        }

        var groups = graph.Node
            .Select((n, i) => (Node: n, Index: i))
            .Where(x => Mergeable(x.Node, out _, out _))
            .GroupBy(x => x.Node.Input[0], StringComparer.Ordinal)
            .Where(g => g.Count() > 1 && g.Select(x => (Mergeable(x.Node, out int k, out _), k, x.Node.Input.Count)).Distinct().Count() == 1)
            .ToList();
        if (groups.Count == 0) return 0;

        long opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
        var replaced = new Dictionary<NodeProto, NodeProto[]>();
        var removedInitializers = new HashSet<string>(StringComparer.Ordinal);
        int merged = 0;
        foreach (var group in groups)
        {
            var nodes = group.Select(x => x.Node).ToList();
            Mergeable(nodes[0], out int k, out _);
            var widths = nodes.Select(n => checked((int)initializers[n.Input[1]].Dims[1])).ToArray();
            int total = widths.Sum();
            bool hasBias = nodes[0].Input.Count == 5;

            var weight = new byte[checked(k * total)];
            for (int row = 0, at = 0; row < k; row++)
                for (int j = 0; j < nodes.Count; at += widths[j], j++)
                    initializers[nodes[j].Input[1]].RawData.Span.Slice(row * widths[j], widths[j]).CopyTo(weight.AsSpan(at));
            float[] Concat(int input) => [.. nodes.SelectMany(n => MemoryMarshal.Cast<byte, float>(initializers[n.Input[input]].RawData.Span).ToArray())];

            string name = Fresh(names, nodes[0].Name + "_merged");
            var w = Tensor(Fresh(names, name + "_weight"), Int8, weight, k, total);
            var s = Tensor(Fresh(names, name + "_scale"), Float, MemoryMarshal.AsBytes(Concat(2).AsSpan()).ToArray(), total);
            var b = hasBias ? Tensor(Fresh(names, name + "_bias"), Float, MemoryMarshal.AsBytes(Concat(4).AsSpan()).ToArray(), total) : null;
            graph.Initializer.Add(w);
            graph.Initializer.Add(s);
            if (b is not null) graph.Initializer.Add(b);

            string joined = Fresh(names, name + "_output");
            var matMul = OnnxInt8Quantizer.Node(name, "DynamicQuantizeMatMul", MicrosoftDomain, hasBias ? [nodes[0].Input[0], w.Name, s.Name, "", b!.Name] : [nodes[0].Input[0], w.Name, s.Name], [joined]);
            var split = OnnxInt8Quantizer.Node(Fresh(names, name + "_split"), "Split", "", [joined], [.. nodes.Select(n => n.Output[0])]);
            split.Attribute.Add(Attribute("axis", [-1], list: false));
            var sizes = widths.Select(x => (long)x).ToArray();
            if (opset >= 13)
            {
                var splitSizes = Tensor(Fresh(names, name + "_split_sizes"), Int64, MemoryMarshal.AsBytes(sizes.AsSpan()).ToArray(), sizes.Length);
                graph.Initializer.Add(splitSizes);
                split.Input.Add(splitSizes.Name);
            }
            else
            {
                split.Attribute.Add(Attribute("split", sizes, list: true));
            }

            replaced[nodes[0]] = [matMul, split];
            foreach (var n in nodes.Skip(1)) replaced[n] = [];
            foreach (var n in nodes)
            {
                removedInitializers.Add(n.Input[1]);
                removedInitializers.Add(n.Input[2]);
                // a bias that nothing else reads (it was folded from the float model's Add) goes too
                if (hasBias && readers.GetValueOrDefault(n.Input[4]) == 1 && !outputs.Contains(n.Input[4])) removedInitializers.Add(n.Input[4]);
            }
            merged += nodes.Count - 1;
        }

        var rewritten = graph.Node.SelectMany(n => replaced.TryGetValue(n, out var with) ? with : [n]).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        var kept = graph.Initializer.Where(t => !removedInitializers.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(kept);
        return merged;
    }

    /// <summary>
    /// Removes the attention mask from every self-attention block: the <c>Add</c> of the additive mask (computed from
    /// the <c>attention_mask</c> input alone) to the scores before each <c>Softmax</c>. Only for a session that runs
    /// one unpadded sequence at a time: its mask is all ones, so the Add adds zeros (the vectors do not change), and
    /// the graph no longer reads <c>attention_mask</c> (the input stays declared; a fed value is ignored).
    /// </summary>
    /// <returns>How many mask Adds were removed; 0 when the graph has no such pattern (the graph is left as it was).</returns>
    public static int DropAttentionMask(GraphProto graph, string maskInput = "attention_mask")
    {
        if (!graph.Input.Any(i => i.Name == maskInput)) return 0;
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in graph.Node) foreach (var o in n.Output) producers[o] = n;
        var constants = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var readers = Readers(graph);
        var maskOnly = new Dictionary<string, bool>(StringComparer.Ordinal);

        bool IsConstant(string value) => constants.Contains(value) ||
            (producers.TryGetValue(value, out var c) && c.OpType == "Constant" && c.Input.Count == 0);

        // Whether a value is computed from the mask input and constants only, and from the mask input at least.
        bool FromMask(string value, int depth)
        {
            if (value == maskInput) return true;
            if (maskOnly.TryGetValue(value, out var known)) return known;
            bool result = depth < 32 && !IsConstant(value) && producers.TryGetValue(value, out var p) &&
                p.Attribute.All(a => a.G is null && a.Graphs.Count == 0) &&
                p.Input.Any(i => i.Length > 0 && !IsConstant(i)) &&
                p.Input.All(i => i.Length == 0 || IsConstant(i) || FromMask(i, depth + 1));
            maskOnly[value] = result;
            return result;
        }

        var removed = new HashSet<NodeProto>();
        foreach (var softmax in graph.Node.Where(n => n.OpType == "Softmax" && n.Domain is "" or "ai.onnx" && n.Input.Count == 1))
        {
            if (!producers.TryGetValue(softmax.Input[0], out var add) || add.OpType != "Add" || add.Domain is not ("" or "ai.onnx") || add.Input.Count != 2) continue;
            if (readers.GetValueOrDefault(add.Output[0]) != 1 || graph.Output.Any(o => o.Name == add.Output[0])) continue;
            int mask = FromMask(add.Input[1], 0) ? 1 : FromMask(add.Input[0], 0) ? 0 : -1;
            if (mask < 0 || FromMask(add.Input[1 - mask], 0)) continue;
            softmax.Input[0] = add.Input[1 - mask];
            removed.Add(add);
        }
        if (removed.Count == 0) return 0;

        var nodes = graph.Node.Where(n => !removed.Contains(n)).ToList();
        // The mask's own nodes (Unsqueeze, Cast, Sub, Mul...) are read by nothing now: drop them, and their constants.
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var read = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
            int before = nodes.Count;
            nodes.RemoveAll(n => n.Output.All(o => !read.Contains(o) && !graphOutputs.Contains(o)) &&
                (n.Output.Any(o => maskOnly.GetValueOrDefault(o)) || (n.OpType == "Constant" && n.Input.Count == 0)));
            if (nodes.Count == before) break;
        }
        var stillRead = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var orphans = graph.Node.Where(n => !nodes.Contains(n)).SelectMany(n => n.Input).Where(i => constants.Contains(i) && !stillRead.Contains(i)).ToHashSet(StringComparer.Ordinal);
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var kept = graph.Initializer.Where(t => !orphans.Contains(t.Name) || graphOutputs.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(kept);
        var values = nodes.SelectMany(n => n.Output).Concat(nodes.SelectMany(n => n.Input)).ToHashSet(StringComparer.Ordinal);
        var info = graph.ValueInfo.Where(v => values.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(info);
        return removed.Count;
    }

    static Dictionary<string, int> Readers(GraphProto graph)
    {
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
            foreach (var i in n.Input.Distinct())
                readers[i] = readers.GetValueOrDefault(i) + 1;
        return readers;
    }

    static HashSet<string> Names(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            names.Add(n.Name);
            names.UnionWith(n.Input);
            names.UnionWith(n.Output);
        }
        names.UnionWith(graph.Initializer.Select(t => t.Name));
        names.UnionWith(graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Select(v => v.Name));
        return names;
    }

    /// <summary>
    /// An INT (one value) or INTS attribute. onnx_min.proto names no attribute field but the subgraphs, so that every
    /// other attribute of a model passes through byte for byte (a parsed message writes its known fields first): this
    /// one is encoded by hand (onnx.proto: name = 1, i = 3, ints = 8, type = 20) and kept as unknown fields.
    /// </summary>
    internal static AttributeProto Attribute(string name, long[] values, bool list)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(name);
            foreach (var v in values)
            {
                output.WriteTag(list ? 8 : 3, WireFormat.WireType.Varint);
                output.WriteInt64(v);
            }
            output.WriteTag(20, WireFormat.WireType.Varint);
            output.WriteInt32(list ? 7 : 2); // AttributeType INTS or INT
        }
        return AttributeProto.Parser.ParseFrom(buffer.ToArray());
    }

    /// <summary>A FLOAT attribute, encoded by hand as <see cref="Attribute"/> is (onnx.proto: f = 2, type FLOAT = 1).</summary>
    internal static AttributeProto FloatAttribute(string name, float value)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(name);
            output.WriteTag(2, WireFormat.WireType.Fixed32);
            output.WriteFloat(value);
            output.WriteTag(20, WireFormat.WireType.Varint);
            output.WriteInt32(1);
        }
        return AttributeProto.Parser.ParseFrom(buffer.ToArray());
    }

    static TensorProto Tensor(string name, int type, byte[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = type, RawData = ByteString.CopyFrom(data) };
        t.Dims.Add(dims);
        return t;
    }

    static string Fresh(ISet<string> names, string wanted)
    {
        string name = wanted;
        for (int i = 1; !names.Add(name); i++) name = $"{wanted}_{i}";
        return name;
    }
}
