using System.Buffers;
using System.Text;
using FastBertTokenizer;

namespace NewsBot.Onnx;

/// <summary>
/// The model's WordPiece tokenizer (FastBertTokenizer over the vocabulary embedded in the model package),
/// loaded once per model and shared by the generator and the token counter.
/// </summary>
/// <remarks>
/// Only FastBertTokenizer's span-based <c>Encode</c> overloads are used: they write into the caller's buffers
/// and read the loaded vocabulary only, so one instance serves any number of threads. (Its overload that
/// returns <see cref="Memory{T}"/> reuses internal buffers and is not thread-safe; it is not used.)
/// </remarks>
internal sealed class ModelTokenizer
{
    static readonly Lazy<ModelTokenizer>[] Shared =
        Enum.GetValues<LocalEmbeddingModel>()
            .Select(m => new Lazy<ModelTokenizer>(() => new ModelTokenizer(LocalModelSpec.For(m)), LazyThreadSafetyMode.ExecutionAndPublication))
            .ToArray();

    const int StackTokens = 512;

    readonly BertTokenizer _tokenizer = new();
    readonly Lazy<string[]> _vocabulary;

    ModelTokenizer(LocalModelSpec spec)
    {
        using var stream = spec.OpenResource(spec.VocabResource);
        using var reader = new StreamReader(stream, Encoding.UTF8); // vocab.txt has CRLF line ends; ReadLine drops both
        _tokenizer.LoadVocabulary(reader, convertInputToLowercase: spec.LowerCase, normalization: NormalizationForm.FormD);
        // FastBertTokenizer maps text to ids only; the id → token text map (for token vectors) is the vocabulary's
        // lines, read again on first use
        _vocabulary = new Lazy<string[]>(() =>
        {
            using var again = spec.OpenResource(spec.VocabResource);
            using var lines = new StreamReader(again, Encoding.UTF8);
            var list = new List<string>();
            while (lines.ReadLine() is { } line) list.Add(line);
            return [.. list];
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The vocabulary's text of a token id ("[CLS]", "market", "##ing").</summary>
    public string TokenText(long id) => id >= 0 && id < _vocabulary.Value.Length ? _vocabulary.Value[id] : "[UNK]";

    public static ModelTokenizer For(LocalEmbeddingModel model) => Shared[(int)model].Value;

    /// <summary>
    /// Writes [CLS] tokens… [SEP] of <paramref name="text"/> into <paramref name="inputIds"/>, truncating to its
    /// length (the last slot is always [SEP]), and 1s into the same positions of <paramref name="attentionMask"/>.
    /// </summary>
    /// <returns>The number of tokens written, [CLS] and [SEP] included.</returns>
    public int Encode(string text, Span<long> inputIds, Span<long> attentionMask) =>
        _tokenizer.Encode(text, inputIds, attentionMask);

    /// <summary>Tokens of <paramref name="text"/> without [CLS]/[SEP] and without truncation.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return 0;

        // A WordPiece token covers at least one character, so length + 2 slots suffice for ordinary text.
        // English runs ~4 characters a token, so start smaller; a full buffer may mean the encoder truncated,
        // so then double it and encode again.
        int most = MaxCapacity(text);
        int capacity = Math.Min(most, text.Length / 3 + 16);
        while (true)
        {
            int n = capacity <= StackTokens / 2 ? EncodeOnStack(text, capacity) : EncodeRented(text, capacity);
            if (n < capacity || capacity == most) return n - 2;
            capacity = (int)Math.Min(most, capacity * 2L);
        }
    }

    // Unknown words are retried decomposed (NFD), which can in theory yield more pieces than characters
    // (e.g. Hangul syllables into jamo); four per character is far beyond anything real text produces.
    static int MaxCapacity(string text) => (int)Math.Min(Array.MaxLength / 2, text.Length * 4L + 2);

    int EncodeOnStack(string text, int capacity)
    {
        Span<long> buffer = stackalloc long[StackTokens];
        return _tokenizer.Encode(text, buffer[..capacity], buffer.Slice(capacity, capacity));
    }

    int EncodeRented(string text, int capacity)
    {
        var rented = ArrayPool<long>.Shared.Rent(capacity * 2);
        try
        {
            return _tokenizer.Encode(text, rented.AsSpan(0, capacity), rented.AsSpan(capacity, capacity));
        }
        finally
        {
            ArrayPool<long>.Shared.Return(rented);
        }
    }
}
