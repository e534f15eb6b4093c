using NewsBot.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Embeddings;

/// <summary>
/// The local generator as ingestion runs it by default: one passage a batch (<see cref="OnnxEmbeddingOptions.BatchSize"/>
/// = 1), one batch per core side by side (<see cref="OnnxEmbeddingOptions.ParallelBatches"/>), on the int8 MiniLM.
/// </summary>
public sealed class OnnxParallelBatchesTests(ITestOutputHelper output) : IDisposable
{
    // Lengths from a few tokens to past the 256-token window, so that the lanes get batches of different sizes.
    static readonly string[] Texts =
    [
        .. new[]
        {
            "The central bank raised interest rates by a quarter point on Wednesday, its third increase this year.",
            "Heavy rain caused flooding in several northern towns, and hundreds of residents spent the night in school gyms.",
            "Shares in the carmaker fell 7% after it cut its profit forecast, blaming weak demand in China.",
            "Café owners in Zürich complain about rising rents and the city's new parking rules.",
            "Inflation eased to 3.1% in March, down from 3.8% a month earlier, the statistics office reported.",
            "Nurses across the region will strike for 48 hours next week after pay talks with the health ministry collapsed.",
        },
        .. Enumerable.Range(1, 10).Select(n => string.Join(" ", Enumerable.Repeat(
            "Officials said the flood defences held overnight, but the river is expected to rise again on Friday.", n * 2))),
    ];

    readonly List<OnnxEmbeddingGenerator> _generators = [];

    OnnxEmbeddingGenerator Make(bool quantize = true, bool parallel = true, int batchSize = 1, OnnxInt8QuantizerOptions? quantizer = null)
    {
        var generator = new OnnxEmbeddingGenerator(
            new OnnxEmbeddingOptions { Threads = 2, BatchSize = batchSize, Quantize = quantize, ParallelBatches = parallel },
            OnnxGeneratorFixture.SharedCacheDirectory, quantizer: quantizer);
        _generators.Add(generator);
        return generator;
    }

    [Fact]
    public void The_defaults_are_one_passage_a_batch_and_one_batch_per_core()
    {
        var options = new OnnxEmbeddingOptions { Threads = 2 };
        using var generator = new OnnxEmbeddingGenerator(options, OnnxGeneratorFixture.SharedCacheDirectory);

        Assert.Equal(1, options.BatchSize);
        Assert.True(options.ParallelBatches);
        Assert.Equal(2, generator.Lanes);
        // Core hands the generator enough passages per call to keep both lanes busy to the end.
        Assert.Equal(16, OnnxEmbeddingProfiles.For(options).MaxBatch);
        Assert.Equal(1, Make(parallel: false).Lanes);
    }

    [Fact]
    public async Task Batches_run_side_by_side_give_the_vectors_of_batches_run_one_at_a_time()
    {
        var parallel = await Make(parallel: true).GenerateAsync(Texts);
        var sequential = await Make(parallel: false).GenerateAsync(Texts);

        var cosines = Texts.Select((_, i) => Vectors.Cosine(parallel[i].Vector, sequential[i].Vector)).ToArray();
        output.WriteLine($"side by side vs one at a time: min cosine {cosines.Min():F7}");
        Assert.All(cosines, c => Assert.True(c >= 0.99999f, $"cosine {c:F7}"));
    }

    [Fact]
    public async Task A_text_gets_the_same_int8_vector_alone_or_among_others()
    {
        // One passage a batch: activations are quantized per passage, so neighbours no longer move a vector
        // (at batch 8 the same text alone and batched measured cosine ~0.992).
        var generator = Make();
        var together = await generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            var alone = await generator.GenerateAsync([Texts[i]]);
            Assert.True(alone[0].Vector.Span.SequenceEqual(together[i].Vector.Span), $"text {i} differs alone");
        }
    }

    [Fact]
    public async Task Concurrent_callers_each_get_their_own_vectors()
    {
        var generator = Make();
        var expected = await generator.GenerateAsync(Texts);

        // Four callers at once, each with the texts in another order: lanes must not share buffers or results.
        var orders = Enumerable.Range(0, 4).Select(k => Texts.Select((t, i) => (t, i)).OrderBy(x => (x.i * 7 + k * 3) % Texts.Length).ToArray()).ToArray();
        var results = await Task.WhenAll(orders.Select(o => Task.Run(() => generator.GenerateAsync(o.Select(x => x.t)))));

        for (int k = 0; k < orders.Length; k++)
            for (int j = 0; j < orders[k].Length; j++)
                Assert.True(results[k][j].Vector.Span.SequenceEqual(expected[orders[k][j].i].Vector.Span), $"caller {k}, text {orders[k][j].i}");
    }

    [Fact]
    public async Task Int8_vectors_at_the_default_batch_size_stay_within_cosine_098_of_the_float_model()
    {
        var int8 = await Make(quantize: true).GenerateAsync(Texts);
        var fp32 = await Make(quantize: false).GenerateAsync(Texts);

        var cosines = Texts.Select((_, i) => Vectors.Cosine(int8[i].Vector, fp32[i].Vector)).ToArray();
        output.WriteLine($"int8 (batch 1) vs float over {Texts.Length} texts: min {cosines.Min():F4}, mean {cosines.Average():F4}");
        Assert.True(cosines.Min() >= 0.98f, $"min cosine {cosines.Min():F4}");
    }

    [Fact]
    public async Task The_merged_graph_without_the_mask_embeds_as_the_previous_releases_graph_did()
    {
        // The default at batch 1: Q, K and V in one int8 GEMM and no attention mask (issue 18, BENCHMARKS §3.1.1);
        // the previous release's graph: three GEMMs and the mask (its options still describe its cache file).
        var current = Make();
        var previous = Make(quantizer: new OnnxInt8QuantizerOptions { MergeSharedInputs = false });
        var now = await current.GenerateAsync(Texts);
        var before = await previous.GenerateAsync(Texts);

        Assert.NotEqual(previous.ModelPath, current.ModelPath);
        Assert.Contains("all-MiniLM-L6-v2-int8-", current.ModelPath);
        Assert.Equal(previous.ModelId, current.ModelId); // same vectors, so the index keeps its model id
        float maxDiff = Texts.Select((_, i) => TensorMaxDiff(now[i].Vector.Span, before[i].Vector.Span)).Max();
        var cosines = Texts.Select((_, i) => Vectors.Cosine(now[i].Vector, before[i].Vector)).ToArray();
        output.WriteLine($"merged, unmasked vs previous graph over {Texts.Length} texts: min cosine {cosines.Min():F7}, largest component difference {maxDiff:G3}");
        Assert.True(maxDiff <= 1e-5f, $"largest component difference {maxDiff:G3}");
    }

    [Fact]
    public async Task The_folded_head_transposes_give_the_vectors_of_the_previous_unmasked_graph()
    {
        // The default at batch 1 reads Q, K and V in place (FusedMatMul with transBatchA/B, BENCHMARKS §3.1.2); the
        // previous release's default read them through the head Transposes. The same products: the same vectors.
        var folded = Make();
        var previous = Make(quantizer: OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true, FoldHeadTransposes = false });
        var now = await folded.GenerateAsync(Texts);
        var before = await previous.GenerateAsync(Texts);

        Assert.NotEqual(previous.ModelPath, folded.ModelPath);
        Assert.EndsWith(".onnx", folded.ModelPath);
        Assert.Equal(previous.ModelId, folded.ModelId); // an index embedded by the previous release keeps its vectors
        float maxDiff = Texts.Select((_, i) => TensorMaxDiff(now[i].Vector.Span, before[i].Vector.Span)).Max();
        var cosines = Texts.Select((_, i) => Vectors.Cosine(now[i].Vector, before[i].Vector)).ToArray();
        output.WriteLine($"heads folded vs previous unmasked graph over {Texts.Length} texts: min cosine {cosines.Min():F7}, largest component difference {maxDiff:G3}");
        Assert.True(maxDiff <= 1e-5f, $"largest component difference {maxDiff:G3}");
    }

    [Fact]
    public async Task Arctics_folded_attention_gives_its_previous_vectors()
    {
        OnnxEmbeddingGenerator Arctic(bool fold)
        {
            var generator = new OnnxEmbeddingGenerator(
                new OnnxEmbeddingOptions { Model = nameof(LocalEmbeddingModel.ArcticXs), Threads = 2, BatchSize = 1 },
                OnnxGeneratorFixture.SharedCacheDirectory, quantizer: OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true, FoldHeadTransposes = fold });
            _generators.Add(generator);
            return generator;
        }
        var texts = Texts.Take(8).ToArray();
        var now = await Arctic(fold: true).GenerateAsync(texts);
        var before = await Arctic(fold: false).GenerateAsync(texts);
        float maxDiff = texts.Select((_, i) => TensorMaxDiff(now[i].Vector.Span, before[i].Vector.Span)).Max();
        Assert.True(maxDiff <= 1e-5f, $"largest component difference {maxDiff:G3}");
    }

    [Fact]
    public async Task A_graph_without_the_mask_runs_a_wider_batch_row_by_row()
    {
        // Padding would leak into the attention of a graph without the mask: such a session runs one row a run.
        var unmaskedBatched = Make(batchSize: 4, quantizer: OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true });
        var masked = Make(batchSize: 1, quantizer: OnnxInt8QuantizerOptions.Default);
        var rowByRow = await unmaskedBatched.GenerateAsync(Texts);
        var single = await masked.GenerateAsync(Texts);

        Assert.NotEqual(unmaskedBatched.ModelPath, masked.ModelPath);
        float maxDiff = Texts.Select((_, i) => TensorMaxDiff(rowByRow[i].Vector.Span, single[i].Vector.Span)).Max();
        Assert.True(maxDiff <= 1e-5f, $"largest component difference {maxDiff:G3}");
    }

    static float TensorMaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }

    [Fact]
    public async Task Cancelling_stops_the_lanes_and_the_generator_stays_usable()
    {
        var generator = Make();
        using var cts = new CancellationTokenSource();
        // 512 of the longest text: several seconds of model work on any CPU, so the cancel after 50 ms always lands mid-run
        var many = Enumerable.Repeat(Texts[^1], 512).ToArray();
        var run = generator.GenerateAsync(many, cancellationToken: cts.Token);
        cts.CancelAfter(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        // Every lane was given back: a call needing both lanes still completes.
        var after = await generator.GenerateAsync(Texts[..4]);
        Assert.Equal(4, after.Count);
    }

    public void Dispose()
    {
        foreach (var g in _generators) g.Dispose();
    }
}
