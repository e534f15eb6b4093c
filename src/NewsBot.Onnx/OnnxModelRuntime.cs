using NewsBot.Core.Operations;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NewsBot.Core.Retrieval;

namespace NewsBot.Onnx;

/// <summary>
/// One ONNX session, run by up to <see cref="Lanes"/> batches at once, each in its own reused buffers (a
/// <see cref="Lane"/>). The session itself is thread-safe; a lane is used by one run at a time (the generator's gate).
/// </summary>
/// <remarks>
/// With more than one lane the session runs each batch on the calling thread alone (one intra-op thread), and the
/// generator runs one batch per core side by side: measured on the 2-core machine, that does ~10 % more work per
/// CPU second than one batch at a time on two intra-op threads, which meet at a barrier after every operator
/// (BENCHMARKS.md §3).
/// </remarks>
internal sealed class OnnxModelRuntime : IDisposable
{
    readonly LocalModelSpec _spec;
    readonly InferenceSession _session;
    readonly SessionOptions _sessionOptions;
    readonly string[] _inputNames;
    readonly string[] _outputNames;
    readonly bool _hasTokenTypes;
    readonly int _dim;
    readonly Lane[] _lanes;
    readonly bool _unmasked;
    int _nextLane;

    OnnxModelRuntime(LocalModelSpec spec, InferenceSession session, SessionOptions sessionOptions, string modelPath, TimeSpan loadTime, int lanes, bool unmasked)
    {
        _spec = spec;
        _unmasked = unmasked;
        _session = session;
        _sessionOptions = sessionOptions;
        ModelPath = modelPath;
        LoadTime = loadTime;

        var inputs = session.InputMetadata;
        foreach (var name in new[] { "input_ids", "attention_mask" })
        {
            if (!inputs.TryGetValue(name, out var meta))
                throw new NotSupportedException($"{spec.ModelId}: the ONNX model has no input '{name}' (inputs: {string.Join(", ", inputs.Keys)}).");
            RequireInt64(name, meta);
        }
        _hasTokenTypes = inputs.TryGetValue("token_type_ids", out var typeMeta);
        if (_hasTokenTypes) RequireInt64("token_type_ids", typeMeta!);
        if (inputs.Count != (_hasTokenTypes ? 3 : 2))
            throw new NotSupportedException($"{spec.ModelId}: unexpected ONNX inputs {string.Join(", ", inputs.Keys)}.");
        _inputNames = _hasTokenTypes ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];

        // MiniLM's export has last_hidden_state and a pooler output ("924", tanh over [CLS]); Arctic's only the former.
        var outputs = session.OutputMetadata;
        var output = outputs.TryGetValue("last_hidden_state", out var hiddenMeta)
            ? new KeyValuePair<string, NodeMetadata>("last_hidden_state", hiddenMeta)
            : outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3);
        if (output.Key is null || output.Value.ElementDataType != TensorElementType.Float || output.Value.Dimensions.Length != 3)
            throw new NotSupportedException($"{spec.ModelId}: no float [batch, sequence, hidden] output among {string.Join(", ", outputs.Keys)}.");
        _dim = output.Value.Dimensions[2];
        if (_dim != spec.Dimensions)
            throw new NotSupportedException($"{spec.ModelId}: the model's hidden size is {_dim}, expected {spec.Dimensions}.");
        _outputNames = [output.Key];
        _lanes = [.. Enumerable.Range(0, lanes).Select(_ => new Lane(_dim))];
    }

    /// <summary>Batches this session may run at once.</summary>
    public int Lanes => _lanes.Length;

    public string ModelPath { get; }

    public TimeSpan LoadTime { get; }

    /// <param name="threads">Cores to use: one lane of one intra-op thread each, or one lane of one thread.</param>
    /// <param name="lanes">Batches run at once: 1 (one session run of <paramref name="threads"/> intra-op threads) or <paramref name="threads"/>.</param>
    /// <param name="quantizer">Non-null: run the int8 rewrite of the model, made with these options.</param>
    public static OnnxModelRuntime Create(
        LocalModelSpec spec, string cacheDirectory, int threads, int lanes, int initialTokenCapacity, Action<SessionOptions>? configure, OnnxInt8QuantizerOptions? quantizer)
    {
        var watch = Stopwatch.StartNew();
        OnnxInt8QuantizationReport? quantized = null;
        var path = quantizer is null
            ? OnnxModelCache.EnsureModelFile(spec, cacheDirectory, out _)
            : OnnxModelCache.EnsureQuantizedModelFile(spec, cacheDirectory, quantizer, out quantized);
        if (quantized is not null) ReleaseQuantizationMemory();
        var options = new SessionOptions
        {
            // Measured on 2 cores: ORT_ENABLE_ALL plus an explicit thread count runs ~2x the defaults. Left at ORT's
            // defaults after measuring (no throughput change): intra-op spinning (off cost ~1 ms of query p50),
            // denormals-as-zero, thread affinity. ~82% of a run is MatMul, so fp32 GEMM speed is the ceiling; the int8
            // model (Quantize) moves the weight MatMuls to integer GEMM and runs ~2x as fast.
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = lanes > 1 ? 1 : threads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        InferenceSession? session = null;
        try
        {
            // x86 CPUs without VNNI add pairs of uint8 x int8 products in saturating 16-bit arithmetic (PMADDUBSW),
            // which clips full-range int8 weights; ORT's precision mode turns the weights to uint8 and uses its exact,
            // slower U8U8 kernels there. With VNNI (AVX512-VNNI or AVX-VNNI) it is not needed and would only slow runs.
            if (quantizer is not null && X64WithoutVnni())
                options.AddSessionConfigEntry("session.x64quantprecision", "1");
            configure?.Invoke(options);
            session = new InferenceSession(path, options);
            var runtime = new OnnxModelRuntime(spec, session, options, path, watch.Elapsed, Math.Max(1, lanes), quantizer?.DropAttentionMask == true);
            runtime._lanes[0].EnsureCapacity(initialTokenCapacity);
            return runtime;
        }
        catch
        {
            session?.Dispose();
            options.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The int8 rewrite (the first start with a new cache folder or a new model) reads the 90 MB model into the heap and
    /// parses and re-serialises it: ~250-300 MB of garbage, mostly on the large object heap, which the GC left committed
    /// for as long as a worker ran (measured: a worker started on a new data directory held 470 MB of anonymous memory
    /// against 206 MB for the same worker with the model already cached, until its first snapshot rewrite collected).
    /// One compacting, decommitting collection, once, gives it back.
    /// </summary>
    internal static void ReleaseQuantizationMemory()
    {
        ManagedHeap.CompactAndDecommit();
    }

    /// <summary>Takes a free lane; the caller holds one of the generator's <see cref="Lanes"/> permits, so there is one.</summary>
    public Lane RentLane()
    {
        lock (_lanes)
        {
            for (int i = 0; i < _lanes.Length; i++)
            {
                var lane = _lanes[(_nextLane + i) % _lanes.Length];
                if (lane.InUse) continue;
                lane.InUse = true;
                _nextLane = (_nextLane + i + 1) % _lanes.Length;
                return lane;
            }
        }
        throw new InvalidOperationException("More concurrent runs than lanes.");
    }

    public void ReturnLane(Lane lane)
    {
        lock (_lanes) lane.InUse = false;
    }

    /// <summary>
    /// Runs one batch in <paramref name="lane"/>: <paramref name="rows"/> are indexes into <paramref name="texts"/>,
    /// longest first, whose token counts are in <paramref name="lengths"/>; writes each unit vector to <paramref name="results"/>
    /// and, when <paramref name="tokenResults"/> is given, each text's token vectors before pooling there.
    /// </summary>
    public void Run(Lane lane, ModelTokenizer tokenizer, IReadOnlyList<string> texts, ReadOnlySpan<int> rows, int[] lengths, float[][] results, CancellationToken ct, TokenEmbedding[]? tokenResults = null)
    {
        if (_unmasked && rows.Length > 1)
        {
            // A graph without the attention mask must not see padding: one row a run.
            for (int i = 0; i < rows.Length; i++) Run(lane, tokenizer, texts, rows.Slice(i, 1), lengths, results, ct, tokenResults);
            return;
        }
        int batch = rows.Length;
        int seq = 0;
        foreach (var r in rows) seq = Math.Max(seq, lengths[r]);
        int tokens = batch * seq;
        lane.EnsureCapacity(tokens);

        for (int b = 0; b < batch; b++)
        {
            var ids = lane.InputIds.AsSpan(b * seq, seq);
            var mask = lane.AttentionMask.AsSpan(b * seq, seq);
            int len = tokenizer.Encode(texts[rows[b]], ids, mask);
            Debug.Assert(len == lengths[rows[b]], "A text tokenized differently the second time.");
            ids[len..].Clear();  // [PAD] is id 0 in both vocabularies
            mask[len..].Clear();
        }

        long[] inputShape = [batch, seq];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, lane.InputIds.AsMemory(0, tokens), inputShape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, lane.AttentionMask.AsMemory(0, tokens), inputShape);
        using var typesValue = _hasTokenTypes
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, lane.TokenTypeIds.AsMemory(0, tokens), inputShape)
            : null;
        using var hiddenValue = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, lane.Hidden.AsMemory(0, tokens * _dim), [batch, seq, _dim]);
        OrtValue[] inputValues = _hasTokenTypes ? [idsValue, maskValue, typesValue!] : [idsValue, maskValue];

        using var runOptions = new RunOptions();
        using (ct.CanBeCanceled ? ct.Register(static o => ((RunOptions)o!).Terminate = true, runOptions) : default)
        {
            try
            {
                _session.Run(runOptions, _inputNames, inputValues, _outputNames, [hiddenValue]);
            }
            catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
            {
                throw new OperationCanceledException(ct);
            }
        }

        var hidden = lane.Hidden.AsSpan(0, tokens * _dim);
        for (int b = 0; b < batch; b++)
        {
            int len = lengths[rows[b]];
            var rowStart = hidden.Slice(b * seq * _dim);
            if (tokenResults is not null) tokenResults[rows[b]] = Tokens(lane, tokenizer, rowStart, b * seq, len);
            var v = new float[_dim];
            rowStart[.._dim].CopyTo(v); // the [CLS] vector
            if (_spec.Pooling == Pooling.Mean)
            {
                // Mean over the real tokens ([CLS] and [SEP] included, padding excluded), as sentence-transformers does.
                for (int t = 1; t < len; t++) TensorPrimitives.Add(v, rowStart.Slice(t * _dim, _dim), v);
                TensorPrimitives.Multiply(v, 1f / len, v);
            }
            float norm = TensorPrimitives.Norm(v);
            TensorPrimitives.Multiply(v, 1f / MathF.Max(norm, 1e-12f), v);
            results[rows[b]] = v;
            if (tokenResults is not null) tokenResults[rows[b]] = tokenResults[rows[b]] with { Pooled = v };
        }
    }

    /// <summary>One text's token vectors (copied out of the lane's reused buffer) and token texts; the pooled vector is set by the caller.</summary>
    TokenEmbedding Tokens(Lane lane, ModelTokenizer tokenizer, ReadOnlySpan<float> rowStart, int idStart, int len)
    {
        var vectors = new float[len][];
        var tokens = new string[len];
        for (int t = 0; t < len; t++)
        {
            vectors[t] = rowStart.Slice(t * _dim, _dim).ToArray();
            tokens[t] = tokenizer.TokenText(lane.InputIds[idStart + t]);
        }
        return new TokenEmbedding([], tokens, vectors);
    }

    /// <summary>The buffers one run reads and writes.</summary>
    internal sealed class Lane(int dim)
    {
        // Pinned (pinned object heap), so ORT reads and writes them in place, and reused across batches: the
        // hidden-state output alone is batch × tokens × 384 floats (3 MB at 8 × 256) and would otherwise be a new
        // large-object allocation per batch.
        public long[] InputIds { get; private set; } = [];
        public long[] AttentionMask { get; private set; } = [];
        public long[] TokenTypeIds { get; private set; } = [];
        public float[] Hidden { get; private set; } = [];
        public bool InUse { get; set; }

        public void EnsureCapacity(int tokens)
        {
            if (InputIds.Length >= tokens) return;
            InputIds = GC.AllocateArray<long>(tokens, pinned: true);
            AttentionMask = GC.AllocateArray<long>(tokens, pinned: true);
            TokenTypeIds = GC.AllocateArray<long>(tokens, pinned: true); // stays all zeros: one segment
            Hidden = GC.AllocateUninitializedArray<float>(tokens * dim, pinned: true);
        }
    }

    /// <summary>An x86 CPU whose int8 GEMM would saturate: neither AVX512-VNNI (with AVX-512 usable) nor AVX-VNNI.</summary>
    internal static bool X64WithoutVnni()
    {
        if (!X86Base.IsSupported) return false; // Arm64 and others: no such kernels
        if (AvxVnni.IsSupported) return false;
        const int Avx512VnniBit = 1 << 11; // CPUID.(EAX=7, ECX=0):ECX
        return !(Avx512F.IsSupported && (X86Base.CpuId(7, 0).Ecx & Avx512VnniBit) != 0);
    }

    static void RequireInt64(string name, NodeMetadata meta)
    {
        if (meta.ElementDataType != TensorElementType.Int64)
            throw new NotSupportedException($"ONNX input '{name}' is {meta.ElementDataType}; only int64 inputs are supported.");
    }

    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
    }
}
