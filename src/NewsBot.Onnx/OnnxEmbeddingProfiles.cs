using NewsBot.Core.Retrieval;

namespace NewsBot.Onnx;

/// <summary>The Core <see cref="EmbeddingProfile"/> of each local model: name recorded in the index, size, prefixes.</summary>
public static class OnnxEmbeddingProfiles
{
    /// <summary>
    /// all-MiniLM-L6-v2: no prefixes. snowflake-arctic-embed-xs: queries get
    /// "Represent this sentence for searching relevant passages: ", passages nothing (per Snowflake's model card
    /// and evaluation code).
    /// </summary>
    /// <param name="maxBatch">
    /// Passages Core hands the generator per call. More than the generator's own batch size lets it sort a call's
    /// passages by length into batches with little padding; the default is four model batches of 8.
    /// </param>
    public static EmbeddingProfile For(LocalEmbeddingModel model, int maxBatch = 32) => For(model, quantized: false, maxBatch);

    /// <param name="quantized">
    /// The int8 model (<see cref="OnnxEmbeddingOptions.Quantize"/>): same size and prefixes, model id with <c>-int8</c>
    /// (e.g. <c>all-MiniLM-L6-v2-int8</c>), so that the index never mixes its vectors with the float model's.
    /// </param>
    public static EmbeddingProfile For(LocalEmbeddingModel model, bool quantized, int maxBatch = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var spec = LocalModelSpec.For(model);
        return new EmbeddingProfile(spec.IndexModelId(quantized), spec.Dimensions, QueryPrefix: spec.QueryPrefix, PassagePrefix: "", MaxBatch: maxBatch);
    }

    /// <summary>
    /// The profile for configured options: <c>MaxBatch</c> = 4 × <see cref="OnnxEmbeddingOptions.BatchSize"/>, at least
    /// 16, so that a call holds enough batches to keep every core's lane busy until its end.
    /// </summary>
    public static EmbeddingProfile For(OnnxEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return For(options.GetModel(), options.Quantize, Math.Max(16, Math.Max(1, options.BatchSize) * 4));
    }
}
