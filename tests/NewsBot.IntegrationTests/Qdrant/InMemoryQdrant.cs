using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Qdrant.Client.Grpc;

namespace NewsBot.IntegrationTests.Qdrant;

/// <summary>
/// A small in-memory model of the Qdrant semantics NewsBot relies on, answering the gRPC request messages of the
/// client package with its response messages: collections with named dense (cosine) and sparse (optionally IDF)
/// vectors and metadata, payload indexes (recorded), upsert, delete by ids or filter, count, and the Query API with
/// nearest (dense or sparse) and prefetches fused by RRF (<c>1/(k + zero-based position)</c>, k = 2 by default).
/// Filters: must / should / must_not, nested filters, keyword and integer match, match any, numeric and datetime
/// ranges, is_empty, is_null, has_id. Anything else is rejected with InvalidArgument so a test never passes on a
/// condition the model silently ignores. Not a database: everything is a linear scan under one lock.
/// </summary>
internal sealed class InMemoryQdrant
{
    sealed class StoredPoint(PointId id)
    {
        public PointId Id { get; } = id;
        public MapField<string, Value> Payload { get; } = [];
        public Dictionary<string, float[]> Dense { get; } = [];
        public Dictionary<string, Dictionary<uint, float>> Sparse { get; } = [];
    }

    sealed class Collection(CreateCollection config)
    {
        public CreateCollection Config { get; } = config;
        public Dictionary<string, StoredPoint> Points { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, PayloadSchemaType> Indexes { get; } = new(StringComparer.Ordinal);
        public ulong Operations;
    }

    readonly Lock _lock = new();
    readonly Dictionary<string, Collection> _collections = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> CollectionNames
    {
        get
        {
            lock (_lock) return _collections.Keys.ToList();
        }
    }

    public int PointCount(string collection)
    {
        lock (_lock) return _collections.TryGetValue(collection, out var c) ? c.Points.Count : 0;
    }

    /// <summary>How many points each article has (by the payload's article id): the fault tests compare it with the SQLite store.</summary>
    public Dictionary<string, int> PointsPerArticle(string collection, string articleIdKey)
    {
        lock (_lock)
            return _collections.TryGetValue(collection, out var c)
                ? c.Points.Values.GroupBy(p => p.Payload.TryGetValue(articleIdKey, out var v) ? v.StringValue : "").ToDictionary(g => g.Key, g => g.Count())
                : [];
    }

    static RpcException Error(StatusCode code, string message) => new(new Status(code, message));

    Collection Get(string name)
        => _collections.TryGetValue(name, out var c) ? c : throw Error(StatusCode.NotFound, $"Not found: Collection `{name}` doesn't exist!");

    static string Key(PointId id) => id.PointIdOptionsCase switch
    {
        PointId.PointIdOptionsOneofCase.Uuid => "u:" + Guid.Parse(id.Uuid).ToString("D"),
        PointId.PointIdOptionsOneofCase.Num => "n:" + id.Num.ToString(CultureInfo.InvariantCulture),
        _ => throw Error(StatusCode.InvalidArgument, "Wrong input: point id is empty"),
    };

    // ---- collections ----

    public CollectionOperationResponse Create(CreateCollection r)
    {
        lock (_lock)
        {
            if (_collections.ContainsKey(r.CollectionName))
                throw Error(StatusCode.AlreadyExists, $"Wrong input: Collection `{r.CollectionName}` already exists!");
            if (r.VectorsConfig?.ConfigCase == VectorsConfig.ConfigOneofCase.Params)
                throw Error(StatusCode.InvalidArgument, "fake Qdrant: only named vectors are modelled");
            _collections[r.CollectionName] = new Collection(r.Clone());
            return new CollectionOperationResponse { Result = true };
        }
    }

    public CollectionExistsResponse Exists(CollectionExistsRequest r)
    {
        lock (_lock) return new CollectionExistsResponse { Result = new CollectionExists { Exists = _collections.ContainsKey(r.CollectionName) } };
    }

    public CollectionOperationResponse Delete(DeleteCollection r)
    {
        lock (_lock) return new CollectionOperationResponse { Result = _collections.Remove(r.CollectionName) };
    }

    public GetCollectionInfoResponse Info(GetCollectionInfoRequest r)
    {
        lock (_lock)
        {
            var c = Get(r.CollectionName);
            var info = new CollectionInfo
            {
                Status = CollectionStatus.Green,
                PointsCount = (ulong)c.Points.Count,
                Config = new CollectionConfig
                {
                    Params = new CollectionParams
                    {
                        ShardNumber = c.Config.HasShardNumber ? c.Config.ShardNumber : 1,
                        ReplicationFactor = c.Config.HasReplicationFactor ? c.Config.ReplicationFactor : 1,
                        VectorsConfig = c.Config.VectorsConfig?.Clone(),
                        SparseVectorsConfig = c.Config.SparseVectorsConfig?.Clone(),
                    },
                },
            };
            info.Config.Metadata.Add(c.Config.Metadata);
            foreach (var (field, type) in c.Indexes) info.PayloadSchema[field] = new PayloadSchemaInfo { DataType = type };
            return new GetCollectionInfoResponse { Result = info };
        }
    }

    public PointsOperationResponse CreateFieldIndex(CreateFieldIndexCollection r)
    {
        lock (_lock)
        {
            var c = Get(r.CollectionName);
            c.Indexes[r.FieldName] = Enum.Parse<PayloadSchemaType>(r.FieldType.ToString());
            return Completed(c);
        }
    }

    static PointsOperationResponse Completed(Collection c)
        => new() { Result = new UpdateResult { OperationId = ++c.Operations, Status = UpdateStatus.Completed } };

    // ---- points ----

    public PointsOperationResponse Upsert(UpsertPoints r)
    {
        lock (_lock)
        {
            var c = Get(r.CollectionName);
            var dense = c.Config.VectorsConfig?.ParamsMap?.Map ?? new MapField<string, VectorParams>();
            var sparse = c.Config.SparseVectorsConfig?.Map ?? new MapField<string, SparseVectorParams>();
            var stored = new List<StoredPoint>();
            foreach (var p in r.Points)
            {
                var s = new StoredPoint(p.Id.Clone());
                s.Payload.Add(p.Payload);
                if (p.Vectors?.VectorsOptionsCase != Vectors.VectorsOptionsOneofCase.Vectors_)
                    throw Error(StatusCode.InvalidArgument, "fake Qdrant: only named vectors are modelled");
                foreach (var (name, v) in p.Vectors.Vectors_.Vectors)
                {
                    if (v.VectorCase == Vector.VectorOneofCase.Dense)
                    {
                        if (!dense.TryGetValue(name, out var config))
                            throw Error(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}");
                        if ((ulong)v.Dense.Data.Count != config.Size)
                            throw Error(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {config.Size}, got {v.Dense.Data.Count}");
                        var data = v.Dense.Data.ToArray();
                        if (config.Distance == Distance.Cosine) Normalize(data);
                        s.Dense[name] = data;
                    }
                    else if (v.VectorCase == Vector.VectorOneofCase.Sparse)
                    {
                        if (!sparse.ContainsKey(name))
                            throw Error(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}");
                        if (v.Sparse.Indices.Count != v.Sparse.Values.Count || v.Sparse.Indices.Distinct().Count() != v.Sparse.Indices.Count)
                            throw Error(StatusCode.InvalidArgument, "Wrong input: sparse vector indices and values must have the same length and no duplicates");
                        var map = new Dictionary<uint, float>();
                        for (int i = 0; i < v.Sparse.Indices.Count; i++) map[v.Sparse.Indices[i]] = v.Sparse.Values[i];
                        s.Sparse[name] = map;
                    }
                    else
                    {
                        throw Error(StatusCode.InvalidArgument, $"fake Qdrant: vector kind {v.VectorCase} is not modelled (deprecated fields?)");
                    }
                }
                stored.Add(s);
            }
            foreach (var s in stored) c.Points[Key(s.Id)] = s; // all or nothing, like one Qdrant update operation
            return Completed(c);
        }
    }

    public PointsOperationResponse DeletePoints(DeletePoints r)
    {
        lock (_lock)
        {
            var c = Get(r.CollectionName);
            switch (r.Points?.PointsSelectorOneOfCase)
            {
                case PointsSelector.PointsSelectorOneOfOneofCase.Points:
                    foreach (var id in r.Points.Points.Ids) c.Points.Remove(Key(id));
                    break;
                case PointsSelector.PointsSelectorOneOfOneofCase.Filter:
                    foreach (var key in c.Points.Where(kv => Matches(r.Points.Filter, kv.Value)).Select(kv => kv.Key).ToList())
                        c.Points.Remove(key);
                    break;
                default:
                    throw Error(StatusCode.InvalidArgument, "Wrong input: empty points selector");
            }
            return Completed(c);
        }
    }

    public CountResponse Count(CountPoints r)
    {
        lock (_lock)
        {
            var c = Get(r.CollectionName);
            return new CountResponse { Result = new CountResult { Count = (ulong)c.Points.Values.Count(p => Matches(r.Filter, p)) } };
        }
    }

    // ---- query ----

    public QueryResponse Query(QueryPoints r)
    {
        lock (_lock)
        {
            var c = Get(r.CollectionName);
            var limit = r.HasLimit ? r.Limit : 10;
            var ranked = Run(c, r.Query, r.HasUsing ? r.Using : null, r.Filter, limit, r.Prefetch);
            var response = new QueryResponse();
            foreach (var (p, score) in ranked.Skip((int)r.Offset))
            {
                var sp = new ScoredPoint { Id = p.Id.Clone(), Score = score };
                if (r.WithPayload is { } wp && (wp.SelectorOptionsCase == WithPayloadSelector.SelectorOptionsOneofCase.Enable ? wp.Enable : wp.SelectorOptionsCase != WithPayloadSelector.SelectorOptionsOneofCase.None))
                    sp.Payload.Add(p.Payload);
                if (r.WithVectors is { } wv)
                {
                    IEnumerable<string> names = wv.SelectorOptionsCase switch
                    {
                        WithVectorsSelector.SelectorOptionsOneofCase.Enable when wv.Enable => p.Dense.Keys.Concat(p.Sparse.Keys),
                        WithVectorsSelector.SelectorOptionsOneofCase.Include => wv.Include.Names,
                        _ => [],
                    };
                    var named = new NamedVectorsOutput();
                    foreach (var name in names)
                    {
                        if (p.Dense.TryGetValue(name, out var d)) named.Vectors[name] = new VectorOutput { Dense = new DenseVector { Data = { d } } };
                        else if (p.Sparse.TryGetValue(name, out var s))
                            named.Vectors[name] = new VectorOutput { Sparse = new SparseVector { Indices = { s.Keys }, Values = { s.Values } } };
                    }
                    if (named.Vectors.Count > 0) sp.Vectors = new VectorsOutput { Vectors = named };
                }
                response.Result.Add(sp);
            }
            return response;
        }
    }

    List<(StoredPoint Point, float Score)> Run(Collection c, Query? query, string? usingVector, Filter? filter, ulong limit, RepeatedField<PrefetchQuery> prefetch)
    {
        if (prefetch.Count > 0)
        {
            var lists = prefetch.Select(pf => Run(c, pf.Query, pf.HasUsing ? pf.Using : null, Combine(filter, pf.Filter), pf.HasLimit ? pf.Limit : 10, pf.Prefetch)).ToList();
            uint k = query?.VariantCase switch
            {
                global::Qdrant.Client.Grpc.Query.VariantOneofCase.Rrf => query.Rrf.HasK ? query.Rrf.K : 2,
                global::Qdrant.Client.Grpc.Query.VariantOneofCase.Fusion when query.Fusion == Fusion.Rrf => 2,
                _ => throw Error(StatusCode.InvalidArgument, $"fake Qdrant: only RRF fusion over prefetches is modelled, got {query?.VariantCase}"),
            };
            var weights = query?.VariantCase == global::Qdrant.Client.Grpc.Query.VariantOneofCase.Rrf ? query.Rrf.Weights.ToArray() : [];
            if (weights.Length != 0 && weights.Length != lists.Count)
                throw Error(StatusCode.InvalidArgument, "fake Qdrant: RRF weights must match the prefetches");
            var fused = new Dictionary<string, (StoredPoint Point, double Score)>();
            for (int leg = 0; leg < lists.Count; leg++)
            {
                var list = lists[leg];
                double w = weights.Length == 0 ? 1.0 : weights[leg];
                for (int pos = 0; pos < list.Count; pos++)
                {
                    var key = Key(list[pos].Point.Id);
                    var s = w / (k + pos);
                    fused[key] = fused.TryGetValue(key, out var prev) ? (prev.Point, prev.Score + s) : (list[pos].Point, s);
                }
            }
            return fused.Values.OrderByDescending(x => x.Score).ThenBy(x => Key(x.Point.Id), StringComparer.Ordinal)
                .Take((int)limit).Select(x => (x.Point, (float)x.Score)).ToList();
        }

        if (query?.VariantCase != global::Qdrant.Client.Grpc.Query.VariantOneofCase.Nearest)
            throw Error(StatusCode.InvalidArgument, $"fake Qdrant: only nearest queries are modelled without prefetch, got {query?.VariantCase}");
        var input = query.Nearest;
        var candidates = c.Points.Values.Where(p => Matches(filter, p));
        IEnumerable<(StoredPoint Point, float Score)> scored;
        if (input.VariantCase == VectorInput.VariantOneofCase.Dense)
        {
            var name = usingVector ?? "";
            if (c.Config.VectorsConfig?.ParamsMap?.Map.TryGetValue(name, out var config) != true)
                throw Error(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}");
            var q = input.Dense.Data.ToArray();
            if ((ulong)q.Length != config!.Size)
                throw Error(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {config.Size}, got {q.Length}");
            if (config.Distance == Distance.Cosine) Normalize(q);
            scored = candidates.Where(p => p.Dense.ContainsKey(name)).Select(p => (p, Dot(q, p.Dense[name])));
        }
        else if (input.VariantCase == VectorInput.VariantOneofCase.Sparse)
        {
            var name = usingVector ?? "";
            if (c.Config.SparseVectorsConfig?.Map.TryGetValue(name, out var config) != true)
                throw Error(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}");
            bool idf = config!.HasModifier && config.Modifier == Modifier.Idf;
            long n = c.Points.Values.Count(p => p.Sparse.ContainsKey(name));
            var weights = new Dictionary<uint, double>();
            for (int i = 0; i < input.Sparse.Indices.Count; i++)
            {
                var term = input.Sparse.Indices[i];
                double w = input.Sparse.Values[i];
                if (idf)
                {
                    long df = c.Points.Values.Count(p => p.Sparse.TryGetValue(name, out var s) && s.ContainsKey(term));
                    w *= Math.Log(1 + (n - df + 0.5) / (df + 0.5));
                }
                weights[term] = w;
            }
            scored = candidates
                .Where(p => p.Sparse.TryGetValue(name, out var s) && weights.Keys.Any(s.ContainsKey))
                .Select(p => (p, (float)weights.Sum(w => p.Sparse[name].TryGetValue(w.Key, out var v) ? w.Value * v : 0)));
        }
        else
        {
            throw Error(StatusCode.InvalidArgument, $"fake Qdrant: query input {input.VariantCase} is not modelled");
        }
        return scored.OrderByDescending(x => x.Item2).ThenBy(x => Key(x.Item1.Id), StringComparer.Ordinal).Take((int)limit).ToList();
    }

    static Filter? Combine(Filter? outer, Filter? inner)
    {
        if (outer is null) return inner;
        if (inner is null) return outer;
        var f = new Filter();
        f.Must.Add(new Condition { Filter = outer });
        f.Must.Add(new Condition { Filter = inner });
        return f;
    }

    static void Normalize(float[] v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
    }

    static float Dot(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    // ---- filters ----

    static bool Matches(Filter? f, StoredPoint p)
    {
        if (f is null) return true;
        if (f.MinShould is not null) throw Error(StatusCode.InvalidArgument, "fake Qdrant: min_should is not modelled");
        return f.Must.All(c => Matches(c, p))
               && !f.MustNot.Any(c => Matches(c, p))
               && (f.Should.Count == 0 || f.Should.Any(c => Matches(c, p)));
    }

    static bool Matches(Condition c, StoredPoint p)
    {
        switch (c.ConditionOneOfCase)
        {
            case Condition.ConditionOneOfOneofCase.Filter:
                return Matches(c.Filter, p);
            case Condition.ConditionOneOfOneofCase.HasId:
                return c.HasId.HasId.Any(id => Key(id) == Key(p.Id));
            case Condition.ConditionOneOfOneofCase.IsEmpty:
                return !p.Payload.TryGetValue(c.IsEmpty.Key, out var e) || e.KindCase == Value.KindOneofCase.NullValue
                       || (e.KindCase == Value.KindOneofCase.ListValue && e.ListValue.Values.Count == 0);
            case Condition.ConditionOneOfOneofCase.IsNull:
                return p.Payload.TryGetValue(c.IsNull.Key, out var n) && n.KindCase == Value.KindOneofCase.NullValue;
            case Condition.ConditionOneOfOneofCase.Field:
                return MatchesField(c.Field, p);
            default:
                throw Error(StatusCode.InvalidArgument, $"fake Qdrant: condition {c.ConditionOneOfCase} is not modelled");
        }
    }

    static bool MatchesField(FieldCondition f, StoredPoint p)
    {
        if (!p.Payload.TryGetValue(f.Key, out var value)) return false;
        IEnumerable<Value> values = value.KindCase == Value.KindOneofCase.ListValue ? value.ListValue.Values : [value];
        if (f.Match is { } m)
        {
            return m.MatchValueCase switch
            {
                Match.MatchValueOneofCase.Keyword => values.Any(v => v.KindCase == Value.KindOneofCase.StringValue && v.StringValue == m.Keyword),
                Match.MatchValueOneofCase.Keywords => values.Any(v => v.KindCase == Value.KindOneofCase.StringValue && m.Keywords.Strings.Contains(v.StringValue)),
                Match.MatchValueOneofCase.Integer => values.Any(v => v.KindCase == Value.KindOneofCase.IntegerValue && v.IntegerValue == m.Integer),
                Match.MatchValueOneofCase.Integers => values.Any(v => v.KindCase == Value.KindOneofCase.IntegerValue && m.Integers.Integers.Contains(v.IntegerValue)),
                Match.MatchValueOneofCase.Boolean => values.Any(v => v.KindCase == Value.KindOneofCase.BoolValue && v.BoolValue == m.Boolean),
                _ => throw Error(StatusCode.InvalidArgument, $"fake Qdrant: match {m.MatchValueCase} is not modelled"),
            };
        }
        if (f.Range is { } r)
        {
            return values.Any(v =>
            {
                double x = v.KindCase switch
                {
                    Value.KindOneofCase.IntegerValue => v.IntegerValue,
                    Value.KindOneofCase.DoubleValue => v.DoubleValue,
                    _ => double.NaN,
                };
                return !double.IsNaN(x) && (!r.HasGt || x > r.Gt) && (!r.HasGte || x >= r.Gte) && (!r.HasLt || x < r.Lt) && (!r.HasLte || x <= r.Lte);
            });
        }
        if (f.DatetimeRange is { } d)
        {
            return values.Any(v =>
            {
                // Qdrant reads RFC 3339 strings; an unparsable value matches no range
                if (v.KindCase != Value.KindOneofCase.StringValue
                    || !DateTimeOffset.TryParse(v.StringValue, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                    return false;
                return (d.Gt is null || t > d.Gt.ToDateTimeOffset()) && (d.Gte is null || t >= d.Gte.ToDateTimeOffset())
                       && (d.Lt is null || t < d.Lt.ToDateTimeOffset()) && (d.Lte is null || t <= d.Lte.ToDateTimeOffset());
            });
        }
        throw Error(StatusCode.InvalidArgument, $"fake Qdrant: field condition on {f.Key} is not modelled");
    }

    /// <summary>The handlers by gRPC path, with the parser of each request message.</summary>
    public IReadOnlyDictionary<string, (MessageParser Parser, Func<IMessage, IMessage> Handle)> Routes => new Dictionary<string, (MessageParser, Func<IMessage, IMessage>)>
    {
        ["/qdrant.Collections/Create"] = (CreateCollection.Parser, m => Create((CreateCollection)m)),
        ["/qdrant.Collections/Get"] = (GetCollectionInfoRequest.Parser, m => Info((GetCollectionInfoRequest)m)),
        ["/qdrant.Collections/CollectionExists"] = (CollectionExistsRequest.Parser, m => Exists((CollectionExistsRequest)m)),
        ["/qdrant.Collections/Delete"] = (DeleteCollection.Parser, m => Delete((DeleteCollection)m)),
        ["/qdrant.Points/Upsert"] = (UpsertPoints.Parser, m => Upsert((UpsertPoints)m)),
        ["/qdrant.Points/Delete"] = (global::Qdrant.Client.Grpc.DeletePoints.Parser, m => DeletePoints((DeletePoints)m)),
        ["/qdrant.Points/CreateFieldIndex"] = (CreateFieldIndexCollection.Parser, m => CreateFieldIndex((CreateFieldIndexCollection)m)),
        ["/qdrant.Points/Count"] = (CountPoints.Parser, m => Count((CountPoints)m)),
        ["/qdrant.Points/Query"] = (QueryPoints.Parser, m => Query((QueryPoints)m)),
    };
}
