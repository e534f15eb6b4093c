using System.Collections.Concurrent;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.IntegrationTests.Embeddings;
using NewsBot.Onnx;

namespace NewsBot.IntegrationTests.Index;

/// <summary>One article of the contract corpus (written for these tests), with its chunks' texts.</summary>
public sealed record CorpusArticle(string Slug, string Title, string? Outlet, DateTimeOffset? Published, string[] Chunks)
{
    public string Url => "https://news.example/" + Slug;
    public string Id => Identity.ForUrl(Url);
}

/// <summary>
/// Eight short news articles on unrelated subjects, some in two chunks, with outlets that repeat (for outlet
/// filters), dates around March 2025 and two undated ones (for date filters). Written for the tests.
/// </summary>
public static class ContractCorpus
{
    public static readonly CorpusArticle HarbourStrike = new("harbour-strike", "Harbour strike leaves grain ships idle", "The Ledger",
        new DateTimeOffset(2025, 3, 3, 9, 15, 0, TimeSpan.Zero),
        [
            "Dock workers at the northern harbour walked off the job on Monday over pay, leaving a dozen bulk carriers loaded with wheat and barley waiting at anchor.",
            "The union said the stoppage would continue until the port authority improved its offer; exporters warned of penalties for late deliveries.",
        ]);

    public static readonly CorpusArticle RateRise = new("rate-rise", "Central bank lifts interest rates to cool inflation", "Financial Wire",
        new DateTimeOffset(2025, 3, 5, 13, 0, 0, TimeSpan.Zero),
        ["The central bank raised its benchmark rate by a quarter point on Wednesday, citing stubborn price growth in services. Mortgage lenders are expected to pass the increase on to borrowers within weeks."]);

    public static readonly CorpusArticle MountainRescue = new("mountain-rescue", "Volunteers reach climbers stranded on the ridge", "Alpine Post",
        new DateTimeOffset(2025, 2, 20, 18, 40, 0, TimeSpan.Zero),
        ["A volunteer team led by Marguerite Thistlewaite reached four climbers trapped overnight on the eastern ridge. All four were flown to hospital with mild frostbite, Thistlewaite told reporters."]);

    public static readonly CorpusArticle Orchid = new("orchid", "Botanists rediscover orchid thought extinct", "Nature Desk", null,
        ["Researchers surveying a remote cloud forest found a small colony of a yellow orchid last recorded in 1932. Seeds have been sent to a national seed bank for safekeeping."]);

    public static readonly CorpusArticle CupFinal = new("cup-final", "Underdogs win the cup final on penalties", "Sport Daily",
        new DateTimeOffset(2025, 3, 8, 21, 30, 0, TimeSpan.Zero),
        ["The second-division side held the champions to a goalless draw before winning the shoot-out five to four, sparking celebrations across the town."]);

    public static readonly CorpusArticle BatteryPlant = new("battery-plant", "Carmaker opens battery plant", "financial wire",
        new DateTimeOffset(2025, 1, 15, 10, 0, 0, TimeSpan.Zero),
        ["The carmaker opened a factory producing lithium battery cells, promising two thousand jobs and cheaper electric vehicles by next year."]);

    public static readonly CorpusArticle RiverFlood = new("river-flood", "River floods force evacuations", "The Ledger", null,
        [
            "Heavy rain pushed the river over its banks overnight, and emergency services moved three hundred residents from low-lying streets to a school gym.",
            "Forecasters expect the water to recede by the weekend, though the council has asked residents to avoid the riverside paths.",
        ]);

    public static readonly CorpusArticle MayorElection = new("mayor-election", "Mayor wins second term", "City Herald",
        new DateTimeOffset(2024, 11, 6, 7, 0, 0, TimeSpan.FromHours(1)),
        ["The incumbent mayor won re-election with fifty-four percent of the vote, promising to expand the tram network and build more affordable homes."]);

    public static IReadOnlyList<CorpusArticle> All { get; } = [HarbourStrike, RateRise, MountainRescue, Orchid, CupFinal, BatteryPlant, RiverFlood, MayorElection];

    /// <summary>Searches every index must rank alike (text, mode, filter): both legs, each leg alone, filters, no terms.</summary>
    public static IReadOnlyList<(string Text, RetrievalMode Mode, SearchFilter? Filter)> AgreementSearches { get; } =
    [
        ("harbour strike grain ships", RetrievalMode.Hybrid, null),
        ("interest rates inflation", RetrievalMode.Hybrid, null),
        ("residents evacuated", RetrievalMode.Hybrid, null),
        ("the", RetrievalMode.Hybrid, null),
        ("climbers frostbite hospital", RetrievalMode.Dense, null),
        ("wheat barley exporters", RetrievalMode.Lexical, null),
        ("jobs", RetrievalMode.Lexical, null),
        ("river", RetrievalMode.Hybrid, new SearchFilter { Outlets = ["the ledger"] }),
        ("news this month", RetrievalMode.Hybrid, new SearchFilter
        {
            PublishedAfter = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero), PublishedBefore = new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero),
        }),
    ];

    /// <summary>Questions the corpus answers (every index must answer them).</summary>
    public static IReadOnlyList<string> AnswerableQuestions { get; } =
    [
        "Who led the volunteer team that reached the climbers on the eastern ridge?",
        "How many residents did emergency services move when the river flooded?",
        "How many jobs does the carmaker's battery plant promise?",
    ];

    /// <summary>Questions the corpus does not answer (every index must refuse them), some only by their unseen names.</summary>
    public static IReadOnlyList<string> UnanswerableQuestions { get; } =
    [
        "Who won the chess olympiad in Budapest?",
        "What did Zorbatronics announce about its battery plant?",
        "How many goals did Kvaratskhelia score in the cup final?",
    ];

    public static int ChunkCount => All.Sum(a => a.Chunks.Length);

    /// <summary>Every lexical term of the corpus (titles and chunks), to check that a paraphrase shares none.</summary>
    public static HashSet<uint> AllTerms() =>
        [.. All.SelectMany(a => a.Chunks.Select(c => a.Title + "\n" + c)).SelectMany(t => LexicalEncoder.Default.EncodeDocument(t).Indices)];
}

/// <summary>
/// The real all-MiniLM-L6-v2 embedder (the ONNX adapter), loaded once for every contract test class of the run,
/// with the embeddings of passages and queries memoised (each backend indexes the same vectors).
/// </summary>
public sealed class ContractEmbedderFixture : IDisposable
{
    readonly OnnxEmbeddingGenerator _generator;
    readonly ConcurrentDictionary<string, float[]> _passages = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, float[]> _queries = new(StringComparer.Ordinal);

    public ContractEmbedderFixture()
    {
        _generator = new OnnxEmbeddingGenerator(
            new OnnxEmbeddingOptions { Model = nameof(LocalEmbeddingModel.MiniLM), Threads = 2, BatchSize = 8, MaxTokens = 256, Quantize = false },
            OnnxGeneratorFixture.SharedCacheDirectory);
        Embedder = new Embedder(_generator, OnnxEmbeddingProfiles.For(LocalEmbeddingModel.MiniLM));
        Model = new EmbeddingModelInfo(Embedder.Profile.Model, Embedder.Profile.Dimensions);
    }

    public Embedder Embedder { get; }

    public EmbeddingModelInfo Model { get; }

    public async Task<float[]> PassageAsync(string text)
    {
        if (_passages.TryGetValue(text, out var v)) return v;
        v = (await Embedder.EmbedPassagesAsync([text]))[0];
        return _passages.GetOrAdd(text, v);
    }

    public async Task<float[]> QueryVectorAsync(string text)
    {
        if (_queries.TryGetValue(text, out var v)) return v;
        v = await Embedder.EmbedQueryAsync(text);
        return _queries.GetOrAdd(text, v);
    }

    /// <summary>An article's registry record and chunks, embedded and lexically encoded as the ingestion pipeline does.</summary>
    public async Task<(ArticleRecord Record, List<IndexedChunk> Chunks)> ArticleAsync(CorpusArticle a, string[]? chunkTexts = null)
    {
        var texts = chunkTexts ?? a.Chunks;
        var body = string.Join("\n\n", texts);
        var record = new ArticleRecord
        {
            Article = new() { Id = a.Id, Url = a.Url, Title = a.Title, Author = "Staff reporter", Outlet = a.Outlet, Published = a.Published },
            SourceKey = a.Url,
            IngestedAt = new DateTimeOffset(2025, 3, 10, 0, 0, 0, TimeSpan.Zero), ContentHash = Hashing.ContentHash(body),
            Kind = SourceKind.Page, ChunkCount = texts.Length, MinHash = MinHash.Compute(body), Body = body,
        };
        var chunks = new List<IndexedChunk>(texts.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            chunks.Add(new IndexedChunk
            {
                Article = record.Article, Position = i, Text = texts[i], TokenCount = texts[i].Split(' ').Length,
                Dense = await PassageAsync(IngestionPipeline.EmbeddingText(a.Title, texts[i])),
                Sparse = LexicalEncoder.Default.EncodeDocument(a.Title + "\n" + texts[i]),
            });
        }
        return (record, chunks);
    }

    public async Task<HybridQuery> QueryAsync(string text, RetrievalMode mode = RetrievalMode.Hybrid, SearchFilter? filter = null, int top = 10) => new()
    {
        Dense = await QueryVectorAsync(text),
        Sparse = LexicalEncoder.Default.EncodeQuery(text),
        Top = top,
        CandidatesPerLeg = 50,
        Filter = filter ?? SearchFilter.None,
        Mode = mode,
    };

    public void Dispose() => _generator.Dispose();
}

[CollectionDefinition(Name)]
public sealed class IndexContractCollection : ICollectionFixture<ContractEmbedderFixture>
{
    public const string Name = "Index contract (MiniLM)";
}
