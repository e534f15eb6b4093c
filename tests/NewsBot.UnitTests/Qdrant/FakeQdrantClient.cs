using System.Reflection;
using Grpc.Core;
using NewsBot.Qdrant;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace NewsBot.UnitTests.Qdrant;

/// <summary>
/// A hand-written stand-in for <see cref="IQdrantClient"/> that records what the index asks and answers from
/// scripted state. Only the methods the index calls are written here; <see cref="Client"/> is a dispatch proxy
/// that forwards each interface call to the method of this class with the same name and parameter types and
/// throws <see cref="NotImplementedException"/> for every other member of the (large) interface.
/// </summary>
public sealed class FakeQdrantClient
{
    public FakeQdrantClient()
    {
        Client = DispatchProxy.Create<IQdrantClient, Proxy>();
        ((Proxy)(object)Client).Target = this;
    }

    public IQdrantClient Client { get; }

    /// <summary>Every call, by method name, in order (failed attempts included).</summary>
    public List<string> Calls { get; } = [];

    readonly Dictionary<string, Queue<Exception>> _failures = [];

    /// <summary>The next <paramref name="times"/> calls of <paramref name="method"/> throw <paramref name="error"/>.</summary>
    public FakeQdrantClient Fail(string method, Exception error, int times = 1)
    {
        if (!_failures.TryGetValue(method, out var q)) _failures[method] = q = new Queue<Exception>();
        for (int i = 0; i < times; i++) q.Enqueue(error);
        return this;
    }

    public static RpcException Rpc(StatusCode code, string detail = "") => new(new Status(code, detail));

    void Enter(string method)
    {
        Calls.Add(method);
        if (_failures.TryGetValue(method, out var q) && q.Count > 0) throw q.Dequeue();
    }

    public int CallsOf(string method) => Calls.Count(c => c == method);

    // ---- state and records ----
    public bool Exists { get; set; }
    public CollectionInfo? Info { get; set; }
    public List<CreateCollection> Created { get; } = [];
    public List<(string Field, PayloadSchemaType Type, bool Wait)> PayloadIndexes { get; } = [];
    public List<(IReadOnlyList<PointStruct> Points, bool Wait)> Upserts { get; } = [];
    public List<(Filter Filter, bool Wait)> Deletes { get; } = [];
    public List<QueryCall> Queries { get; } = [];
    public List<ScoredPoint> QueryResult { get; set; } = [];
    /// <summary>When set, answers each query (e.g. by the vector it uses) instead of <see cref="QueryResult"/>.</summary>
    public Func<QueryCall, List<ScoredPoint>>? QueryAnswer { get; set; }
    public List<Filter?> Counts { get; } = [];
    public Func<Filter?, ulong> CountResult { get; set; } = _ => 0;
    public List<string> DeletedCollections { get; } = [];

    public sealed record QueryCall(string Collection, Query? Query, IReadOnlyList<PrefetchQuery>? Prefetch, string? Using, Filter? Filter,
        ulong Limit, WithPayloadSelector? Payload, WithVectorsSelector? Vectors, SearchParams? SearchParams = null);

    /// <summary>A collection as NewsBot creates it, for tests that start from an existing one.</summary>
    public static CollectionInfo NewsBotCollection(int dims, string? model, bool idf = true, IEnumerable<string>? indexedFields = null, int schema = QdrantSchema.SchemaVersion)
    {
        var info = new CollectionInfo
        {
            Config = new CollectionConfig
            {
                Params = new CollectionParams
                {
                    VectorsConfig = new VectorsConfig { ParamsMap = new VectorParamsMap() },
                    SparseVectorsConfig = new SparseVectorConfig(),
                },
            },
        };
        info.Config.Params.VectorsConfig.ParamsMap.Map["dense"] = new VectorParams { Size = (ulong)dims, Distance = Distance.Cosine };
        var sparse = new SparseVectorParams();
        if (idf) sparse.Modifier = Modifier.Idf;
        info.Config.Params.SparseVectorsConfig.Map["lexical"] = sparse;
        if (model is not null) info.Config.Metadata["newsbot_embedding_model"] = new Value { StringValue = model };
        info.Config.Metadata["newsbot_schema"] = new Value { IntegerValue = schema };
        foreach (var f in indexedFields ?? [])
        {
            var type = f switch
            {
                "published_at" => PayloadSchemaType.Datetime,
                "position" or "terms" => PayloadSchemaType.Integer,
                _ => PayloadSchemaType.Keyword,
            };
            info.PayloadSchema[f] = new PayloadSchemaInfo { DataType = type };
        }
        return info;
    }

    // ---- the methods the index calls (same names and parameter types as IQdrantClient) ----

    public Task<bool> CollectionExistsAsync(string collectionName, CancellationToken cancellationToken)
    {
        Enter(nameof(CollectionExistsAsync));
        return Task.FromResult(Exists);
    }

    public Task CreateCollectionAsync(CreateCollection request, CancellationToken cancellationToken)
    {
        Enter(nameof(CreateCollectionAsync));
        Created.Add(request);
        Exists = true;
        Info = new CollectionInfo { Config = new CollectionConfig { Params = new CollectionParams
        {
            VectorsConfig = request.VectorsConfig, SparseVectorsConfig = request.SparseVectorsConfig,
        } } };
        Info.Config.Metadata.Add(request.Metadata);
        return Task.CompletedTask;
    }

    public Task<CollectionInfo> GetCollectionInfoAsync(string collectionName, CancellationToken cancellationToken)
    {
        Enter(nameof(GetCollectionInfoAsync));
        if (Info is null) throw Rpc(StatusCode.NotFound, $"Collection `{collectionName}` doesn't exist!");
        return Task.FromResult(Info);
    }

    public Task<UpdateResult> CreatePayloadIndexAsync(string collectionName, string fieldName, PayloadSchemaType schemaType, PayloadIndexParams? indexParams,
        bool wait, WriteOrderingType? ordering, CancellationToken cancellationToken)
    {
        Enter(nameof(CreatePayloadIndexAsync));
        PayloadIndexes.Add((fieldName, schemaType, wait));
        return Task.FromResult(new UpdateResult { Status = UpdateStatus.Completed });
    }

    public Task<UpdateResult> UpsertAsync(string collectionName, IReadOnlyList<PointStruct> points, bool wait, WriteOrderingType? ordering,
        ShardKeySelector? shardKeySelector, CancellationToken cancellationToken)
    {
        Enter(nameof(UpsertAsync));
        Upserts.Add((points.ToList(), wait));
        return Task.FromResult(new UpdateResult { Status = UpdateStatus.Completed });
    }

    public Task<UpdateResult> DeleteAsync(string collectionName, Filter filter, bool wait, WriteOrderingType? ordering,
        ShardKeySelector? shardKeySelector, CancellationToken cancellationToken)
    {
        Enter(nameof(DeleteAsync));
        Deletes.Add((filter, wait));
        return Task.FromResult(new UpdateResult { Status = UpdateStatus.Completed });
    }

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collectionName, Query? query, IReadOnlyList<PrefetchQuery>? prefetch, string? usingVector,
        Filter? filter, float? scoreThreshold, SearchParams? searchParams, ulong limit, ulong offset, WithPayloadSelector? payloadSelector,
        WithVectorsSelector? vectorsSelector, ReadConsistency? readConsistency, ShardKeySelector? shardKeySelector, LookupLocation? lookupFrom,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Enter(nameof(QueryAsync));
        var call = new QueryCall(collectionName, query, prefetch, usingVector, filter, limit, payloadSelector, vectorsSelector, searchParams);
        Queries.Add(call);
        return Task.FromResult<IReadOnlyList<ScoredPoint>>(QueryAnswer?.Invoke(call) ?? QueryResult);
    }

    public Task<ulong> CountAsync(string collectionName, Filter? filter, bool exact, ReadConsistency? readConsistency,
        ShardKeySelector? shardKeySelector, CancellationToken cancellationToken)
    {
        Enter(nameof(CountAsync));
        Counts.Add(filter);
        return Task.FromResult(CountResult(filter));
    }

    public Task DeleteCollectionAsync(string collectionName, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Enter(nameof(DeleteCollectionAsync));
        DeletedCollections.Add(collectionName);
        Exists = false;
        Info = null;
        return Task.CompletedTask;
    }

    public void Dispose() { }

    /// <summary>Forwards interface calls to the same-named, same-typed method of <see cref="FakeQdrantClient"/>.</summary>
    public class Proxy : DispatchProxy
    {
        internal FakeQdrantClient Target = null!;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            var types = targetMethod.GetParameters().Select(p => p.ParameterType).ToArray();
            var impl = typeof(FakeQdrantClient).GetMethod(targetMethod.Name, BindingFlags.Public | BindingFlags.Instance, types)
                ?? throw new NotImplementedException(
                    $"FakeQdrantClient does not implement IQdrantClient.{targetMethod.Name}({string.Join(", ", types.Select(t => t.Name))}).");
            try
            {
                return impl.Invoke(Target, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                // a scripted failure: surface it the way an async client would, as a faulted task
                return Faulted(targetMethod.ReturnType, e.InnerException);
            }
        }

        static object Faulted(Type returnType, Exception e)
        {
            if (returnType == typeof(Task)) return Task.FromException(e);
            var resultType = returnType.GetGenericArguments()[0];
            var method = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(resultType);
            return method.Invoke(null, [e])!;
        }
    }
}
