using Google.Protobuf;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

public sealed class OnnxModelCacheTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "newsbot-tests", "cache-" + Guid.NewGuid().ToString("N"));

    static long ResourceLength(LocalModelSpec spec)
    {
        using var s = spec.OpenResource(spec.ModelResource);
        return s.Length;
    }

    [Fact]
    public void Extracts_once_atomically_and_reuses_the_file()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);

        var path = OnnxModelCache.EnsureModelFile(spec, _dir, out bool first);
        var written = File.GetLastWriteTimeUtc(path);
        var again = OnnxModelCache.EnsureModelFile(spec, _dir, out bool second);

        Assert.True(first);
        Assert.False(second);
        Assert.Equal(path, again);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(ResourceLength(spec), new FileInfo(path).Length);
        Assert.Matches(@"all-MiniLM-L6-v2-[0-9a-f]{12}\.onnx$", path);
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary files left behind
    }

    [Fact]
    public void A_truncated_file_is_replaced()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.ArcticXs);
        var path = OnnxModelCache.EnsureModelFile(spec, _dir, out _);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(1000); // a crash mid-copy by some other tool

        var again = OnnxModelCache.EnsureModelFile(spec, _dir, out bool extracted);

        Assert.True(extracted);
        Assert.Equal(path, again);
        Assert.Equal(ResourceLength(spec), new FileInfo(path).Length);
    }

    [Fact]
    public async Task Concurrent_extractions_leave_one_complete_file()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);

        var paths = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Task.Run(() => OnnxModelCache.EnsureModelFile(spec, _dir, out _))));

        Assert.Single(paths.Distinct());
        Assert.Equal(ResourceLength(spec), new FileInfo(paths[0]).Length);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(paths[0])!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the int8 copy is cached the same way
    public void A_second_generator_reuses_the_extracted_model_without_rewriting_it(bool quantize)
    {
        var options = new OnnxEmbeddingOptions { Threads = 1, CacheDirectory = _dir, Quantize = quantize };
        string path;
        DateTime written;
        using (var first = new OnnxEmbeddingGenerator(options))
        {
            Assert.False(first.IsLoaded);
            first.EnsureLoaded();
            path = first.ModelPath!;
            written = File.GetLastWriteTimeUtc(path);
        }

        using var second = new OnnxEmbeddingGenerator(options);
        second.EnsureLoaded();

        Assert.Equal(path, second.ModelPath);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(quantize, path.Contains("-int8-", StringComparison.Ordinal));
    }

    [Fact]
    public void Quantizes_once_atomically_and_reuses_the_int8_file()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);

        var path = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var first);
        var written = File.GetLastWriteTimeUtc(path);
        var again = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var second);

        Assert.NotNull(first);
        Assert.Equal(36, first.QuantizedNodes); // 6 layers x (Q, K, V, attention output, two feed-forward)
        Assert.Equal(12, first.MergedNodes); // Q, K and V one GEMM: 6 layers x 2 fewer
        Assert.Equal(0, first.DroppedMaskAdds);
        Assert.Equal(first.OutputBytes, new FileInfo(path).Length);
        Assert.Null(second);
        Assert.Equal(path, again);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Matches(@"all-MiniLM-L6-v2-int8-[0-9a-f]{12}\.onnx$", path);
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // the float model is not needed; no temporary files
    }

    [Fact]
    public void Other_quantizer_options_get_another_file()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);

        var perColumn = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out _);
        var perTensor = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, new OnnxInt8QuantizerOptions { PerColumn = false }, out var created);

        Assert.NotEqual(perColumn, perTensor);
        Assert.NotNull(created);
        Assert.Equal(2, Directory.GetFiles(Path.GetDirectoryName(perColumn)!).Length);
    }

    [Fact]
    public void A_changed_graph_gets_a_new_file_and_the_previous_releases_options_find_theirs()
    {
        // The graph with Q, K and V merged (and, for one passage a run, without the mask) is not the previous
        // release's: its cached file must not be taken for it. Switched off, the options describe that release's key.
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);
        var previous = new OnnxInt8QuantizerOptions { MergeSharedInputs = false };
        Assert.Equal("int8-v1-dqmm-col-bias", previous.Describe());
        Assert.Equal("int8-v1-dqmm-col-bias-merged", OnnxInt8QuantizerOptions.Default.Describe());

        var old = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, previous, out var oldReport);
        var merged = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var mergedReport);
        var unmasked = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true }, out var unmaskedReport);

        Assert.Equal(3, new[] { old, merged, unmasked }.Distinct().Count());
        Assert.Equal(0, oldReport!.MergedNodes);
        Assert.Equal(12, mergedReport!.MergedNodes);
        Assert.Equal((12, 6), (unmaskedReport!.MergedNodes, unmaskedReport.DroppedMaskAdds));
        Assert.True(OnnxModelCache.IsCompleteModelFile(unmasked));
        Assert.Equal(old, OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, previous, out var again));
        Assert.Null(again); // reused, not rebuilt
    }

    [Fact]
    public void The_graph_with_the_head_transposes_folded_gets_a_new_file_and_the_previous_unmasked_one_is_still_found()
    {
        // One passage a run (the generator's default) now also folds the attention's head Transposes (BENCHMARKS
        // §3.1.2): another graph, so another file; switched off, the options name the previous release's file again.
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);
        var folded = OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true };
        var previous = folded with { FoldHeadTransposes = false };
        Assert.Equal("int8-v1-dqmm-col-bias-merged-nomask-heads", folded.Describe());
        Assert.Equal("int8-v1-dqmm-col-bias-merged-nomask", previous.Describe());
        // With the mask (a padded batch) the fold does nothing, and the key stays the previous release's.
        Assert.Equal("int8-v1-dqmm-col-bias-merged", OnnxInt8QuantizerOptions.Default.Describe());

        var before = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, previous, out var beforeReport);
        var after = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, folded, out var afterReport);
        var masked = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var maskedReport);

        Assert.Equal(3, new[] { before, after, masked }.Distinct().Count());
        Assert.Equal((6, 0), (beforeReport!.DroppedMaskAdds, beforeReport.FoldedAttentionBlocks));
        Assert.Equal((6, 6), (afterReport!.DroppedMaskAdds, afterReport.FoldedAttentionBlocks));
        Assert.Equal(0, maskedReport!.FoldedAttentionBlocks);
        // Four Transposes a layer before (Q, K, V and the context), one after; the scores and the context are
        // FusedMatMuls that read Q, K and V in place, and no plain MatMul of two activations is left.
        Assert.Equal(24, Ops(before).Count(op => op == "Transpose"));
        Assert.Equal(6, Ops(after).Count(op => op == "Transpose"));
        Assert.Equal(12, Ops(after).Count(op => op == "com.microsoft.FusedMatMul"));
        Assert.DoesNotContain("MatMul", Ops(after));
        Assert.Equal(before, OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, previous, out var again));
        Assert.Null(again); // the previous release's file is reused as it is
    }

    [Fact]
    public void Arctics_attention_is_folded_too()
    {
        // snowflake-arctic-embed-xs's export names its Softmax axis 3, not -1; the fold takes both (the new Softmax
        // reads the last axis of [heads, sequence, sequence]).
        var spec = LocalModelSpec.For(LocalEmbeddingModel.ArcticXs);
        var path = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true }, out var report);
        Assert.Equal((12, 6, 6), (report!.MergedNodes, report.DroppedMaskAdds, report.FoldedAttentionBlocks));
        Assert.Equal(6, Ops(path).Count(op => op == "Transpose"));
    }

    static List<string> Ops(string path) =>
        [.. NewsBot.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Select(n => n.Domain.Length > 0 ? $"{n.Domain}.{n.OpType}" : n.OpType)];

    [Fact]
    public void A_truncated_int8_file_is_replaced()
    {
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);
        var path = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var first);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(f.Length - 1000);
        Assert.False(OnnxModelCache.IsCompleteModelFile(path));

        var again = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var second);

        Assert.Equal(path, again);
        Assert.NotNull(second);
        Assert.Equal(first!.OutputBytes, new FileInfo(path).Length);
        Assert.True(OnnxModelCache.IsCompleteModelFile(path));
    }

    [Fact]
    public void An_int8_file_laid_out_as_the_previous_release_wrote_it_is_reused()
    {
        // The previous quantizer copied the model's top-level fields in their original order (ir_version, producer,
        // graph, opset imports...); the generated classes write known fields first. Either layout is a complete file.
        var spec = LocalModelSpec.For(LocalEmbeddingModel.MiniLM);
        var path = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var first);
        Assert.NotNull(first);
        var bytes = File.ReadAllBytes(path);
        var previousLayout = TopLevelFields(bytes).OrderBy(f => f.Number).SelectMany(f => bytes[f.Range]).ToArray();
        Assert.Equal(bytes.Length, previousLayout.Length);
        Assert.False(bytes.AsSpan().SequenceEqual(previousLayout)); // the layout did change
        File.WriteAllBytes(path, previousLayout);
        var written = File.GetLastWriteTimeUtc(path);

        var again = OnnxModelCache.EnsureQuantizedModelFile(spec, _dir, OnnxInt8QuantizerOptions.Default, out var second);

        Assert.Equal(path, again);
        Assert.Null(second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(previousLayout, File.ReadAllBytes(path));
    }

    static List<(int Number, Range Range)> TopLevelFields(byte[] message)
    {
        var fields = new List<(int, Range)>();
        var input = new CodedInputStream(message);
        while (true)
        {
            int start = (int)input.Position;
            uint tag = input.ReadTag();
            if (tag == 0) return fields;
            input.SkipLastField();
            fields.Add((WireFormat.GetTagFieldNumber(tag), start..(int)input.Position));
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
