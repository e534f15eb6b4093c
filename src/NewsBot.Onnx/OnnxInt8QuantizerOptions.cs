namespace NewsBot.Onnx;

/// <summary>Which int8 operators <see cref="OnnxInt8Quantizer"/> writes for a quantized <c>MatMul</c>.</summary>
public enum OnnxInt8Form
{
    /// <summary>
    /// One <c>com.microsoft.DynamicQuantizeMatMul</c> per MatMul: it quantizes its float input to uint8 (per tensor,
    /// asymmetric) on every run and multiplies it with the int8 weight (U8S8 GEMM, prepacked once).
    /// </summary>
    DynamicQuantizeMatMul,

    /// <summary>
    /// One standard <c>DynamicQuantizeLinear</c> per distinct float input, shared by every MatMul that reads it (Q, K
    /// and V read the same hidden states), feeding <c>com.microsoft.MatMulIntegerToFloat</c> per weight.
    /// </summary>
    MatMulIntegerToFloat,
}

/// <summary>How <see cref="OnnxInt8Quantizer"/> rewrites a model.</summary>
public sealed record OnnxInt8QuantizerOptions
{
    /// <summary>
    /// The algorithm's version; part of the cache key, so a change of defaults or math yields a new file. Still v1
    /// after the move from a hand-written protobuf rewriter to generated ONNX classes: the graph and weights written
    /// are the same (OnnxInt8QuantizerMiniLMTests compares the embeddings), so a cached file of that release is reused.
    /// The graph passes of issue 18 (<see cref="MergeSharedInputs"/>, <see cref="DropAttentionMask"/>,
    /// <see cref="FoldHeadTransposes"/>) change the key
    /// through <see cref="Describe"/> instead, so that switched off they name the earlier file again.
    /// </summary>
    public const string AlgorithmVersion = "int8-v1";

    public static OnnxInt8QuantizerOptions Default { get; } = new();

    public OnnxInt8Form Form { get; init; } = OnnxInt8Form.DynamicQuantizeMatMul;

    /// <summary>One scale per weight column (output feature) rather than one per matrix: more accurate, no slower.</summary>
    public bool PerColumn { get; init; } = true;

    /// <summary>
    /// Folds a bias <c>Add</c> that is a MatMul's only consumer (a 1-D float initializer of the output width) into the
    /// int8 operator's bias input, saving one pass over the output (on by default: measured +5–15% passages/s for
    /// MiniLM at batch 8–16, ORT then runs GELU without the bias instead of BiasGelu).
    /// </summary>
    public bool FoldBias { get; init; } = true;

    /// <summary>
    /// Merges the int8 MatMuls that read the same input (Q, K and V) into one over their weights side by side, then a
    /// Split (<see cref="OnnxInt8GraphPasses.MergeSharedInputs"/>; same vectors, fewer passes over the input). Applies
    /// to the <see cref="OnnxInt8Form.DynamicQuantizeMatMul"/> form with <see cref="PerColumn"/> scales. On by default.
    /// </summary>
    public bool MergeSharedInputs { get; init; } = true;

    /// <summary>
    /// Removes the attention mask's Add before every Softmax (<see cref="OnnxInt8GraphPasses.DropAttentionMask"/>):
    /// for sessions that run one unpadded sequence at a time only (<see cref="OnnxModelRuntime"/> runs any wider batch
    /// row by row on such a graph). Off by default; the generator asks for it at a batch size of 1.
    /// </summary>
    public bool DropAttentionMask { get; init; }

    /// <summary>
    /// With <see cref="DropAttentionMask"/> (one sequence a run): the attention reads Q, K and V in place instead of
    /// through three head Transposes (<see cref="OnnxInt8FusionPasses.FoldHeadTransposes"/>; the same vectors, ~3 %
    /// more tokens per CPU second, BENCHMARKS.md §3.1.2). On by default; without <see cref="DropAttentionMask"/> it
    /// does nothing (a padded batch keeps its batch axis) and does not change the cache key.
    /// </summary>
    public bool FoldHeadTransposes { get; init; } = true;

    /// <summary>
    /// A short, file-name-safe description of these options, for cache keys. Options that change the graph add a suffix
    /// only when they do something, so that the options of an earlier release describe (and find) its file again.
    /// </summary>
    public string Describe() =>
        $"{AlgorithmVersion}-{(Form == OnnxInt8Form.DynamicQuantizeMatMul ? "dqmm" : "mi2f")}-{(PerColumn ? "col" : "tensor")}{(FoldBias ? "-bias" : "")}" +
        $"{(Merges ? "-merged" : "")}{(DropAttentionMask ? "-nomask" : "")}{(FoldsHeads ? "-heads" : "")}";

    internal bool Merges => MergeSharedInputs && Form == OnnxInt8Form.DynamicQuantizeMatMul && PerColumn;

    internal bool FoldsHeads => FoldHeadTransposes && DropAttentionMask;
}

/// <summary>What <see cref="OnnxInt8Quantizer.Quantize"/> did.</summary>
/// <param name="MatMulNodes">MatMul nodes in the main graph.</param>
/// <param name="QuantizedNodes">MatMul nodes rewritten to int8 operators.</param>
/// <param name="QuantizedWeights">Distinct float weight initializers quantized (a weight read by two MatMuls counts once).</param>
/// <param name="DroppedFloatWeights">Float weights removed because nothing else read them.</param>
/// <param name="FoldedBiases">Bias Adds folded into the int8 operator.</param>
/// <param name="SharedInputQuantizers">DynamicQuantizeLinear nodes added (MatMulIntegerToFloat form only).</param>
/// <param name="InputBytes">Size of the model given.</param>
/// <param name="OutputBytes">Size of the model returned.</param>
public sealed record OnnxInt8QuantizationReport(
    int MatMulNodes,
    int QuantizedNodes,
    int QuantizedWeights,
    int DroppedFloatWeights,
    int FoldedBiases,
    int SharedInputQuantizers,
    long InputBytes,
    long OutputBytes)
{
    /// <summary>int8 MatMuls merged into another that reads the same input (<see cref="OnnxInt8QuantizerOptions.MergeSharedInputs"/>).</summary>
    public int MergedNodes { get; init; }

    /// <summary>Attention-mask Adds removed (<see cref="OnnxInt8QuantizerOptions.DropAttentionMask"/>).</summary>
    public int DroppedMaskAdds { get; init; }

    /// <summary>Attention blocks whose head Transposes were folded (<see cref="OnnxInt8QuantizerOptions.FoldHeadTransposes"/>).</summary>
    public int FoldedAttentionBlocks { get; init; }

    public bool Changed => QuantizedNodes > 0;
}
