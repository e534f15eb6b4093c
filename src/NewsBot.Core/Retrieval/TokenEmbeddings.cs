namespace NewsBot.Core.Retrieval;

/// <summary>
/// One text's contextual token vectors as the embedding model computed them before pooling, with its pooled sentence
/// vector from the same run (so a caller that needs both pays for one).
/// </summary>
/// <param name="Pooled">The unit sentence vector the generator's ordinary embedding returns for this text.</param>
/// <param name="Tokens">The model's tokens in order, special ones included ("[CLS]", "[SEP]"; word pieces as "##ing").</param>
/// <param name="Vectors">One vector per token (not normalised), the model's hidden size each.</param>
public sealed record TokenEmbedding(float[] Pooled, IReadOnlyList<string> Tokens, IReadOnlyList<float[]> Vectors);

/// <summary>
/// The port for token-level vectors (late interaction): an embedding generator that can also return each token's
/// vector offers it through <c>GetService(typeof(ITokenEmbeddingGenerator))</c>. Remote embedding APIs return one
/// pooled vector only, so callers must treat it as optional (<see cref="Embedder.TokenGenerator"/> is then null).
/// </summary>
public interface ITokenEmbeddingGenerator
{
    /// <summary>The token vectors and pooled vector of each text, in input order (no prefixes added here).</summary>
    Task<IReadOnlyList<TokenEmbedding>> EmbedTokensAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}
