using NewsBot.Core.Ports;

namespace NewsBot.Onnx;

/// <summary>
/// Counts a local model's WordPiece tokens with the very tokenizer and vocabulary the embedding generator uses,
/// without [CLS]/[SEP] and without truncation, so that chunks are sized to the model's window. Thread-safe;
/// the vocabulary is loaded on first use and shared with the generator.
/// </summary>
public sealed class WordPieceTokenCounter(LocalEmbeddingModel model = LocalEmbeddingModel.MiniLM) : ITokenCounter
{
    public LocalEmbeddingModel Model => model;

    public int CountTokens(string text) => ModelTokenizer.For(model).CountTokens(text ?? "");
}
