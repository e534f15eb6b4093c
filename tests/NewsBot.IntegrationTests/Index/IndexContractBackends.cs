using NewsBot.Core.Ports;
using NewsBot.IntegrationTests.Qdrant;
using NewsBot.Qdrant;
using NewsBot.Sqlite;

namespace NewsBot.IntegrationTests.Index;

/// <summary>The contract against the embedded index: SQLite in a temp folder, one per test. Always runs.</summary>
public sealed class EmbeddedIndexContractTests(ContractEmbedderFixture embed) : ArticleIndexContract(embed)
{
    string? _folder;

    protected override Task<IArticleIndex> CreateIndexAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "newsbot-contract-" + Guid.NewGuid().ToString("N")[..12]);
        return Task.FromResult<IArticleIndex>(new SqliteArticleIndex(new SqliteDatabase(_folder)));
    }

    protected override Task DestroyIndexAsync(IArticleIndex index)
    {
        ((SqliteArticleIndex)index).Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            if (_folder is not null) Directory.Delete(_folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }
}

/// <summary>
/// The contract against a real Qdrant at <c>QDRANT_URL</c> (its gRPC endpoint; <c>QDRANT_API_KEY</c> when it needs
/// one), in a collection unique to each test that is deleted afterwards. Skipped, with the reason, when unset.
/// </summary>
public sealed class QdrantIndexContractTests(ContractEmbedderFixture embed) : ArticleIndexContract(embed)
{
    public const string NotSetReason =
        "QDRANT_URL is not set: start Qdrant (docker run -p 6333:6333 -p 6334:6334 qdrant/qdrant) and set QDRANT_URL=http://localhost:6334";

    static string? Url => Environment.GetEnvironmentVariable("QDRANT_URL") is { Length: > 0 } u ? u : null;

    QdrantConnection? _connection;

    protected override string? SkipReason => Url is null ? NotSetReason : null;

    protected override Task<IArticleIndex> CreateIndexAsync()
    {
        var options = new QdrantOptions
        {
            Endpoint = Url!,
            ApiKey = Environment.GetEnvironmentVariable("QDRANT_API_KEY"),
            Collection = "newsbot_contract_" + Guid.NewGuid().ToString("N")[..12],
            MaxRetries = 1,
        };
        _connection = new QdrantConnection(options);
        return Task.FromResult<IArticleIndex>(new QdrantArticleIndex(_connection.Client, options));
    }

    protected override async Task DestroyIndexAsync(IArticleIndex index)
    {
        try
        {
            await ((QdrantArticleIndex)index).DeleteCollectionAsync();
        }
        finally
        {
            _connection?.Dispose();
        }
    }
}

/// <summary>
/// The contract through the real <c>QdrantClient</c> and gRPC stack against <see cref="FakeQdrantServer"/> on loopback
/// (one server per class, a fresh collection per test, an API key required). Always runs; proves the adapter's requests
/// and the semantics they ask for, not Qdrant itself — <see cref="QdrantIndexContractTests"/> does that.
/// </summary>
public sealed class FakeGrpcQdrantIndexContractTests(ContractEmbedderFixture embed, FakeQdrantServerFixture server)
    : ArticleIndexContract(embed), IClassFixture<FakeQdrantServerFixture>
{
    QdrantConnection? _connection;

    protected override async Task<IArticleIndex> CreateIndexAsync()
    {
        var fake = await server.GetAsync();
        var options = new QdrantOptions
        {
            Endpoint = fake.Address.ToString(),
            ApiKey = FakeQdrantServerFixture.ApiKey,
            Collection = "contract_" + Guid.NewGuid().ToString("N")[..12],
            MaxRetries = 1,
        };
        _connection = new QdrantConnection(options);
        return new QdrantArticleIndex(_connection.Client, options);
    }

    protected override async Task DestroyIndexAsync(IArticleIndex index)
    {
        try
        {
            await ((QdrantArticleIndex)index).DeleteCollectionAsync();
        }
        finally
        {
            _connection?.Dispose();
        }
    }
}

/// <summary>One <see cref="FakeQdrantServer"/> for a test class, started on first use.</summary>
public sealed class FakeQdrantServerFixture : IAsyncLifetime
{
    public const string ApiKey = "contract-test-key";

    readonly SemaphoreSlim _gate = new(1, 1);
    FakeQdrantServer? _server;

    internal async Task<FakeQdrantServer> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _server ??= await FakeQdrantServer.StartAsync(ApiKey);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _gate.Dispose();
    }
}
