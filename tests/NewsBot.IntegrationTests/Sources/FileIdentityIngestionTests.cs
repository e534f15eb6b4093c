using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Evaluation;
using NewsBot.IntegrationTests.Index;
using NewsBot.Sqlite;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>
/// The evaluator's identity by file: documents whose <c>url:</c> lines share an address (as the QA eval documents share
/// the quiz page they came from) go through the real ArticleSource, wired with <see cref="Evaluator.ConfigureServices"/>,
/// and the ingestion pipeline into a real SQLite store: each stays its own article, linked by the named address.
/// </summary>
[Collection(IndexContractCollection.Name)]
public sealed class FileIdentityIngestionTests(ContractEmbedderFixture embed) : IDisposable
{
    const string SharedUrl = "https://quiz.example/weekly-news-quiz?utm_source=x";
    const string Canonical = "https://quiz.example/weekly-news-quiz";

    readonly string _dir = Directory.CreateTempSubdirectory("newsbot-file-identity-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    string WriteFile(string name, string title, string body)
    {
        var path = Path.Join(_dir, name);
        File.WriteAllText(path, $"{title}\nurl: {SharedUrl}\n\n{body}\n");
        return path;
    }

    async Task<(List<IngestItemResult> Results, SqliteArticleStore Store)> IngestAll(Action<IServiceCollection>? configure, params string[] files)
    {
        using var sources = new SourcesHost(configure: configure);
        var db = new SqliteDatabase(Path.Join(_dir, "data-" + Guid.NewGuid().ToString("N")[..6]));
        using var index = new SqliteArticleIndex(db);
        var store = new SqliteArticleStore(db);
        var pipeline = new IngestionPipeline(sources.Source, store, index, new SqliteFeedStore(db), embed.Embedder,
            new Chunker(HeuristicTokenCounter.Instance), LexicalEncoder.Default, new IngestionOptions(), TimeProvider.System,
            TestLog.For<IngestionPipeline>());
        var results = new List<IngestItemResult>();
        foreach (var f in files)
            await foreach (var r in pipeline.IngestAsync([f])) results.Add(r);
        return (results, store);
    }

    string[] TwoDocumentsSharingAUrl() =>
    [
        WriteFile("a.txt", "Harbour bridge reopens", "The harbour bridge reopened on Tuesday after eight months of repairs to its steel cables."),
        WriteFile("b.txt", "Library extends opening hours", "The central library will stay open until ten in the evening from March, the council decided."),
    ];

    [Fact]
    public async Task Under_the_evaluators_file_identity_documents_sharing_a_url_stay_separate_articles_linked_by_it()
    {
        var files = TwoDocumentsSharingAUrl();
        var (results, store) = await IngestAll(Evaluator.ConfigureServices, files);

        Assert.All(results, r => Assert.Equal(IngestStatus.Added, r.Status));
        Assert.NotEqual(results[0].Article?.Id, results[1].Article?.Id);
        Assert.All(results, r => Assert.Equal(Canonical, r.Article?.Url)); // the named address stays the citation link
        Assert.Equal(2, (await store.GetCountsAsync()).Articles);
        for (int i = 0; i < files.Length; i++)
        {
            var stored = await store.FindBySourceAsync(new Uri(files[i]).AbsoluteUri); // keyed by the file
            Assert.NotNull(stored);
            Assert.Equal(results[i].Article?.Id, stored.Id);
            Assert.Equal(Identity.ForContent(stored.ContentHash), stored.Id);
            Assert.Equal(Canonical, stored.Article.Url);
        }
    }

    [Fact]
    public async Task By_default_the_second_document_naming_the_same_url_replaces_the_first()
    {
        // the contrast that makes the evaluator's option necessary: the url: line is the identity
        var (results, store) = await IngestAll(null, TwoDocumentsSharingAUrl());

        Assert.Equal([IngestStatus.Added, IngestStatus.Updated], results.Select(r => r.Status));
        Assert.Equal(results[0].Article?.Id, results[1].Article?.Id);
        Assert.Equal(1, (await store.GetCountsAsync()).Articles);
    }
}
