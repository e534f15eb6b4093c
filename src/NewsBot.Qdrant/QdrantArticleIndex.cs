using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using Polly;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace NewsBot.Qdrant;

/// <summary>
/// The Qdrant index: one point per chunk in one collection, with a named dense vector (<c>dense</c>, cosine) and a
/// named sparse vector (<c>lexical</c>, BM25 term weights, IDF applied by Qdrant through <c>Modifier.Idf</c>).
/// A hybrid search is one Query API call: a dense and a sparse prefetch under the same filter, fused by RRF with the
/// same constant as the embedded index. The embedding model is recorded in the collection's metadata.
/// Only chunks live here; the article registry, feeds and conversations stay in the embedded SQLite database.
/// Thread-safe; one instance per process (it holds no connection itself — the <see cref="IQdrantClient"/> does).
/// </summary>
public sealed class QdrantArticleIndex : IArticleIndex, ITermStatistics
{
    readonly IQdrantClient _client;
    readonly QdrantOptions _options;
    readonly int _rrfK;
    readonly ILogger _log;
    readonly QdrantCallPolicy _policy;
    volatile int _dimensions;
    volatile bool _keepsTerms;

    /// <param name="client">A Qdrant client (see <see cref="QdrantConnection"/>); not disposed by the index.</param>
    /// <param name="options">Validated options (collection, batch size, retries; endpoint for messages).</param>
    /// <param name="rrfK">The k of reciprocal-rank fusion (<c>Index:RrfK</c>), the same as the embedded index's.</param>
    /// <param name="pipeline">The host's Qdrant pipeline (<see cref="QdrantRetry.PipelineKey"/>); none: no retries.</param>
    public QdrantArticleIndex(IQdrantClient client, QdrantOptions options, int rrfK = ReciprocalRankFusion.DefaultK,
        ILogger<QdrantArticleIndex>? logger = null, ResiliencePipeline? pipeline = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(rrfK, 1);
        _client = client;
        _options = options;
        _rrfK = rrfK;
        _log = logger ?? (ILogger)NullLogger.Instance;
        _policy = new QdrantCallPolicy(options, pipeline ?? ResiliencePipeline.Empty);
    }

    public string Provider => "qdrant";

    public string Collection => _options.Collection;

    public async Task EnsureReadyAsync(EmbeddingModelInfo model, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var exists = await _policy.RunAsync("check the collection", c => _client.CollectionExistsAsync(Collection, c), ct).ConfigureAwait(false);
        if (!exists)
        {
            try
            {
                await _policy.RunAsync("create the collection", c => _client.CreateCollectionAsync(CreateRequest(model), c), ct).ConfigureAwait(false);
                _log.LogInformation("Created Qdrant collection {Collection} at {Endpoint} for {Model} ({Dimensions} dimensions)",
                    Collection, _options.DisplayEndpoint, model.Model, model.Dimensions);
            }
            catch (IndexUnavailableException e) when (e.InnerException is RpcException r && IsAlreadyExists(r))
            {
                // another process created it first: validate theirs below
            }
        }
        var info = await _policy.RunAsync("read the collection", c => _client.GetCollectionInfoAsync(Collection, c), ct).ConfigureAwait(false);
        Validate(info, model);
        await EnsurePayloadIndexesAsync(info, ct).ConfigureAwait(false);
        _keepsTerms = KeepsTerms(info);
        _dimensions = model.Dimensions;
    }

    /// <summary>Whether the collection's points carry their term ids (schema 2 and later), for the term statistics.</summary>
    bool KeepsTerms(CollectionInfo info)
    {
        bool keeps = info.Config?.Metadata is { } meta && meta.TryGetValue(QdrantSchema.SchemaMetadataKey, out var v)
                     && v.KindCase == Value.KindOneofCase.IntegerValue && v.IntegerValue >= 2;
        if (!keeps)
            _log.LogWarning("The Qdrant collection {Collection} was written before points carried their lexical terms: questions are " +
                            "judged without term statistics until it is rebuilt (newsbot reindex)", Collection);
        return keeps;
    }

    static bool IsAlreadyExists(RpcException r)
        => r.StatusCode == StatusCode.AlreadyExists
           || (r.StatusCode == StatusCode.InvalidArgument && r.Status.Detail.Contains("already exists", StringComparison.OrdinalIgnoreCase));

    internal CreateCollection CreateRequest(EmbeddingModelInfo model)
    {
        var request = new CreateCollection
        {
            CollectionName = Collection,
            VectorsConfig = new VectorsConfig { ParamsMap = new VectorParamsMap() },
            SparseVectorsConfig = new SparseVectorConfig(),
            ShardNumber = (uint)_options.ShardNumber,
            ReplicationFactor = (uint)_options.ReplicationFactor,
        };
        // on_disk and always_ram are what Qdrant 1.16 (the oldest NewsBot supports) understands; later servers deprecate
        // them for `memory` placement but still honour them, so these two work on every supported server
#pragma warning disable CS0612
        request.VectorsConfig.ParamsMap.Map[QdrantSchema.DenseVector] = new VectorParams
        {
            Size = (ulong)model.Dimensions,
            Distance = Distance.Cosine,
            OnDisk = _options.OnDiskVectors,
        };
        // The quantised copy stays in RAM while the originals may live on disk; searches re-score from them.
        if (_options.Quantization == QdrantQuantization.Scalar)
            request.QuantizationConfig = new QuantizationConfig { Scalar = new ScalarQuantization { Type = QuantizationType.Int8, Quantile = 0.99f, AlwaysRam = true } };
        else if (_options.Quantization == QdrantQuantization.Binary)
            request.QuantizationConfig = new QuantizationConfig { Binary = new BinaryQuantization { AlwaysRam = true } };
#pragma warning restore CS0612
        request.SparseVectorsConfig.Map[QdrantSchema.LexicalVector] = new SparseVectorParams { Modifier = Modifier.Idf };
        request.Metadata[QdrantSchema.ModelMetadataKey] = new Value { StringValue = model.Model };
        request.Metadata[QdrantSchema.DimensionsMetadataKey] = new Value { IntegerValue = model.Dimensions };
        request.Metadata[QdrantSchema.SchemaMetadataKey] = new Value { IntegerValue = QdrantSchema.SchemaVersion };
        return request;
    }

    /// <summary>The model recorded in a collection's metadata, and its dense vector size.</summary>
    internal static (string? Model, int? Dimensions) RecordedModel(CollectionInfo info)
    {
        string? model = info.Config?.Metadata is { } meta && meta.TryGetValue(QdrantSchema.ModelMetadataKey, out var m)
                        && m.KindCase == Value.KindOneofCase.StringValue
            ? m.StringValue
            : null;
        int? dims = null;
        var vectors = info.Config?.Params?.VectorsConfig;
        if (vectors?.ParamsMap is { } map && map.Map.TryGetValue(QdrantSchema.DenseVector, out var p)) dims = (int)p.Size;
        return (model, dims);
    }

    void Validate(CollectionInfo info, EmbeddingModelInfo model)
    {
        var where = $"The Qdrant collection '{Collection}' at {_options.DisplayEndpoint}";
        var (recorded, dims) = RecordedModel(info);
        if (dims is null)
            throw new IndexUnavailableException(
                $"{where} has no named vector '{QdrantSchema.DenseVector}': it was not created by NewsBot. " +
                "Set Qdrant:Collection to another name, or delete that collection.");
        var sparse = info.Config?.Params?.SparseVectorsConfig;
        if (sparse is null || !sparse.Map.TryGetValue(QdrantSchema.LexicalVector, out var lexical))
            throw new IndexUnavailableException(
                $"{where} has no sparse vector '{QdrantSchema.LexicalVector}': it was not created by NewsBot. " +
                "Set Qdrant:Collection to another name, or delete that collection.");
        if (!lexical.HasModifier || lexical.Modifier != Modifier.Idf)
            throw new IndexUnavailableException(
                $"{where} has a sparse vector '{QdrantSchema.LexicalVector}' without the IDF modifier, so lexical scores would ignore " +
                "how rare a term is. Run `newsbot reindex` to rebuild the collection.");
        bool modelDiffers = recorded is not null && !string.Equals(recorded, model.Model, StringComparison.Ordinal);
        if (dims != model.Dimensions || modelDiffers)
            throw new IndexModelMismatchException(
                $"{where} was built with the embedding model '{recorded ?? "unknown"}' ({dims} dimensions), " +
                $"but the configured model is '{model.Model}' ({model.Dimensions} dimensions). Vectors of different models cannot be mixed: " +
                "run `newsbot reindex` to re-embed every article with the configured model into a new collection, " +
                "set Qdrant:Collection to another collection, or set Embeddings:Model back.");
        if (recorded is null)
            _log.LogWarning("The Qdrant collection {Collection} records no embedding model (created without NewsBot's metadata); " +
                            "its {Dimensions}-dimensional vectors are assumed to come from {Model}", Collection, dims, model.Model);
    }

    async Task EnsurePayloadIndexesAsync(CollectionInfo info, CancellationToken ct)
    {
        foreach (var (field, type) in QdrantSchema.PayloadIndexes)
        {
            if (info.PayloadSchema.TryGetValue(field, out var existing) && existing.DataType == type) continue;
            await _policy.RunAsync($"create the payload index on {field}",
                c => _client.CreatePayloadIndexAsync(Collection, field, type, wait: true, cancellationToken: c), ct).ConfigureAwait(false);
        }
    }

    public async Task UpsertAsync(ArticleRecord article, IReadOnlyList<IndexedChunk> chunks, string? replacesArticleId = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(article);
        ArgumentNullException.ThrowIfNull(chunks);
        foreach (var c in chunks)
        {
            if (!string.Equals(c.Article.Id, article.Id, StringComparison.Ordinal))
                throw new ArgumentException($"Chunk {c.Position} belongs to article '{c.Article.Id}', not '{article.Id}'.", nameof(chunks));
            if (_dimensions > 0 && c.Dense.Length != _dimensions)
                throw new IndexModelMismatchException(
                    $"A chunk of '{article.Id}' has {c.Dense.Length} dimensions but the Qdrant collection '{Collection}' holds {_dimensions}-dimensional vectors. Run `newsbot reindex`.");
        }

        // Write first, then prune: the points of unchanged positions are overwritten in place (their ids are
        // derived from article id and position), so a concurrent search never sees the article vanish, and a
        // crash part-way leaves at worst extra stale points that the next upsert removes.
        var points = chunks.Select(QdrantMapping.ToPoint).ToList();
        var batchSize = Math.Max(1, _options.UpsertBatchSize);
        for (int start = 0; start < points.Count; start += batchSize)
        {
            var batch = points.GetRange(start, Math.Min(batchSize, points.Count - start));
            await _policy.RunAsync("upsert points", c => _client.UpsertAsync(Collection, batch, wait: true, cancellationToken: c), ct).ConfigureAwait(false);
        }
        var stale = QdrantMapping.StaleFilter(article.Id, points.Select(p => p.Id).ToList(), replacesArticleId);
        await _policy.RunAsync("delete stale points", c => _client.DeleteAsync(Collection, stale, wait: true, cancellationToken: c), ct).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string articleId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(articleId);
        try
        {
            await _policy.RunAsync("delete points",
                c => _client.DeleteAsync(Collection, QdrantMapping.ArticleFilter(articleId), wait: true, cancellationToken: c), ct).ConfigureAwait(false);
        }
        catch (IndexUnavailableException e) when (e.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            // no collection, nothing to delete
        }
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(HybridQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (dense, lexical) = QdrantMapping.Legs(query);
        if (!dense && !lexical) return [];
        if (query.Top <= 0) return [];
        if (dense && _dimensions > 0 && query.Dense.Length != _dimensions)
            throw new IndexModelMismatchException(
                $"The query vector has {query.Dense.Length} dimensions but the Qdrant collection '{Collection}' holds {_dimensions}-dimensional vectors. Run `newsbot reindex`.");

        // Each leg is its own query (both in flight at once) and NewsBot fuses them, with the fusion the embedded index
        // uses: Qdrant's server-side RRF breaks ties its own way, so the two indexes would order the same data apart.
        bool hybrid = dense && lexical;
        var denseLeg = dense ? RunLegAsync(QdrantMapping.LegQuery(query, denseLeg: true, hybrid), ct) : Task.FromResult<IReadOnlyList<ScoredPoint>>([]);
        var lexicalLeg = lexical ? RunLegAsync(QdrantMapping.LegQuery(query, denseLeg: false, hybrid), ct) : Task.FromResult<IReadOnlyList<ScoredPoint>>([]);
        await Task.WhenAll(denseLeg, lexicalLeg).ConfigureAwait(false);

        var found = new Dictionary<ChunkKey, (SearchHit Hit, ScoredPoint Point)>();
        var fused = HybridFusion.Fuse(Candidates(await denseLeg.ConfigureAwait(false)), Candidates(await lexicalLeg.ConfigureAwait(false)),
            query, _rrfK, ChunkKey.Order);
        var hits = new List<SearchHit>(fused.Count);
        foreach (var c in fused)
        {
            var (hit, point) = found[c.Key];
            hits.Add(hit with
            {
                Score = c.Score,
                DenseScore = c.DenseScore ?? (dense ? DenseScoreOf(point, query.Dense) : null),
                LexicalScore = c.LexicalScore,
                DenseRank = c.DenseRank,
                LexicalRank = c.LexicalRank,
            });
        }
        return hits;

        List<LegCandidate<ChunkKey>> Candidates(IReadOnlyList<ScoredPoint> points)
        {
            var leg = new List<LegCandidate<ChunkKey>>(points.Count);
            foreach (var p in points)
            {
                var hit = QdrantMapping.ToHit(p.Payload);
                var key = new ChunkKey(hit.Article.Id, hit.Position);
                // the lexical leg's copy carries the dense vector (for the cosine of the hits only it found)
                if (!found.TryGetValue(key, out var seen) || seen.Point.Vectors is null) found[key] = (hit, p);
                leg.Add(new LegCandidate<ChunkKey>(key, p.Score));
            }
            return leg;
        }
    }

    Task<IReadOnlyList<ScoredPoint>> RunLegAsync(QueryPlan plan, CancellationToken ct)
        => _policy.RunAsync("search", c => _client.QueryAsync(
            Collection,
            query: plan.Query,
            usingVector: plan.Using,
            filter: plan.Filter,
            limit: plan.Limit,
            searchParams: plan.Using == QdrantSchema.DenseVector ? DenseSearchParams : null,
            payloadSelector: plan.Payload,
            vectorsSelector: plan.Vectors,
            cancellationToken: c), ct);

    /// <summary>
    /// The dense leg over a quantised collection: candidates from the quantised copy, oversampled and re-scored from the
    /// original vectors, so the order is that of the full-precision cosine (as the embedded index's int8 scan re-scores).
    /// Qdrant ignores these parameters on a collection without quantisation.
    /// </summary>
    static readonly SearchParams DenseSearchParams = new() { Quantization = new QuantizationSearchParams { Rescore = true, Oversampling = 2.0 } };

    /// <summary>A chunk as both indexes know it; equal leg scores are ordered by article id, then position.</summary>
    readonly record struct ChunkKey(string ArticleId, int Position)
    {
        public static IComparer<ChunkKey> Order { get; } = Comparer<ChunkKey>.Create((x, y) =>
        {
            int byArticle = string.CompareOrdinal(x.ArticleId, y.ArticleId);
            return byArticle != 0 ? byArticle : x.Position.CompareTo(y.Position);
        });
    }

    /// <summary>
    /// Document frequencies counted by Qdrant: the points whose term list (<see cref="QdrantSchema.Terms"/>) holds each
    /// term, out of all points, so they equal the embedded index's on the same chunks. One exact count per term, all in
    /// flight at once (a question has a dozen terms and pairs; each count reads the payload index of one value).
    /// None from a collection written before points carried their terms (the caller then judges without them).
    /// </summary>
    public async Task<TermFrequencies> GetDocumentFrequenciesAsync(IReadOnlyList<uint> termIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(termIds);
        if (!_keepsTerms) return TermFrequencies.None(termIds.Count);
        var total = _policy.RunAsync("count points", c => _client.CountAsync(Collection, exact: true, cancellationToken: c), ct);
        var counts = termIds.Select(id => _policy.RunAsync("count a term's points",
            c => _client.CountAsync(Collection, QdrantMapping.TermFilter(id), exact: true, cancellationToken: c), ct)).ToList();
        await Task.WhenAll(counts.Append(total)).ConfigureAwait(false);
        var df = new long[termIds.Count];
        for (int i = 0; i < df.Length; i++) df[i] = (long)await counts[i].ConfigureAwait(false);
        return new TermFrequencies(df, (long)await total.ConfigureAwait(false));
    }

    /// <summary>
    /// The cosine of a fused hit, from the dense vector returned with it (Qdrant stores cosine vectors normalised,
    /// and the query is normalised by the embedder, so this equals the score the dense leg gave it).
    /// </summary>
    static float? DenseScoreOf(ScoredPoint p, float[] query)
    {
        if (p.Vectors?.Vectors is not { } named || !named.Vectors.TryGetValue(QdrantSchema.DenseVector, out var output)) return null;
        var data = output.GetDenseVector()?.Data;
        if (data is null || data.Count != query.Length || query.Length == 0) return null;
        var v = new float[data.Count];
        data.CopyTo(v, 0);
        return VectorMath.Cosine(v, query);
    }

    public async Task<IndexStats> GetStatsAsync(CancellationToken ct = default)
    {
        var exists = await _policy.RunAsync("check the collection", c => _client.CollectionExistsAsync(Collection, c), ct).ConfigureAwait(false);
        if (!exists) return new IndexStats(Provider, 0, 0, null, null, null);
        var info = await _policy.RunAsync("read the collection", c => _client.GetCollectionInfoAsync(Collection, c), ct).ConfigureAwait(false);
        var (model, dims) = RecordedModel(info);
        var chunks = await _policy.RunAsync("count points", c => _client.CountAsync(Collection, exact: true, cancellationToken: c), ct).ConfigureAwait(false);
        // Qdrant has no distinct count; every indexed article has exactly one chunk at position 0.
        var articles = await _policy.RunAsync("count articles",
            c => _client.CountAsync(Collection, QdrantMapping.FirstChunkFilter(), exact: true, cancellationToken: c), ct).ConfigureAwait(false);
        return new IndexStats(Provider, (long)articles, (long)chunks, model, dims, null);
    }

    /// <summary>
    /// Drops the collection and creates it empty for <paramref name="model"/> (for <c>reindex</c> to another model;
    /// the articles are then re-embedded from the registry).
    /// </summary>
    public async Task ResetModelAsync(EmbeddingModelInfo model, CancellationToken ct = default)
    {
        await DeleteCollectionAsync(ct).ConfigureAwait(false);
        await EnsureReadyAsync(model, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the whole collection (no-op when it does not exist).</summary>
    public async Task DeleteCollectionAsync(CancellationToken ct = default)
    {
        var exists = await _policy.RunAsync("check the collection", c => _client.CollectionExistsAsync(Collection, c), ct).ConfigureAwait(false);
        _dimensions = 0;
        if (!exists) return;
        await _policy.RunAsync("delete the collection", c => _client.DeleteCollectionAsync(Collection, cancellationToken: c), ct).ConfigureAwait(false);
        _log.LogInformation("Deleted Qdrant collection {Collection} at {Endpoint}", Collection, _options.DisplayEndpoint);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_options} (rrf k {_rrfK})");
}
