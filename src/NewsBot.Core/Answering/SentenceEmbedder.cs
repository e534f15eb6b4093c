using NewsBot.Core.Retrieval;

namespace NewsBot.Core.Answering;

/// <summary>
/// The embedding model that scores candidate sentences against the question when it is not retrieval's own
/// (<see cref="AnsweringOptions.SentenceEmbeddings"/>): a query→passage retrieval model may tell the sentence that
/// answers from one that only shares the topic better than a symmetric similarity model. Created on first use and
/// kept, so a host that never answers extractively loads nothing.
/// </summary>
public sealed class SentenceEmbedder
{
    readonly Lazy<Embedder> model;

    /// <param name="create">Builds the model's <see cref="Embedder"/>; called once, on the first sentence scored.</param>
    /// <param name="cosineScale">The map of the model's cosines onto the scale the hand score's weights were set on (<see cref="CosineScale.For"/>).</param>
    public SentenceEmbedder(Func<Embedder> create, CosineScale? cosineScale = null)
    {
        ArgumentNullException.ThrowIfNull(create);
        model = new Lazy<Embedder>(create, LazyThreadSafetyMode.ExecutionAndPublication);
        Scale = cosineScale ?? CosineScale.Identity;
    }

    /// <summary>How the model's cosines are mapped before they enter the sentence score.</summary>
    public CosineScale Scale { get; }

    /// <summary>The model, created now if it was not yet.</summary>
    public Embedder Model => model.Value;

    /// <summary>Whether the model has been created (a question has been answered with it).</summary>
    public bool IsCreated => model.IsValueCreated;
}

/// <summary>
/// An affine map of one model's question–sentence cosines onto all-MiniLM-L6-v2's, on which the hand score's weights and
/// thresholds were set (<c>ExtractiveAnswerer.Weights</c>, <see cref="AnsweringOptions.MinSentenceScore"/>): models score
/// related text on their own scales (as <see cref="AnsweringOptions.ForModel"/> says for relevance), and an unmapped
/// scale shifts how many sentences pass the share a further sentence needs and the refusal threshold.
/// </summary>
public sealed record CosineScale(double Slope, double Offset)
{
    public static readonly CosineScale Identity = new(1, 0);

    public double Apply(double cosine) => Slope * cosine + Offset;

    /// <summary>
    /// For a local model's name: snowflake-arctic-embed-xs (int8, query prefix) mapped by matching the mean and standard
    /// deviation of its cosines to MiniLM int8's over the same candidate sentences of the training sets (BENCHMARKS.md
    /// §1.3.1, ninth pass; `eval --features` rows of both, column "dense"); any other model unmapped.
    /// </summary>
    public static CosineScale For(string? localModel) =>
        string.Equals(localModel, "ArcticXs", StringComparison.OrdinalIgnoreCase) ? ArcticXs : Identity;

    static readonly CosineScale ArcticXs = new(ArcticSlope, ArcticOffset);

    const double ArcticSlope = 2.2816, ArcticOffset = -0.9868;
}
