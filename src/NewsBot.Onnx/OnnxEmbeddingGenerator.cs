using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace NewsBot.Onnx;

/// <summary>
/// Sentence embeddings from a local model (<see cref="LocalEmbeddingModel"/>) on ONNX Runtime's CPU provider:
/// WordPiece tokenization with truncation, length-sorted batches padded only to their longest input, the
/// model's pooling (mean for MiniLM, [CLS] for Arctic), and L2-normalised 384-dimensional vectors returned in
/// input order.
/// </summary>
/// <remarks>
/// <para>Construction is cheap: the model is extracted to the cache folder and the ONNX session created on the
/// first call that embeds (or on <see cref="EnsureLoaded"/>), so commands that never embed pay nothing.</para>
/// <para>Thread-safe. Inference runs one batch at a time (a CPU session already uses every core it is given,
/// and running two batches at once only makes them fight), in reused, pinned buffers; concurrent callers take
/// turns batch by batch, so a query waits for at most one passage batch of a concurrent ingestion.</para>
/// <para>With <see cref="OnnxEmbeddingOptions.Quantize"/> the session runs an int8 rewrite of the model
/// (<see cref="OnnxInt8Quantizer"/>): about twice the passage throughput on a 2-core AVX512-VNNI machine, vectors
/// within cosine ~0.99 of the float model's (per-column weight scales; one scale per matrix measured ~0.96),
/// recorded under <see cref="ModelId"/> <c>…-int8</c>. Activations are quantized with one scale per batch, so an int8
/// vector also depends on the other texts of its batch: the same text alone and in a batch of 8 measured cosine
/// ~0.992 (float: 0.99999). Retrieval should not compare vectors for exact equality.</para>
/// <para>Prefixes are not added here: queries for ArcticXs need <see cref="QueryPrefix"/>, which Core's
/// <c>Embedder</c> adds from <see cref="OnnxEmbeddingProfiles"/>.</para>
/// <para>An empty or blank text is embedded like sentence-transformers does it, as the bare sequence
/// [CLS] [SEP]: a fixed unit vector, not an error. A null text is an <see cref="ArgumentException"/>.</para>
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ProviderName = "onnx";

    readonly LocalModelSpec _spec;
    readonly string _modelId;
    readonly OnnxInt8QuantizerOptions? _quantizer;
    readonly string _cacheDirectory;
    readonly Action<SessionOptions>? _configureSession;
    readonly EmbeddingGeneratorMetadata _metadata;
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly Lock _initLock = new();
    volatile OnnxModelRuntime? _runtime;
    volatile bool _disposed;

    /// <param name="options">Model, threads, batch size, token cap, int8 or float.</param>
    /// <param name="cacheDirectory">
    /// Where the model file is extracted when <see cref="OnnxEmbeddingOptions.CacheDirectory"/> is null
    /// (the host passes <c>{data dir}/cache</c>); when both are null, <c>{temp}/newsbot/cache</c>.
    /// </param>
    /// <param name="configureSession">Optional last word on ONNX Runtime's session options (experiments, other providers).</param>
    /// <param name="quantizer">
    /// How the int8 model is made when <see cref="OnnxEmbeddingOptions.Quantize"/> is on (experiments); null =
    /// <see cref="OnnxInt8QuantizerOptions.Default"/>. Each choice is cached as its own file.
    /// </param>
    public OnnxEmbeddingGenerator(
        OnnxEmbeddingOptions options, string? cacheDirectory = null, Action<SessionOptions>? configureSession = null, OnnxInt8QuantizerOptions? quantizer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _spec = LocalModelSpec.For(options.GetModel());
        _quantizer = options.Quantize ? quantizer ?? OnnxInt8QuantizerOptions.Default : null;
        _modelId = _spec.IndexModelId(options.Quantize);
        Threads = options.GetThreads();
        BatchSize = options.BatchSize >= 1 ? options.BatchSize : throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        MaxTokens = options.MaxTokens >= 3
            ? Math.Min(options.MaxTokens, _spec.MaxSequenceLength)
            : throw new ArgumentOutOfRangeException(nameof(options), "MaxTokens must be at least 3.");
        _cacheDirectory = options.CacheDirectory ?? cacheDirectory ?? Path.Combine(Path.GetTempPath(), "newsbot", "cache");
        _configureSession = configureSession;
        _metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, _modelId, _spec.Dimensions);
    }

    public LocalEmbeddingModel Model => _spec.Model;

    /// <summary>
    /// "all-MiniLM-L6-v2" or "snowflake-arctic-embed-xs", with "-int8" when <see cref="Quantized"/>: the id the index
    /// records with every vector.
    /// </summary>
    public string ModelId => _modelId;

    /// <summary>Whether this generator runs the int8 model (<see cref="OnnxEmbeddingOptions.Quantize"/>).</summary>
    public bool Quantized => _quantizer is not null;

    public int Dimensions => _spec.Dimensions;

    /// <summary>What queries (not passages) should start with: the Arctic instruction, or "" for MiniLM.</summary>
    public string QueryPrefix => _spec.QueryPrefix;

    /// <summary>Effective token cap per input, [CLS] and [SEP] included.</summary>
    public int MaxTokens { get; }

    public int BatchSize { get; }

    public int Threads { get; }

    /// <summary>Whether the ONNX session exists yet.</summary>
    public bool IsLoaded => _runtime is not null;

    /// <summary>The extracted (or, when <see cref="Quantized"/>, the int8) model file, once loaded.</summary>
    public string? ModelPath => _runtime?.ModelPath;

    /// <summary>How long extraction (if any) and session creation took, once loaded.</summary>
    public TimeSpan? LoadTime => _runtime?.LoadTime;

    /// <summary>Creates the session now rather than on the first embedding (e.g. while a host starts).</summary>
    public void EnsureLoaded() => GetRuntime();

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is int d && d != _spec.Dimensions)
            throw new ArgumentException($"{_modelId} produces {_spec.Dimensions} dimensions, not {d}.", nameof(options));
        if (options?.ModelId is { } id && !string.Equals(id, _modelId, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"This generator runs {_modelId}, not {id}.", nameof(options));

        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var (vectors, tokens) = await EmbedAsync(texts, BatchSize, cancellationToken).ConfigureAwait(false);

        var now = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length)
        {
            Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
        };
        foreach (var v in vectors)
            result.Add(new Embedding<float>(v) { ModelId = _modelId, CreatedAt = now });
        return result;
    }

    /// <summary>Embeds <paramref name="texts"/> in batches of <paramref name="batchSize"/>; vectors in input order.</summary>
    internal async Task<(float[][] Vectors, long Tokens)> EmbedAsync(IReadOnlyList<string> texts, int batchSize, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int n = texts.Count;
        if (n == 0) return ([], 0);

        var tokenizer = ModelTokenizer.For(_spec.Model);

        // Token lengths first (tokenizing costs ~10 µs a passage against tens of ms of inference), so that
        // batches can be formed from inputs of similar length and padded only to their own longest.
        var lengths = new int[n];
        long totalTokens = 0;
        var scratch = new long[2 * MaxTokens];
        for (int i = 0; i < n; i++)
        {
            var text = texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts));
            lengths[i] = tokenizer.Encode(text, scratch.AsSpan(0, MaxTokens), scratch.AsSpan(MaxTokens, MaxTokens));
            totalTokens += lengths[i];
        }

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(order, (a, b) => lengths[a] != lengths[b] ? lengths[b].CompareTo(lengths[a]) : a.CompareTo(b));

        var runtime = GetRuntime();
        var results = new float[n][];
        for (int start = 0; start < n; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            var batch = order.AsMemory(start, Math.Min(batchSize, n - start));
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                runtime.Run(tokenizer, texts, batch.Span, lengths, results, ct);
            }
            finally
            {
                _gate.Release();
            }
        }
        return (results, totalTokens);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _gate.Wait(); // let a batch in flight finish before its session goes
        try
        {
            lock (_initLock)
            {
                _runtime?.Dispose();
                _runtime = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    OnnxModelRuntime GetRuntime()
    {
        var runtime = _runtime;
        if (runtime is not null) return runtime;
        lock (_initLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Not Lazy<T>: a failure (disk full while extracting) must not be cached for the process's lifetime.
            return _runtime ??= OnnxModelRuntime.Create(_spec, _cacheDirectory, Threads, BatchSize * MaxTokens, _configureSession, _quantizer);
        }
    }
}

/// <summary>One ONNX session and the reused buffers its batches run in. Not thread-safe: the generator serialises runs.</summary>
internal sealed class OnnxModelRuntime : IDisposable
{
    readonly LocalModelSpec _spec;
    readonly InferenceSession _session;
    readonly SessionOptions _sessionOptions;
    readonly string[] _inputNames;
    readonly string[] _outputNames;
    readonly bool _hasTokenTypes;
    readonly int _dim;

    // Pinned (pinned object heap), so ORT reads and writes them in place, and reused across batches: the
    // hidden-state output alone is batch × tokens × 384 floats (3 MB at 8 × 256) and would otherwise be a new
    // large-object allocation per batch.
    long[] _inputIds = [];
    long[] _attentionMask = [];
    long[] _tokenTypeIds = [];
    float[] _hidden = [];

    OnnxModelRuntime(LocalModelSpec spec, InferenceSession session, SessionOptions sessionOptions, string modelPath, TimeSpan loadTime)
    {
        _spec = spec;
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
    }

    public string ModelPath { get; }

    public TimeSpan LoadTime { get; }

    /// <param name="quantizer">Non-null: run the int8 rewrite of the model, made with these options.</param>
    public static OnnxModelRuntime Create(
        LocalModelSpec spec, string cacheDirectory, int threads, int initialTokenCapacity, Action<SessionOptions>? configure, OnnxInt8QuantizerOptions? quantizer)
    {
        var watch = Stopwatch.StartNew();
        var path = quantizer is null
            ? OnnxModelCache.EnsureModelFile(spec, cacheDirectory, out _)
            : OnnxModelCache.EnsureQuantizedModelFile(spec, cacheDirectory, quantizer, out _);
        var options = new SessionOptions
        {
            // Measured on 2 cores: ORT_ENABLE_ALL plus an explicit thread count runs ~2x the defaults. Left at ORT's
            // defaults after measuring (no throughput change): intra-op spinning (off cost ~1 ms of query p50),
            // denormals-as-zero, thread affinity. ~82% of a run is MatMul, so fp32 GEMM speed is the ceiling; the int8
            // model (Quantize) moves the weight MatMuls to integer GEMM and runs ~2x as fast.
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
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
            var runtime = new OnnxModelRuntime(spec, session, options, path, watch.Elapsed);
            runtime.EnsureCapacity(initialTokenCapacity);
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
    /// Runs one batch: <paramref name="rows"/> are indexes into <paramref name="texts"/>, longest first, whose
    /// token counts are in <paramref name="lengths"/>; writes each unit vector to <paramref name="results"/>.
    /// </summary>
    public void Run(ModelTokenizer tokenizer, IReadOnlyList<string> texts, ReadOnlySpan<int> rows, int[] lengths, float[][] results, CancellationToken ct)
    {
        int batch = rows.Length;
        int seq = 0;
        foreach (var r in rows) seq = Math.Max(seq, lengths[r]);
        int tokens = batch * seq;
        EnsureCapacity(tokens);

        for (int b = 0; b < batch; b++)
        {
            var ids = _inputIds.AsSpan(b * seq, seq);
            var mask = _attentionMask.AsSpan(b * seq, seq);
            int len = tokenizer.Encode(texts[rows[b]], ids, mask);
            Debug.Assert(len == lengths[rows[b]], "A text tokenized differently the second time.");
            ids[len..].Clear();  // [PAD] is id 0 in both vocabularies
            mask[len..].Clear();
        }

        long[] inputShape = [batch, seq];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputIds.AsMemory(0, tokens), inputShape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _attentionMask.AsMemory(0, tokens), inputShape);
        using var typesValue = _hasTokenTypes
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _tokenTypeIds.AsMemory(0, tokens), inputShape)
            : null;
        using var hiddenValue = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, _hidden.AsMemory(0, tokens * _dim), [batch, seq, _dim]);
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

        var hidden = _hidden.AsSpan(0, tokens * _dim);
        for (int b = 0; b < batch; b++)
        {
            int len = lengths[rows[b]];
            var rowStart = hidden.Slice(b * seq * _dim);
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
        }
    }

    void EnsureCapacity(int tokens)
    {
        if (_inputIds.Length >= tokens) return;
        _inputIds = GC.AllocateArray<long>(tokens, pinned: true);
        _attentionMask = GC.AllocateArray<long>(tokens, pinned: true);
        _tokenTypeIds = GC.AllocateArray<long>(tokens, pinned: true); // stays all zeros: one segment
        _hidden = GC.AllocateUninitializedArray<float>(tokens * _dim, pinned: true);
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
