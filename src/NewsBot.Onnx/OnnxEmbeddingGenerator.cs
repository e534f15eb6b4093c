using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NewsBot.Core.Retrieval;

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
/// <para>Thread-safe. Inference runs one batch per core at a time, each batch on one thread in its own reused,
/// pinned buffers (<see cref="OnnxEmbeddingOptions.ParallelBatches"/>; off: one batch at a time on every core);
/// concurrent callers take turns batch by batch, so a query waits for a few passage batches of a concurrent
/// ingestion at most (ingestion keeps two groups queued, one per lane each: the next group starts while one is
/// written).</para>
/// <para>With <see cref="OnnxEmbeddingOptions.Quantize"/> the session runs an int8 rewrite of the model
/// (<see cref="OnnxInt8Quantizer"/>): about twice the passage throughput on a 2-core AVX512-VNNI machine, vectors
/// within cosine ~0.99 of the float model's (per-column weight scales; one scale per matrix measured ~0.96),
/// recorded under <see cref="ModelId"/> <c>…-int8</c>. Activations are quantized with one scale per batch, so an int8
/// vector also depends on the other texts of its batch: the same text alone and in a batch of 8 measured cosine
/// ~0.992 (float: 0.99999); at the default <see cref="OnnxEmbeddingOptions.BatchSize"/> of 1 it does not. Retrieval
/// should not compare vectors for exact equality.</para>
/// <para>Prefixes are not added here: queries for ArcticXs need <see cref="QueryPrefix"/>, which Core's
/// <c>Embedder</c> adds from <see cref="OnnxEmbeddingProfiles"/>.</para>
/// <para>An empty or blank text is embedded like sentence-transformers does it, as the bare sequence
/// [CLS] [SEP]: a fixed unit vector, not an error. A null text is an <see cref="ArgumentException"/>.</para>
/// </remarks>
public sealed class OnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>, ITokenEmbeddingGenerator
{
    public const string ProviderName = "onnx";

    readonly LocalModelSpec _spec;
    readonly string _modelId;
    readonly OnnxInt8QuantizerOptions? _quantizer;
    readonly string _cacheDirectory;
    readonly Action<SessionOptions>? _configureSession;
    readonly EmbeddingGeneratorMetadata _metadata;
    readonly SemaphoreSlim _gate;
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
    /// <see cref="OnnxInt8QuantizerOptions.Default"/>, without the attention mask at a batch size of 1. Each choice is
    /// cached as its own file.
    /// </param>
    public OnnxEmbeddingGenerator(
        OnnxEmbeddingOptions options, string? cacheDirectory = null, Action<SessionOptions>? configureSession = null, OnnxInt8QuantizerOptions? quantizer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _spec = LocalModelSpec.For(options.GetModel());
        BatchSize = options.BatchSize >= 1 ? options.BatchSize : throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        // One passage a run (the default) never pads, so its int8 graph needs no attention mask (~1-2 % less work) and,
        // with no batch axis to keep, reads the attention heads in place instead of transposing them (~2-3 %).
        _quantizer = options.Quantize
            ? quantizer ?? (BatchSize == 1 ? OnnxInt8QuantizerOptions.Default with { DropAttentionMask = true } : OnnxInt8QuantizerOptions.Default)
            : null;
        _modelId = _spec.IndexModelId(options.Quantize);
        Threads = options.GetThreads();
        Lanes = options.ParallelBatches ? Threads : 1;
        _gate = new SemaphoreSlim(Lanes, Lanes);
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

    /// <summary>
    /// Batches run at once: <see cref="Threads"/>, each on one core (<see cref="OnnxEmbeddingOptions.ParallelBatches"/>),
    /// or 1, on <see cref="Threads"/> intra-op threads.
    /// </summary>
    public int Lanes { get; }

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

    /// <summary>
    /// The token vectors before pooling (MiniLM's <c>last_hidden_state</c> rows, [CLS] and [SEP] included) and the pooled
    /// vector of each text, from the same run as <see cref="GenerateAsync"/> would make (same batches, same int8 scales).
    /// </summary>
    public async Task<IReadOnlyList<TokenEmbedding>> EmbedTokensAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokens = new TokenEmbedding[texts.Count];
        await EmbedAsync(texts, BatchSize, cancellationToken, tokens).ConfigureAwait(false);
        return tokens;
    }

    /// <summary>Embeds <paramref name="texts"/> in batches of <paramref name="batchSize"/>; vectors in input order (and token vectors into <paramref name="tokenResults"/> when given).</summary>
    internal async Task<(float[][] Vectors, long Tokens)> EmbedAsync(IReadOnlyList<string> texts, int batchSize, CancellationToken ct, TokenEmbedding[]? tokenResults = null)
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
        int batches = (n + batchSize - 1) / batchSize;
        if (batches == 1 || runtime.Lanes == 1)
        {
            for (int start = 0; start < n; start += batchSize)
                await RunBatchAsync(runtime, tokenizer, texts, order.AsMemory(start, Math.Min(batchSize, n - start)), lengths, results, ct, tokenResults).ConfigureAwait(false);
        }
        else
        {
            // One batch per lane at a time, longest first, so the lanes finish close together.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = runtime.Lanes, CancellationToken = ct };
            await Parallel.ForAsync(0, batches, parallel, async (b, token) =>
            {
                int start = b * batchSize;
                await RunBatchAsync(runtime, tokenizer, texts, order.AsMemory(start, Math.Min(batchSize, n - start)), lengths, results, token, tokenResults).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        return (results, totalTokens);
    }

    async Task RunBatchAsync(
        OnnxModelRuntime runtime, ModelTokenizer tokenizer, IReadOnlyList<string> texts, ReadOnlyMemory<int> rows, int[] lengths, float[][] results, CancellationToken ct, TokenEmbedding[]? tokenResults)
    {
        ct.ThrowIfCancellationRequested();
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var lane = runtime.RentLane();
            try
            {
                runtime.Run(lane, tokenizer, texts, rows.Span, lengths, results, ct, tokenResults);
            }
            finally
            {
                runtime.ReturnLane(lane);
            }
        }
        finally
        {
            _gate.Release();
        }
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
        for (int i = 0; i < Lanes; i++) _gate.Wait(); // let batches in flight finish before their session goes
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
            _gate.Release(Lanes);
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
            return _runtime ??= OnnxModelRuntime.Create(_spec, _cacheDirectory, Threads, Lanes, BatchSize * MaxTokens, _configureSession, _quantizer);
        }
    }
}
