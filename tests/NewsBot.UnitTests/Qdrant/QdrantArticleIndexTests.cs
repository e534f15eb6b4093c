using Grpc.Core;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using NewsBot.UnitTests.Fakes;
using NewsBot.Qdrant;
using Qdrant.Client.Grpc;
using static NewsBot.UnitTests.Qdrant.FakeQdrantClient;

namespace NewsBot.UnitTests.Qdrant;

/// <summary>The index against a recording fake client: request shapes, error handling, retries.</summary>
public class QdrantArticleIndexTests
{
    const string Endpoint = "http://qdrant.internal:6334";
    readonly FakeQdrantClient _fake = new();
    readonly List<TimeSpan> _delays = [];
    readonly QdrantOptions _options = new() { Endpoint = Endpoint, Collection = "news", ShardNumber = 2, ReplicationFactor = 3, MaxRetries = 3 };
    static readonly EmbeddingModelInfo MiniLM = new("all-MiniLM-L6-v2", 384);

    QdrantArticleIndex Index(int rrfK = 60)
    {
        // the host's Qdrant pipeline, on a clock that records each wait and lets it pass at once
        var builder = new ResiliencePipelineBuilder { TimeProvider = new RecordingTimeProvider(_delays) };
        ResilienceRegistration.ConfigureQdrant(builder, _options, new QdrantResilienceOptions(), TestLog.Any);
        return new QdrantArticleIndex(_fake.Client, _options, rrfK, pipeline: builder.Build());
    }

    static ArticleRecord Record(string id) => new()
    {
        Article = new() { Id = id, Url = "https://example.test/" + id, Title = "Grain exports halted" }, SourceKey = "test:" + id,
        IngestedAt = DateTimeOffset.UnixEpoch, ContentHash = "h", Kind = SourceKind.Page,
    };

    // ---- collection setup ----

    [Fact]
    public async Task EnsureReady_creates_the_collection_with_named_dense_and_idf_sparse_vectors_and_records_the_model()
    {
        await Index().EnsureReadyAsync(MiniLM);

        var create = Assert.Single(_fake.Created);
        Assert.Equal("news", create.CollectionName);
        var dense = create.VectorsConfig.ParamsMap.Map["dense"];
        Assert.Equal(384UL, dense.Size);
        Assert.Equal(Distance.Cosine, dense.Distance);
        Assert.Single(create.VectorsConfig.ParamsMap.Map);
        var sparse = create.SparseVectorsConfig.Map["lexical"];
        Assert.True(sparse.HasModifier);
        Assert.Equal(Modifier.Idf, sparse.Modifier);
        Assert.Equal(2U, create.ShardNumber);
        Assert.Equal(3U, create.ReplicationFactor);
        Assert.Equal("all-MiniLM-L6-v2", create.Metadata["newsbot_embedding_model"].StringValue);
        Assert.Equal(384, create.Metadata["newsbot_embedding_dimensions"].IntegerValue);
    }

#pragma warning disable CS0612 // on_disk and always_ram: see QdrantArticleIndex.CreateRequest
    [Fact]
    public async Task EnsureReady_creates_the_collection_with_vectors_on_disk_and_int8_quantisation_kept_in_ram()
    {
        await Index().EnsureReadyAsync(MiniLM);

        var create = Assert.Single(_fake.Created);
        Assert.True(create.VectorsConfig.ParamsMap.Map["dense"].OnDisk);
        var scalar = create.QuantizationConfig.Scalar;
        Assert.NotNull(scalar);
        Assert.Equal(QuantizationType.Int8, scalar.Type);
        Assert.True(scalar.AlwaysRam);
    }

    [Theory]
    [InlineData(QdrantQuantization.Binary)]
    [InlineData(QdrantQuantization.None)]
    public async Task EnsureReady_follows_the_configured_quantisation_and_vector_placement(QdrantQuantization quantization)
    {
        _options.Quantization = quantization;
        _options.OnDiskVectors = false;
        await Index().EnsureReadyAsync(MiniLM);

        var create = Assert.Single(_fake.Created);
        Assert.False(create.VectorsConfig.ParamsMap.Map["dense"].OnDisk);
        if (quantization == QdrantQuantization.Binary) Assert.True(create.QuantizationConfig.Binary.AlwaysRam);
        else Assert.Null(create.QuantizationConfig);
    }
#pragma warning restore CS0612

    [Fact]
    public async Task EnsureReady_creates_the_payload_indexes_with_wait()
    {
        await Index().EnsureReadyAsync(MiniLM);

        Assert.Equal(
            [("article_id", PayloadSchemaType.Keyword, true), ("outlet_lc", PayloadSchemaType.Keyword, true),
             ("published_at", PayloadSchemaType.Datetime, true), ("position", PayloadSchemaType.Integer, true),
             ("terms", PayloadSchemaType.Integer, true)],
            _fake.PayloadIndexes);
    }

    [Fact]
    public async Task EnsureReady_on_a_matching_collection_creates_nothing_but_missing_payload_indexes()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2", indexedFields: ["article_id", "outlet_lc", "published_at"]);

        await Index().EnsureReadyAsync(MiniLM);

        Assert.Empty(_fake.Created);
        Assert.Equal([("position", PayloadSchemaType.Integer, true), ("terms", PayloadSchemaType.Integer, true)], _fake.PayloadIndexes);
    }

    [Fact]
    public async Task A_collection_of_another_dimension_is_a_model_mismatch_naming_collection_models_and_reindex()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(768, "nomic-embed-text");

        var e = await Assert.ThrowsAsync<IndexModelMismatchException>(() => Index().EnsureReadyAsync(MiniLM));

        Assert.Contains("'news'", e.Message);
        Assert.Contains(Endpoint, e.Message);
        Assert.Contains("nomic-embed-text", e.Message);
        Assert.Contains("768", e.Message);
        Assert.Contains("all-MiniLM-L6-v2", e.Message);
        Assert.Contains("384", e.Message);
        Assert.Contains("newsbot reindex", e.Message);
        Assert.Empty(_fake.Created);
    }

    [Fact]
    public async Task A_collection_recorded_with_another_model_of_the_same_size_is_a_mismatch()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, "paraphrase-MiniLM-L3-v2");

        var e = await Assert.ThrowsAsync<IndexModelMismatchException>(() => Index().EnsureReadyAsync(MiniLM));
        Assert.Contains("paraphrase-MiniLM-L3-v2", e.Message);
        Assert.Contains("all-MiniLM-L6-v2", e.Message);
    }

    [Fact]
    public async Task A_collection_without_recorded_model_but_the_right_size_is_accepted()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, model: null);
        await Index().EnsureReadyAsync(MiniLM);
        Assert.Empty(_fake.Created);
    }

    [Fact]
    public async Task A_collection_not_made_by_newsbot_is_reported_not_used()
    {
        _fake.Exists = true;
        _fake.Info = new CollectionInfo { Config = new CollectionConfig { Params = new CollectionParams
        {
            VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = 384, Distance = Distance.Cosine } },
        } } };
        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().EnsureReadyAsync(MiniLM));
        Assert.Contains("not created by NewsBot", e.Message);
        Assert.Contains("Qdrant:Collection", e.Message);

        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2", idf: false);
        e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().EnsureReadyAsync(MiniLM));
        Assert.Contains("IDF", e.Message);
    }

    [Fact]
    public async Task A_collection_created_meanwhile_by_another_process_is_validated_not_fatal()
    {
        // exists = false when asked, then the create loses the race to another process's identical collection
        _fake.Fail("CreateCollectionAsync", Rpc(StatusCode.AlreadyExists, "Collection `news` already exists!"));
        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2");

        await Index().EnsureReadyAsync(MiniLM);

        Assert.Equal(1, _fake.CallsOf("CreateCollectionAsync"));
        Assert.Equal(1, _fake.CallsOf("GetCollectionInfoAsync"));
    }

    // ---- writes ----

    [Fact]
    public async Task Upsert_writes_in_batches_of_64_with_wait_then_deletes_the_stale_points()
    {
        var chunks = Enumerable.Range(0, 130).Select(i => QdrantMappingTests.Chunk("u1", i)).ToList();

        await Index().UpsertAsync(Record("u1"), chunks);

        Assert.Equal([64, 64, 2], _fake.Upserts.Select(u => u.Points.Count));
        Assert.All(_fake.Upserts, u => Assert.True(u.Wait));
        Assert.Equal(chunks.Select(c => Identity.ChunkPointId("u1", c.Position).ToString()), _fake.Upserts.SelectMany(u => u.Points).Select(p => p.Id.Uuid));
        var (filter, wait) = Assert.Single(_fake.Deletes);
        Assert.True(wait);
        Assert.Equal("article_id", filter.Must[0].Field.Key);
        Assert.Equal("u1", filter.Must[0].Field.Match.Keyword);
        Assert.Equal(130, filter.MustNot[0].HasId.HasId.Count);
        // the deletion comes after the writes, so the article never disappears from searches
        Assert.Equal(["UpsertAsync", "UpsertAsync", "UpsertAsync", "DeleteAsync"], _fake.Calls);
    }

    [Fact]
    public async Task Upsert_replacing_another_article_deletes_all_of_its_points()
    {
        await Index().UpsertAsync(Record("u2"), [QdrantMappingTests.Chunk("u2", 0)], replacesArticleId: "u1");

        var (filter, _) = Assert.Single(_fake.Deletes);
        Assert.Equal(2, filter.Should.Count);
        Assert.Equal("u2", filter.Should[0].Filter.Must[0].Field.Match.Keyword);
        Assert.Equal("u1", filter.Should[1].Field.Match.Keyword);
    }

    [Fact]
    public async Task Re_upserting_the_same_chunks_sends_the_same_points()
    {
        var chunks = Enumerable.Range(0, 3).Select(i => QdrantMappingTests.Chunk("u1", i)).ToList();
        var index = Index();
        await index.UpsertAsync(Record("u1"), chunks);
        await index.UpsertAsync(Record("u1"), chunks);
        Assert.Equal(_fake.Upserts[0].Points, _fake.Upserts[1].Points);
        Assert.Equal(_fake.Deletes[0].Filter, _fake.Deletes[1].Filter);
    }

    [Fact]
    public async Task Upsert_of_an_article_without_chunks_deletes_its_points()
    {
        await Index().UpsertAsync(Record("u1"), []);
        Assert.Empty(_fake.Upserts);
        var (filter, _) = Assert.Single(_fake.Deletes);
        Assert.Equal("u1", filter.Must[0].Field.Match.Keyword);
        Assert.Empty(filter.MustNot);
    }

    [Fact]
    public async Task Upsert_rejects_chunks_of_another_article()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Index().UpsertAsync(Record("u1"), [QdrantMappingTests.Chunk("u9", 0)]));
        Assert.Empty(_fake.Upserts);
    }

    [Fact]
    public async Task Delete_removes_the_articles_points_by_filter()
    {
        await Index().DeleteAsync("u1");
        var (filter, wait) = Assert.Single(_fake.Deletes);
        Assert.True(wait);
        Assert.Equal("u1", filter.Must[0].Field.Match.Keyword);
    }

    // ---- search ----

    static ScoredPoint Point(IndexedChunk c, float score, float[]? vector = null)
    {
        var p = new ScoredPoint { Id = QdrantMapping.PointId(c.Article.Id, c.Position), Score = score };
        foreach (var (k, v) in QdrantMapping.ToPayload(c)) p.Payload[k] = v;
        if (vector is not null)
        {
            var named = new NamedVectorsOutput();
            named.Vectors["dense"] = new VectorOutput { Dense = new DenseVector { Data = { vector } } };
            p.Vectors = new VectorsOutput { Vectors = named };
        }
        return p;
    }

    static HybridQuery Query(RetrievalMode mode = RetrievalMode.Hybrid, SearchFilter? filter = null) => new()
    {
        Dense = [0.6f, 0.8f, 0f, 0f],
        Sparse = LexicalEncoder.Default.EncodeQuery("grain exports"),
        Top = 7,
        CandidatesPerLeg = 40,
        Mode = mode,
        Filter = filter ?? SearchFilter.None,
    };

    [Fact]
    public async Task Hybrid_search_asks_each_leg_under_the_same_filter_and_fuses_them_as_the_embedded_index_does()
    {
        var filter = new SearchFilter { Outlets = ["Ledger"], PublishedAfter = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) };

        await Index().SearchAsync(Query(filter: filter));

        Assert.Equal(2, _fake.Queries.Count);
        var (dense, sparse) = (_fake.Queries[0], _fake.Queries[1]);
        Assert.All(_fake.Queries, q => Assert.Equal("news", q.Collection));
        Assert.All(_fake.Queries, q => Assert.Null(q.Prefetch)); // no server-side fusion
        Assert.Equal("dense", dense.Using);
        Assert.Equal([0.6f, 0.8f, 0f, 0f], dense.Query!.Nearest.Dense.Data);
        Assert.Equal(40UL, dense.Limit);
        Assert.Equal("lexical", sparse.Using);
        Assert.Equal(LexicalEncoder.Default.EncodeQuery("grain exports").Indices, sparse.Query!.Nearest.Sparse.Indices);
        Assert.Equal(40UL, sparse.Limit);
        Assert.Equal(QdrantMapping.BuildFilter(filter), dense.Filter);
        Assert.Equal(dense.Filter, sparse.Filter);
        Assert.Equal(["terms"], dense.Payload!.Exclude.Fields);
        Assert.Equal(["dense"], sparse.Vectors!.Include.Names);
        // the dense leg re-scores the quantised candidates from the original vectors; the sparse leg has nothing to re-score
        Assert.True(dense.SearchParams!.Quantization.Rescore);
        Assert.True(dense.SearchParams.Quantization.Oversampling >= 1.0);
        Assert.Null(sparse.SearchParams);
    }

    [Fact]
    public async Task Leg_limits_are_at_least_top()
    {
        await Index().SearchAsync(Query() with { Top = 80, CandidatesPerLeg = 50 });
        Assert.All(_fake.Queries, q => Assert.Equal(80UL, q.Limit));
    }

    [Fact]
    public async Task Hybrid_hits_carry_payload_rrf_scores_ranks_and_the_cosine_of_hits_only_the_lexical_leg_found()
    {
        var c = QdrantMappingTests.Chunk("u1", 0, published: new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var lexicalOnly = QdrantMappingTests.Chunk("u2", 1);
        _fake.QueryAnswer = q => q.Using == "dense"
            ? [Point(c, 0.9f)]
            : [Point(lexicalOnly, 7.5f, vector: [1f, 0f, 0f, 0f]), Point(c, 3.5f, vector: [0.6f, 0.8f, 0f, 0f])];

        var hits = await Index().SearchAsync(Query() with { LexicalWeight = 0.7 });

        Assert.Equal(["u1", "u2"], hits.Select(h => h.Article.Id));
        var h = hits[0];
        Assert.Equal(c.Article.Title, h.Article.Title);
        Assert.Equal(c.Article.Outlet, h.Article.Outlet);
        Assert.Equal(c.Article.Published, h.Article.Published);
        Assert.Equal(c.Article.Url, h.Article.Url);
        Assert.Equal(1.0 / 61 + 0.7 / 62, h.Score, 12); // dense rank 1, lexical rank 2, k 60
        Assert.Equal((1, 2), (h.DenseRank, h.LexicalRank));
        Assert.Equal(0.9f, h.DenseScore);
        Assert.Equal(3.5f, h.LexicalScore);
        var u2 = hits[1];
        Assert.Equal(0.7 / 61, u2.Score, 12);
        Assert.Equal((null, 1), (u2.DenseRank, u2.LexicalRank));
        Assert.Equal(0.6f, u2.DenseScore!.Value, 5); // cosine of [0.6, 0.8, 0, 0] and the returned [1, 0, 0, 0]
    }

    [Fact]
    public async Task Equal_leg_scores_are_ordered_by_article_id_then_position_whatever_order_qdrant_returns()
    {
        _fake.QueryAnswer = q => q.Using == "dense"
            ? [Point(QdrantMappingTests.Chunk("u2", 0), 0.5f), Point(QdrantMappingTests.Chunk("u1", 3), 0.5f), Point(QdrantMappingTests.Chunk("u1", 1), 0.5f)]
            : [];

        var hits = await Index().SearchAsync(Query(RetrievalMode.Dense));

        Assert.Equal([("u1", 1), ("u1", 3), ("u2", 0)], hits.Select(h => (h.Article.Id, h.Position)));
        Assert.Equal([1, 2, 3], hits.Select(h => h.DenseRank!.Value));
    }

    [Fact]
    public async Task Term_statistics_count_the_points_holding_each_term_out_of_all_points()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2");
        _fake.CountResult = f => f is null ? 50UL : (ulong)f.Must[0].Field.Match.Integer % 7;
        var index = Index();
        await index.EnsureReadyAsync(MiniLM);

        var stats = await index.GetDocumentFrequenciesAsync([14, 15, 21]);

        Assert.Equal(50, stats.Chunks);
        Assert.Equal([0L, 1L, 0L], stats.DocumentFrequencies);
        Assert.All(_fake.Counts.Where(f => f is not null), f => Assert.Equal("terms", f!.Must[0].Field.Key));
    }

    [Fact]
    public async Task A_collection_written_before_points_carried_terms_gives_no_term_statistics()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2", schema: 1);
        var index = Index();
        await index.EnsureReadyAsync(MiniLM);

        var stats = await index.GetDocumentFrequenciesAsync([14, 15]);

        Assert.Equal(0, stats.Chunks); // the retriever then judges without statistics, as before
        Assert.Equal([0L, 0L], stats.DocumentFrequencies);
        Assert.Empty(_fake.Counts);
    }

    [Fact]
    public async Task Dense_mode_is_a_single_nearest_query_with_the_filter_at_top_level()
    {
        var filter = new SearchFilter { ArticleIds = ["u1"] };
        _fake.QueryResult = [Point(QdrantMappingTests.Chunk("u1", 0), 0.83f), Point(QdrantMappingTests.Chunk("u1", 1), 0.5f)];

        var hits = await Index().SearchAsync(Query(RetrievalMode.Dense, filter));

        var q = Assert.Single(_fake.Queries);
        Assert.Null(q.Prefetch);
        Assert.Equal("dense", q.Using);
        Assert.Equal(global::Qdrant.Client.Grpc.Query.VariantOneofCase.Nearest, q.Query!.VariantCase);
        Assert.Equal(QdrantMapping.BuildFilter(filter), q.Filter);
        Assert.Equal(7UL, q.Limit);
        Assert.Equal(0.83f, hits[0].DenseScore);
        Assert.Equal(1, hits[0].DenseRank);
        Assert.Equal(1.0 / 61, hits[0].Score, 12);
        Assert.Equal(1.0 / 62, hits[1].Score, 12);
        Assert.Null(hits[0].LexicalScore);
    }

    [Fact]
    public async Task Lexical_mode_queries_the_sparse_vector_and_reports_the_idf_weighted_score()
    {
        _fake.QueryResult = [Point(QdrantMappingTests.Chunk("u1", 0), 3.5f)];

        var hits = await Index().SearchAsync(Query(RetrievalMode.Lexical));

        var q = Assert.Single(_fake.Queries);
        Assert.Equal("lexical", q.Using);
        Assert.Equal(global::Qdrant.Client.Grpc.Query.VariantOneofCase.Nearest, q.Query!.VariantCase);
        Assert.Equal(VectorInput.VariantOneofCase.Sparse, q.Query.Nearest.VariantCase);
        Assert.Equal(3.5f, hits[0].LexicalScore);
        Assert.Equal(1, hits[0].LexicalRank);
        Assert.Null(hits[0].DenseScore);
    }

    [Fact]
    public async Task A_query_without_lexical_terms_runs_the_dense_leg_only_or_nothing()
    {
        var noTerms = Query() with { Sparse = NewsBot.Core.Model.SparseVector.Empty };
        await Index().SearchAsync(noTerms);
        Assert.Null(_fake.Queries[0].Prefetch);
        Assert.Equal("dense", _fake.Queries[0].Using);

        var hits = await Index().SearchAsync(noTerms with { Mode = RetrievalMode.Lexical });
        Assert.Empty(hits);
        Assert.Single(_fake.Queries);
    }

    [Fact]
    public async Task Search_uses_the_configured_rrf_k()
    {
        _fake.QueryResult = [Point(QdrantMappingTests.Chunk("u1", 0), 0.5f)];
        var hits = await Index(rrfK: 10).SearchAsync(Query(RetrievalMode.Dense));
        Assert.Equal(1.0 / 11, hits[0].Score, 12);
    }

    [Fact]
    public async Task A_query_vector_of_the_wrong_size_after_EnsureReady_is_a_model_mismatch()
    {
        var index = Index();
        await index.EnsureReadyAsync(MiniLM);
        await Assert.ThrowsAsync<IndexModelMismatchException>(() => index.SearchAsync(Query()));
        Assert.Empty(_fake.Queries);
    }

    // ---- stats ----

    [Fact]
    public async Task Stats_count_points_and_first_chunks_and_read_the_recorded_model()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2");
        _fake.CountResult = f => f is null ? 42UL : 9UL;

        var stats = await Index().GetStatsAsync();

        Assert.Equal(new IndexStats("qdrant", 9, 42, "all-MiniLM-L6-v2", 384, null), stats);
        Assert.Equal(0, _fake.Counts[1]!.Must[0].Field.Match.Integer);
        Assert.Equal("position", _fake.Counts[1]!.Must[0].Field.Key);
    }

    [Fact]
    public async Task Stats_of_a_missing_collection_are_zero()
    {
        Assert.Equal(new IndexStats("qdrant", 0, 0, null, null, null), await Index().GetStatsAsync());
    }

    // ---- failures ----

    [Fact]
    public async Task Unavailable_is_retried_with_exponential_backoff_then_succeeds()
    {
        _fake.Fail("QueryAsync", Rpc(StatusCode.Unavailable, "connection refused"), times: 2);
        _fake.QueryResult = [Point(QdrantMappingTests.Chunk("u1", 0), 0.5f, [1f, 0f, 0f, 0f])];

        var hits = await Index().SearchAsync(Query(RetrievalMode.Dense));

        Assert.Single(hits);
        Assert.Equal(3, _fake.CallsOf("QueryAsync"));
        Assert.Equal([TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500)], _delays);
    }

    [Theory]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.Aborted)]
    public async Task Other_transient_statuses_are_retried_too(StatusCode code)
    {
        _fake.Fail("UpsertAsync", Rpc(code), times: 1);
        await Index().UpsertAsync(Record("u1"), [QdrantMappingTests.Chunk("u1", 0)]);
        Assert.Equal(2, _fake.CallsOf("UpsertAsync"));
    }

    [Fact]
    public async Task Retries_give_up_with_one_message_naming_qdrant_and_the_endpoint()
    {
        _fake.Fail("CollectionExistsAsync", Rpc(StatusCode.Unavailable, "Error connecting to subchannel."), times: 10);

        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().EnsureReadyAsync(MiniLM));

        Assert.StartsWith($"Cannot reach Qdrant at {Endpoint} (gRPC Unavailable after 4 attempts). Check Qdrant:Endpoint", e.Message);
        Assert.Contains("docker run -p 6333:6333 -p 6334:6334 qdrant/qdrant", e.Message);
        Assert.Contains("Error connecting to subchannel.", e.Message);
        Assert.IsType<RpcException>(e.InnerException);
        Assert.Equal(4, _fake.CallsOf("CollectionExistsAsync"));
        Assert.Equal([250, 500, 1000], _delays.Select(d => (int)d.TotalMilliseconds));
    }

    [Fact]
    public async Task Backoff_is_bounded()
    {
        _options.MaxRetries = 6;
        _fake.Fail("QueryAsync", Rpc(StatusCode.Unavailable), times: 7);
        // dense mode: one call per attempt, so every scripted failure lands on the same retried call
        await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().SearchAsync(Query(RetrievalMode.Dense)));
        Assert.Equal([250, 500, 1000, 2000, 4000, 4000], _delays.Select(d => (int)d.TotalMilliseconds));
        Assert.Equal(7, _fake.CallsOf("QueryAsync"));

        _delays.Clear();
        _options.MaxRetries = 0;
        _fake.Fail("QueryAsync", Rpc(StatusCode.Unavailable), times: 1);
        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().SearchAsync(Query(RetrievalMode.Dense)));
        Assert.Contains("after 1 attempt)", e.Message);
        Assert.Empty(_delays);
    }

    [Fact]
    public async Task InvalidArgument_is_not_retried_and_is_wrapped_with_qdrants_reason()
    {
        _fake.Fail("UpsertAsync", Rpc(StatusCode.InvalidArgument, "Wrong input: Not existing vector name error: lexical"), times: 5);

        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().UpsertAsync(Record("u1"), [QdrantMappingTests.Chunk("u1", 0)]));

        Assert.Equal(1, _fake.CallsOf("UpsertAsync"));
        Assert.Empty(_delays);
        Assert.Contains($"Qdrant at {Endpoint} rejected upsert points in collection 'news' (gRPC InvalidArgument)", e.Message);
        Assert.Contains("Not existing vector name error: lexical", e.Message);
    }

    [Fact]
    public async Task A_vector_size_qdrant_refuses_is_a_model_mismatch()
    {
        _fake.Fail("QueryAsync", Rpc(StatusCode.InvalidArgument, "Wrong input: Vector dimension error: expected dim: 384, got 4"));

        var e = await Assert.ThrowsAsync<IndexModelMismatchException>(() => Index().SearchAsync(Query(RetrievalMode.Dense)));

        Assert.Contains("newsbot reindex", e.Message);
        Assert.Contains("expected dim: 384, got 4", e.Message);
        Assert.Equal(1, _fake.CallsOf("QueryAsync"));
    }

    [Fact]
    public async Task Unauthenticated_points_at_the_api_key_without_showing_it()
    {
        _options.ApiKey = "s3cr3t-key-value";
        _fake.Fail("CollectionExistsAsync", Rpc(StatusCode.Unauthenticated, "Must provide an API key or an Authorization bearer token"));

        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().EnsureReadyAsync(MiniLM));

        Assert.Contains("Qdrant:ApiKey", e.Message);
        Assert.Contains("Qdrant__ApiKey", e.Message);
        Assert.DoesNotContain("s3cr3t", e.Message);
        Assert.Equal(1, _fake.CallsOf("CollectionExistsAsync"));
    }

    [Fact]
    public async Task Searching_a_missing_collection_says_how_to_create_it()
    {
        _fake.Fail("QueryAsync", Rpc(StatusCode.NotFound, "Collection `news` doesn't exist!"));
        var e = await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().SearchAsync(Query(RetrievalMode.Dense)));
        Assert.Contains("has no collection 'news'", e.Message);
        Assert.Contains("Qdrant:Collection", e.Message);
        Assert.Equal(1, _fake.CallsOf("QueryAsync"));
    }

    [Fact]
    public async Task Deleting_from_a_missing_collection_is_a_no_op()
    {
        _fake.Fail("DeleteAsync", Rpc(StatusCode.NotFound, "Collection `news` doesn't exist!"));

        var error = await Xunit.Record.ExceptionAsync(() => Index().DeleteAsync("u1"));

        Assert.Null(error);
        Assert.Equal(["DeleteAsync"], _fake.Calls); // asked once: NotFound is an answer, not retried
        Assert.Empty(_delays);
        Assert.Empty(_fake.Deletes); // the failed call deleted nothing

        // only a missing collection is a no-op: another refusal of the same call still fails
        _fake.Fail("DeleteAsync", Rpc(StatusCode.PermissionDenied, "read-only key"));
        await Assert.ThrowsAsync<IndexUnavailableException>(() => Index().DeleteAsync("u1"));
    }

    [Fact]
    public async Task Cancellation_is_not_retried_nor_wrapped()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        _fake.Fail("QueryAsync", Rpc(StatusCode.Cancelled), times: 3);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Index().SearchAsync(Query(), cts.Token));
        Assert.Empty(_delays);
    }

    [Fact]
    public async Task Reset_drops_and_recreates_the_collection_for_the_new_model()
    {
        _fake.Exists = true;
        _fake.Info = NewsBotCollection(384, "all-MiniLM-L6-v2");

        await Index().ResetModelAsync(new EmbeddingModelInfo("snowflake-arctic-embed-xs", 384));

        Assert.Equal(["news"], _fake.DeletedCollections);
        Assert.Equal("snowflake-arctic-embed-xs", Assert.Single(_fake.Created).Metadata["newsbot_embedding_model"].StringValue);
    }

    [Fact]
    public void Calling_an_unscripted_client_method_fails_loudly()
    {
        Assert.Throws<NotImplementedException>(() => { _ = _fake.Client.ListCollectionsAsync(); });
    }
}
