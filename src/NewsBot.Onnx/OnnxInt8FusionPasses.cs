using System.Runtime.InteropServices;
using Google.Protobuf;
using NewsBot.Onnx.Proto;

namespace NewsBot.Onnx;

/// <summary>
/// A rewrite of the attention for ONNX Runtime's CPU kernels, applied by <see cref="OnnxInt8Quantizer"/> after
/// <see cref="OnnxInt8GraphPasses"/>: none of ORT's own fusions folds the head Transposes of this export into the
/// MatMuls (its MatMul/Transpose fusion takes only a swap of the last two axes), so it is written here. Measured in
/// BENCHMARKS.md §3.1.2 (where a hand-written SkipLayerNormalization fusion, tried and slower, is described too).
/// </summary>
internal static class OnnxInt8FusionPasses
{
    const string MicrosoftDomain = "com.microsoft";
    const int Float = 1, Int64 = 7;

    /// <summary>
    /// For a graph that runs one sequence at a time (batch 1, no attention mask: <see cref="OnnxInt8GraphPasses.DropAttentionMask"/>):
    /// each self-attention block's Q, K and V are reshaped to [sequence, heads, head size] and read in place by
    /// <c>com.microsoft.FusedMatMul</c> with <c>transBatchA</c>/<c>transBatchB</c> (strided, head by head) instead
    /// of being copied into [heads, sequence, head size] by three Transposes; only the output's Transpose remains.
    /// The same products, summed in the same order: the vectors do not change.
    /// </summary>
    /// <returns>How many attention blocks were rewritten.</returns>
    public static int FoldHeadTransposes(GraphProto graph)
    {
        var g = new GraphView(graph);
        var replaced = new Dictionary<NodeProto, NodeProto[]>();
        var removed = new HashSet<NodeProto>();
        var shapes = new Dictionary<(long, long), (string Heads, string Output)>();
        foreach (var softmax in graph.Node.Where(n => Is(n, "Softmax") && n.Input.Count == 1 && g.Attribute(n, "axis") is { I: -1 or 3 }))
        {
            if (g.Producer(softmax.Input[0]) is not { } scale || !(Is(scale, "Div") || Is(scale, "Mul")) || g.ReadersOf(scale.Output[0]).Count != 1) continue;
            if (g.ScalarFloat(scale.Input[1]) is not { } factor || factor == 0) continue;
            if (g.Producer(scale.Input[0]) is not { } scores || !Is(scores, "MatMul") || g.ReadersOf(scores.Output[0]).Count != 1) continue;
            if (g.Single(softmax.Output[0]) is not { } context || !Is(context, "MatMul") || context.Input[0] != softmax.Output[0]) continue;
            if (g.Single(context.Output[0]) is not { } merge || !IsTranspose(g, merge, 0, 2, 1, 3)) continue;
            // Besides the Reshape, the export reads the merged tensor's Shape for that Reshape's target: those go with it.
            var mergeReaders = g.ReadersOf(merge.Output[0]);
            if (mergeReaders.Where(n => !Is(n, "Shape")).ToList() is not [{ } output] || !Is(output, "Reshape") || output.Input[0] != merge.Output[0]) continue;
            if (HeadInput(g, scores.Input[0], [0, 2, 1, 3]) is not { } q || HeadInput(g, scores.Input[1], [0, 2, 3, 1]) is not { } k ||
                HeadInput(g, context.Input[1], [0, 2, 1, 3]) is not { } v) continue;
            if (q.Heads != k.Heads || q.Heads != v.Heads || q.Size != k.Size || q.Size != v.Size) continue;

            if (!shapes.TryGetValue((q.Heads, q.Size), out var shape))
            {
                shape = (g.AddInt64(g.Fresh("attention_heads_shape"), -1, q.Heads, q.Size), g.AddInt64(g.Fresh("attention_output_shape"), 1, -1, q.Heads * q.Size));
                shapes[(q.Heads, q.Size)] = shape;
            }
            var nodes = new List<NodeProto>();
            NodeProto Heads(string value, string name)
            {
                var reshape = OnnxInt8Quantizer.Node(g.Fresh(name), "Reshape", "", [value, shape.Heads], [g.Fresh(name + "_output")]);
                nodes.Add(reshape);
                return reshape;
            }
            var qh = Heads(q.Input, scores.Name + "_q_heads");
            var kh = Heads(k.Input, scores.Name + "_k_heads");
            var vh = Heads(v.Input, context.Name + "_v_heads");
            var product = OnnxInt8Quantizer.Node(g.Fresh(scores.Name + "_heads"), "FusedMatMul", MicrosoftDomain, [qh.Output[0], kh.Output[0]], [g.Fresh(scores.Name + "_scores")]);
            product.Attribute.Add(OnnxInt8GraphPasses.FloatAttribute("alpha", Is(scale, "Div") ? 1f / factor : factor));
            product.Attribute.Add(OnnxInt8GraphPasses.Attribute("transB", [1], list: false));
            product.Attribute.Add(OnnxInt8GraphPasses.Attribute("transBatchA", [1], list: false));
            product.Attribute.Add(OnnxInt8GraphPasses.Attribute("transBatchB", [1], list: false));
            nodes.Add(product);
            var probabilities = softmax.Clone();
            probabilities.Input[0] = product.Output[0];
            probabilities.Attribute.Clear(); // the last axis, which the scores' [heads, sequence, sequence] numbers 2, not 3
            probabilities.Attribute.Add(OnnxInt8GraphPasses.Attribute("axis", [-1], list: false));
            nodes.Add(probabilities);
            var weighted = OnnxInt8Quantizer.Node(g.Fresh(context.Name + "_heads"), "FusedMatMul", MicrosoftDomain, [softmax.Output[0], vh.Output[0]], [g.Fresh(context.Name + "_context")]);
            weighted.Attribute.Add(OnnxInt8GraphPasses.Attribute("transBatchB", [1], list: false));
            nodes.Add(weighted);
            var back = OnnxInt8Quantizer.Node(g.Fresh(merge.Name + "_heads"), "Transpose", "", [weighted.Output[0]], [g.Fresh(merge.Name + "_output")]);
            back.Attribute.Add(OnnxInt8GraphPasses.Attribute("perm", [1, 0, 2], list: true));
            nodes.Add(back);
            nodes.Add(OnnxInt8Quantizer.Node(g.Fresh(output.Name + "_heads"), "Reshape", "", [back.Output[0], shape.Output], [output.Output[0]]));

            // The new nodes go where the block's last node was: every input they read (Q, K, V) is computed before it.
            replaced[output] = [.. nodes];
            removed.UnionWith([scale, scores, softmax, context, merge, q.Reshape, q.Transpose, k.Reshape, k.Transpose, v.Reshape, v.Transpose]);
        }
        // A Shape read elsewhere than by the removed Reshapes' targets would be left without its input: then nothing changes.
        return replaced.Count > 0 && g.Replace(replaced, removed) ? replaced.Count : 0;
    }

    sealed record Head(string Input, NodeProto Reshape, NodeProto Transpose, long Heads, long Size);

    /// <summary>The projection output behind <c>Transpose(Reshape(x, [batch, sequence, heads, size]), perm)</c>, each read once.</summary>
    static Head? HeadInput(GraphView g, string value, long[] perm)
    {
        if (g.Producer(value) is not { } transpose || !IsTranspose(g, transpose, perm) || g.ReadersOf(value).Count != 1) return null;
        if (g.Producer(transpose.Input[0]) is not { } reshape || !Is(reshape, "Reshape") || g.ReadersOf(reshape.Output[0]).Count != 1) return null;
        if (g.Attribute(reshape, "allowzero") is { I: not 0 }) return null;
        var dims = g.ShapeTail(reshape.Input[1]);
        return dims is [_, _, > 0 and var heads, > 0 and var size] ? new Head(reshape.Input[0], reshape, transpose, heads, size) : null;
    }

    static bool IsTranspose(GraphView g, NodeProto n, params long[] perm) =>
        Is(n, "Transpose") && g.Attribute(n, "perm") is { } a && a.Ints.SequenceEqual(perm);

    static bool Is(NodeProto n, string opType) => n.OpType == opType && n.Domain is "" or "ai.onnx";

    /// <summary>An attribute's name, INT, FLOAT and INTS fields, and its TENSOR, read from its encoded bytes.</summary>
    internal sealed record AttributeValue(string Name, long I, float F, long[] Ints, TensorProto? T);

    /// <summary>Producers, readers and constants of a graph, and the edit that swaps nodes in place.</summary>
    sealed class GraphView(GraphProto graph)
    {
        readonly Dictionary<string, NodeProto> _producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).GroupBy(x => x.o).ToDictionary(x => x.Key, x => x.First().n, StringComparer.Ordinal);
        readonly ILookup<string, NodeProto> _readers = graph.Node.SelectMany(n => n.Input.Distinct().Select(i => (i, n))).ToLookup(x => x.i, x => x.n, StringComparer.Ordinal);
        readonly Dictionary<string, TensorProto> _initializers = graph.Initializer.GroupBy(t => t.Name).ToDictionary(x => x.Key, x => x.First(), StringComparer.Ordinal);
        readonly List<TensorProto> _added = [];
        readonly HashSet<string> _names = [.. graph.Node.SelectMany(n => n.Input.Concat(n.Output).Append(n.Name)), .. graph.Initializer.Select(t => t.Name),
            .. graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Select(v => v.Name)];

        public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

        public List<NodeProto> ReadersOf(string value) => [.. _readers[value]];

        /// <summary>The only reader of a value that is not a graph output, or null.</summary>
        public NodeProto? Single(string value) =>
            _readers[value].Take(2).ToList() is [var only] && !graph.Output.Any(o => o.Name == value) ? only : null;

        public bool IsConstant(string value) => _initializers.ContainsKey(value) || Producer(value) is { OpType: "Constant" };

        TensorProto? Constant(string value) =>
            _initializers.GetValueOrDefault(value) ?? (Producer(value) is { OpType: "Constant" } c ? Attribute(c, "value")?.T : null);

        public float? ScalarFloat(string value) =>
            Constant(value) is { DataType: Float } t && t.Dims.Aggregate(1L, (a, d) => a * d) == 1
                ? (t.HasRawData ? MemoryMarshal.Cast<byte, float>(t.RawData.Span)[0] : t.FloatData[0])
                : null;

        /// <summary>A Reshape's target shape: an int64 initializer, or a Concat whose last two parts are one-element int64 constants (the rest as 0).</summary>
        public long[]? ShapeTail(string value)
        {
            if (Constant(value) is { } t) return Int64s(t);
            if (Producer(value) is not { OpType: "Concat" } concat) return null;
            var parts = concat.Input.Select(i => Constant(i) is { } c ? Int64s(c) : null).ToList();
            return parts.Count == 4 && parts[2] is [var heads] && parts[3] is [var size] ? [0, 0, heads, size] : null;
        }

        static long[]? Int64s(TensorProto t) => t.DataType == Int64 && t.HasRawData ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : null;

        public AttributeValue? Attribute(NodeProto n, string name) => ReadAttribute(n, name);

        public static AttributeValue? ReadAttribute(NodeProto n, string name)
        {
            foreach (var a in n.Attribute)
            {
                var input = new CodedInputStream(a.ToByteArray());
                string? found = null;
                long i = 0;
                float f = 0;
                var ints = new List<long>();
                TensorProto? t = null;
                for (uint tag; (tag = input.ReadTag()) != 0;)
                {
                    switch (WireFormat.GetTagFieldNumber(tag))
                    {
                        case 1: found = input.ReadString(); break;
                        case 2: f = input.ReadFloat(); break;
                        case 3: i = input.ReadInt64(); break;
                        case 5: t = TensorProto.Parser.ParseFrom(input.ReadBytes()); break;
                        case 8 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                            var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                            while (!packed.IsAtEnd) ints.Add(packed.ReadInt64());
                            break;
                        case 8: ints.Add(input.ReadInt64()); break;
                        default: input.SkipLastField(); break;
                    }
                }
                if (found == name) return new AttributeValue(name, i, f, [.. ints], t);
            }
            return null;
        }

        public string AddInt64(string name, params long[] values)
        {
            var t = new TensorProto { Name = name, DataType = Int64, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
            t.Dims.Add(values.Length);
            _added.Add(t); // into the graph with the nodes that read it (Replace)
            return name;
        }

        public string Fresh(string wanted)
        {
            string name = wanted;
            for (int i = 1; !_names.Add(name); i++) name = $"{wanted}_{i}";
            return name;
        }

        /// <summary>
        /// Puts each replacement where its key node was, drops the removed nodes, then whatever only they read (the
        /// shape computations of a Reshape that is gone), and the shape information of values that no longer exist.
        /// Returns false, with the graph as it was, when a node left would read a value that no longer exists.
        /// </summary>
        public bool Replace(Dictionary<NodeProto, NodeProto[]> replaced, HashSet<NodeProto> removed)
        {
            var nodes = graph.Node.SelectMany(n => replaced.TryGetValue(n, out var with) ? with : removed.Contains(n) ? [] : [n]).ToList();
            var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            while (true)
            {
                var read = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
                int before = nodes.Count;
                nodes.RemoveAll(n => n.Output.All(o => !read.Contains(o) && !outputs.Contains(o)) && n.Attribute.All(a => a.G is null && a.Graphs.Count == 0));
                if (nodes.Count == before) break;
            }
            var defined = nodes.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Concat(_added).Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
            if (nodes.SelectMany(n => n.Input).Any(i => i.Length > 0 && !defined.Contains(i))) return false;
            graph.Node.Clear();
            graph.Node.AddRange(nodes);
            var stillRead = nodes.SelectMany(n => n.Input).Concat(outputs).ToHashSet(StringComparer.Ordinal);
            var kept = graph.Initializer.Concat(_added).Where(t => stillRead.Contains(t.Name)).ToList();
            graph.Initializer.Clear();
            graph.Initializer.AddRange(kept);
            var values = nodes.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
            var info = graph.ValueInfo.Where(v => values.Contains(v.Name)).ToList();
            graph.ValueInfo.Clear();
            graph.ValueInfo.AddRange(info);
            return true;
        }
    }
}
