using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using NewsBot.IntegrationTests.Resilience;
using NewsBot.Qdrant;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace NewsBot.IntegrationTests.Qdrant;

/// <summary>
/// The adapter through the real <see cref="QdrantClient"/>, Grpc.Net.Client and HTTP/2 against
/// <see cref="FakeQdrantServer"/> on loopback: what the collection looks like on the server, the api-key header,
/// retries of transient statuses, and the messages for an unreachable endpoint and rejected requests.
/// </summary>
public sealed class QdrantGrpcTransportTests : IAsyncLifetime
{
    const string Key = "transport-test-key";
    static readonly EmbeddingModelInfo Model = new("all-MiniLM-L6-v2", 4);
    FakeQdrantServer _server = null!;
    readonly List<QdrantConnection> _connections = [];
    readonly List<TimeSpan> _delays = [];

    public async Task InitializeAsync() => _server = await FakeQdrantServer.StartAsync(Key);

    public async Task DisposeAsync()
    {
        foreach (var c in _connections) c.Dispose();
        await _server.DisposeAsync();
    }

    QdrantArticleIndex Index(string? apiKey = Key, string? endpoint = null, int maxRetries = 2, string collection = "transport")
    {
        var options = new QdrantOptions { Endpoint = endpoint ?? _server.Address.ToString(), ApiKey = apiKey, Collection = collection, MaxRetries = maxRetries, Timeout = TimeSpan.FromSeconds(10) };
        var connection = new QdrantConnection(options);
        _connections.Add(connection);
        // the host's Qdrant pipeline, on a clock that records each wait and lets it pass at once
        var retries = new Polly.ResiliencePipelineBuilder { TimeProvider = new RecordingTimeProvider(_delays) };
        NewsBot.Hosting.ResilienceRegistration.ConfigureQdrant(retries, options, new NewsBot.Hosting.QdrantResilienceOptions(), TestLog.Any);
        return new QdrantArticleIndex(connection.Client, options, pipeline: retries.Build());
    }

    static (ArticleRecord, List<IndexedChunk>) Article(string id, string text, float[] dense, DateTimeOffset? published = null)
    {
        var record = new ArticleRecord
        {
            Article = new() { Id = id, Url = "https://example.test/" + id, Title = "T " + id, Outlet = "The Ledger", Published = published },
            SourceKey = "test:" + id, IngestedAt = DateTimeOffset.UnixEpoch,
            ContentHash = "h", Kind = SourceKind.Page,
        };
        var chunk = new IndexedChunk
        {
            Article = record.Article, Position = 0, Text = text,
            Dense = dense, Sparse = LexicalEncoder.Default.EncodeDocument(text),
        };
        return (record, [chunk]);
    }

    [Fact]
    public async Task EnsureReady_creates_the_collection_the_adapter_describes_on_the_server()
    {
        await Index().EnsureReadyAsync(Model);

        using var connection = new QdrantConnection(new QdrantOptions { Endpoint = _server.Address.ToString(), ApiKey = Key });
        var info = await connection.Client.GetCollectionInfoAsync("transport");
        Assert.Equal(4UL, info.Config.Params.VectorsConfig.ParamsMap.Map["dense"].Size);
        Assert.Equal(Distance.Cosine, info.Config.Params.VectorsConfig.ParamsMap.Map["dense"].Distance);
        Assert.Equal(Modifier.Idf, info.Config.Params.SparseVectorsConfig.Map["lexical"].Modifier);
        Assert.Equal("all-MiniLM-L6-v2", info.Config.Metadata["newsbot_embedding_model"].StringValue);
        Assert.Equal(PayloadSchemaType.Datetime, info.PayloadSchema["published_at"].DataType);
        Assert.Equal(PayloadSchemaType.Keyword, info.PayloadSchema["outlet_lc"].DataType);
        Assert.Equal(PayloadSchemaType.Keyword, info.PayloadSchema["article_id"].DataType);
        Assert.Equal(PayloadSchemaType.Integer, info.PayloadSchema["position"].DataType);

        var stats = await Index().GetStatsAsync();
        Assert.Equal(new IndexStats("qdrant", 0, 0, "all-MiniLM-L6-v2", 4, null), stats);
    }

    [Fact]
    public async Task A_write_and_a_hybrid_search_round_trip_through_grpc()
    {
        var index = Index();
        await index.EnsureReadyAsync(Model);
        var (r1, c1) = Article("u1", "Grain ships wait at the harbour", [1, 0, 0, 0], new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var (r2, c2) = Article("u2", "Rates rise again", [0, 1, 0, 0]);
        await index.UpsertAsync(r1, c1);
        await index.UpsertAsync(r2, c2);

        var hits = await index.SearchAsync(new HybridQuery { Dense = [0.8f, 0.6f, 0, 0], Sparse = LexicalEncoder.Default.EncodeQuery("harbour grain") });

        Assert.Equal(["u1", "u2"], hits.Select(h => h.Article.Id));
        Assert.Equal(2.0 / (NewsBot.Core.Retrieval.ReciprocalRankFusion.DefaultK + 1), hits[0].Score, 5); // first in both legs, equal weights
        Assert.Equal(0.8f, hits[0].DenseScore!.Value, 4);
        Assert.Equal(0.6f, hits[1].DenseScore!.Value, 4);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero), hits[0].Article.Published);
        Assert.Equal(2, _server.CallsTo("Query")); // one per leg, fused by NewsBot
    }

    [Fact]
    public async Task A_wrong_api_key_is_refused_once_with_a_message_about_Qdrant_ApiKey()
    {
        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index(apiKey: "wrong-key").EnsureReadyAsync(Model));

        Assert.Contains("Qdrant:ApiKey", e.Message);
        Assert.Contains("Unauthenticated", e.Message);
        Assert.DoesNotContain("wrong-key", e.Message);
        Assert.Equal(1, _server.CallsTo("CollectionExists"));
        Assert.Empty(_delays);
        await Assert.ThrowsAsync<IndexUnavailableException>(() => Index(apiKey: null).EnsureReadyAsync(Model));
    }

    [Fact]
    public async Task Unavailable_answers_are_retried_by_the_adapter_until_the_server_answers()
    {
        var index = Index();
        await index.EnsureReadyAsync(Model);
        _server.FailNext(StatusCode.Unavailable, times: 2);

        // one leg, so that both failures land on the same call
        var hits = await index.SearchAsync(new HybridQuery { Dense = [1, 0, 0, 0], Sparse = LexicalEncoder.Default.EncodeQuery("grain"), Mode = RetrievalMode.Dense });

        Assert.Empty(hits);
        Assert.Equal(3, _server.CallsTo("Query"));
        Assert.Equal([TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500)], _delays);
    }

    [Fact]
    public async Task An_unreachable_endpoint_gives_one_clear_message_after_the_retries()
    {
        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index(endpoint: "http://127.0.0.1:1").EnsureReadyAsync(Model));

        Assert.StartsWith("Cannot reach Qdrant at http://127.0.0.1:1 (gRPC Unavailable after 3 attempts). Check Qdrant:Endpoint", e.Message);
        Assert.Equal(2, _delays.Count);
        var rpc = Assert.IsType<RpcException>(e.InnerException);
        Assert.Equal(StatusCode.Unavailable, rpc.StatusCode);
    }

    [Fact]
    public async Task A_vector_of_the_wrong_size_is_rejected_once_as_a_model_mismatch()
    {
        var index = Index(collection: "sized");
        await index.EnsureReadyAsync(Model);
        // a second index object that has not seen EnsureReady, so the adapter's own guard does not stop it first
        var (record, chunks) = Article("u1", "text", [1, 0, 0, 0, 0, 0]);

        var e = await Assert.ThrowsAsync<IndexModelMismatchException>(() => Index(collection: "sized").UpsertAsync(record, chunks));

        Assert.Contains("newsbot reindex", e.Message);
        Assert.Contains("expected dim: 4, got 6", e.Message);
        Assert.Equal(1, _server.CallsTo("Upsert"));
    }

    [Fact]
    public async Task Searching_a_collection_that_does_not_exist_names_it()
    {
        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() =>
            Index(collection: "missing").SearchAsync(new HybridQuery { Dense = [1, 0, 0, 0], Sparse = LexicalEncoder.Default.EncodeQuery("grain") }));
        Assert.Contains("has no collection 'missing'", e.Message);
    }

    [Fact]
    public async Task The_di_registration_connects_with_the_configured_endpoint_and_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Index:Provider"] = "Qdrant",
            ["Qdrant:Endpoint"] = _server.Address.ToString(),
            ["Qdrant:ApiKey"] = Key,
            ["Qdrant:Collection"] = "from_di",
        }).Build();
        var services = new ServiceCollection().AddLogging(LogSecretScanner.AddTo);
        services.AddNewsBotQdrant(config);
        await using var sp = services.BuildServiceProvider();

        var index = sp.GetRequiredService<QdrantArticleIndex>();
        await index.EnsureReadyAsync(Model);

        Assert.Contains("from_di", _server.Store.CollectionNames);
        Assert.Same(sp.GetRequiredService<QdrantConnection>().Client, sp.GetRequiredService<IQdrantClient>());
    }
}
