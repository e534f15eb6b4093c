using System.ComponentModel.DataAnnotations;

namespace NewsBot.Onnx;

/// <summary>
/// What <see cref="OnnxEmbeddingGenerator"/> is built with. Not a configuration section: the host binds the
/// <c>Embeddings</c> section into its one options class (<c>NewsBot.Hosting.EmbeddingsOptions</c>) and passes the
/// local keys here; the defaults below are that class's (a test holds them equal).
/// </summary>
public sealed class OnnxEmbeddingOptions : IValidatableObject
{
    /// <summary>
    /// The local model: <c>MiniLM</c> (all-MiniLM-L6-v2, the default) or <c>ArcticXs</c> (snowflake-arctic-embed-xs).
    /// A string, as the <c>Embeddings:Model</c> key it comes from (which also names remote models); checked by validation.
    /// </summary>
    public string Model { get; set; } = nameof(LocalEmbeddingModel.MiniLM);

    /// <summary>Threads ONNX Runtime uses inside one inference (0 = one per processor).</summary>
    [Range(0, 256)]
    public int Threads { get; set; }

    /// <summary>
    /// Inputs run through the model at once (each padded to the longest in its batch). 1 by default: measured on the
    /// int8 MiniLM at 192 tokens on one core, 1 or 2 passages a run did ~16 % more per CPU second than 8 (BENCHMARKS.md
    /// §3: a batch's attention scores outgrow the caches), and a vector no longer depends on the texts batched with it.
    /// </summary>
    [Range(1, 256)]
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// Longest input in tokens, [CLS] and [SEP] included; longer texts are truncated. Capped at the model's own
    /// window (256 for MiniLM, 512 for ArcticXs).
    /// </summary>
    [Range(8, 512)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>
    /// Run an int8 copy of the model: every weight MatMul dynamically quantized (<see cref="OnnxInt8Quantizer"/>), made
    /// once and cached beside the extracted model. Faster on CPUs with int8 dot-product instructions (VNNI); vectors
    /// differ slightly from the float model's, so the index records another model id (<c>all-MiniLM-L6-v2-int8</c>)
    /// and an index built with one setting must be rebuilt to switch. On by default, as <c>Embeddings:Quantize</c> is.
    /// </summary>
    public bool Quantize { get; set; } = true;

    /// <summary>
    /// Run one batch per thread side by side, each on a single core, instead of one batch at a time across all
    /// <see cref="Threads"/> (on by default; key <c>Embeddings:ParallelBatches</c>). Measured on 2 cores (BENCHMARKS.md §3): more
    /// passages per CPU second, since the threads no longer wait for each other after every operator; a lone query
    /// then runs on one core.
    /// </summary>
    public bool ParallelBatches { get; set; } = true;

    /// <summary>Where the extracted model file is kept; null = the host's <c>{data dir}/cache</c>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The configured <see cref="Model"/> as the enum (case-insensitive).</summary>
    public LocalEmbeddingModel GetModel() =>
        TryParseModel(Model, out var model)
            ? model
            : throw new InvalidOperationException(
                $"Embeddings:Model '{Model}' is not a local model; use {string.Join(" or ", Enum.GetNames<LocalEmbeddingModel>())}.");

    /// <summary>Intra-op threads to use: <see cref="Threads"/>, or the processor count when it is 0.</summary>
    public int GetThreads() => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TryParseModel(Model, out _))
            yield return new ValidationResult(
                $"Embeddings:Model must be {string.Join(" or ", Enum.GetNames<LocalEmbeddingModel>())} for the local model (was '{Model}').",
                [nameof(Model)]);
    }

    static bool TryParseModel(string? value, out LocalEmbeddingModel model) =>
        Enum.TryParse(value, ignoreCase: true, out model) && Enum.IsDefined(model) && !int.TryParse(value, out _);
}
