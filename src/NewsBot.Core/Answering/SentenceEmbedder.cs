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
    public SentenceEmbedder(Func<Embedder> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        model = new Lazy<Embedder>(create, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The model, created now if it was not yet.</summary>
    public Embedder Model => model.Value;

    /// <summary>Whether the model has been created (a question has been answered with it).</summary>
    public bool IsCreated => model.IsValueCreated;
}
