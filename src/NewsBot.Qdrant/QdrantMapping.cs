using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using Qdrant.Client.Grpc;
using CoreSparseVector = NewsBot.Core.Model.SparseVector;
using GrpcSparseVector = Qdrant.Client.Grpc.SparseVector;
using QFilter = Qdrant.Client.Grpc.Filter;
using QMatch = Qdrant.Client.Grpc.Match;
using QValue = Qdrant.Client.Grpc.Value;

namespace NewsBot.Qdrant;

/// <summary>Names of the collection's vectors, payload fields and metadata keys.</summary>
public static class QdrantSchema
{
    /// <summary>The named dense vector (cosine, size of the embedding model).</summary>
    public const string DenseVector = "dense";

    /// <summary>The named sparse vector (BM25 term weights; Qdrant applies IDF with <c>Modifier.Idf</c>).</summary>
    public const string LexicalVector = "lexical";

    public const string ArticleId = "article_id";
    public const string Title = "title";
    public const string Outlet = "outlet";
    /// <summary>The outlet lower-cased (invariant), for case-insensitive keyword filtering.</summary>
    public const string OutletLower = "outlet_lc";
    public const string Author = "author";
    /// <summary>RFC 3339 UTC datetime, millisecond precision; absent when the date is unknown.</summary>
    public const string PublishedAt = "published_at";
    public const string Url = "url";
    public const string Text = "text";
    public const string Position = "position";
    public const string TokenCount = "token_count";

    /// <summary>Collection metadata: the embedding model the vectors were made with.</summary>
    public const string ModelMetadataKey = "newsbot_embedding_model";

    /// <summary>Collection metadata: the dense vector size.</summary>
    public const string DimensionsMetadataKey = "newsbot_embedding_dimensions";

    /// <summary>Collection metadata: the layout version of points and payload.</summary>
    public const string SchemaMetadataKey = "newsbot_schema";

    /// <summary>
    /// 2: points carry <see cref="Terms"/>, the ids of their lexical terms, for the term statistics. Collections of
    /// version 1 still search; their term statistics are empty until they are rebuilt (`newsbot reindex`).
    /// </summary>
    public const int SchemaVersion = 2;

    /// <summary>
    /// The ids of the chunk's lexical terms (the indices of its sparse vector), an indexed integer list: the number
    /// of points holding a term is its document frequency, which Qdrant's IDF uses but does not expose.
    /// </summary>
    public const string Terms = "terms";

    /// <summary>The payload indexes created with the collection.</summary>
    public static IReadOnlyList<(string Field, PayloadSchemaType Type)> PayloadIndexes { get; } =
    [
        (ArticleId, PayloadSchemaType.Keyword),
        (OutletLower, PayloadSchemaType.Keyword),
        (PublishedAt, PayloadSchemaType.Datetime),
        (Position, PayloadSchemaType.Integer),
        (Terms, PayloadSchemaType.Integer),
    ];
}

/// <summary>Pure conversions between NewsBot's model and Qdrant's gRPC messages (no I/O; unit-tested on their own).</summary>
internal static class QdrantMapping
{
    const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss.FFF'Z'";

    /// <summary>An instant truncated to whole milliseconds, as the embedded store keeps it.</summary>
    public static DateTimeOffset ToMilliseconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    /// <summary>RFC 3339 in UTC, fractional seconds only when there are some ("2025-03-01T08:30:00Z").</summary>
    public static string FormatDate(DateTimeOffset t) => ToMilliseconds(t).UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseDate(string? s)
        => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t.ToUniversalTime()
            : null;

    public static PointId PointId(string articleId, int position) => new() { Uuid = Identity.ChunkPointId(articleId, position).ToString() };

    public static GrpcSparseVector ToGrpc(CoreSparseVector v)
    {
        var s = new GrpcSparseVector();
        if (v.Count == 0) return s;
        if (v.Indices.Length != v.Values.Length)
            throw new ArgumentException($"Sparse vector has {v.Indices.Length} indices but {v.Values.Length} values.", nameof(v));
        s.Indices.AddRange(v.Indices);
        s.Values.AddRange(v.Values);
        return s;
    }

    public static CoreSparseVector FromGrpc(GrpcSparseVector s)
        => s.Indices.Count == 0 ? CoreSparseVector.Empty : new CoreSparseVector([.. s.Indices], [.. s.Values]);

    public static Dictionary<string, QValue> ToPayload(IndexedChunk c)
    {
        var p = new Dictionary<string, QValue>(StringComparer.Ordinal)
        {
            [QdrantSchema.ArticleId] = Str(c.Article.Id),
            [QdrantSchema.Title] = Str(c.Article.Title),
            [QdrantSchema.Url] = Str(c.Article.Url),
            [QdrantSchema.Text] = Str(c.Text),
            [QdrantSchema.Position] = new QValue { IntegerValue = c.Position },
            [QdrantSchema.TokenCount] = new QValue { IntegerValue = c.TokenCount },
        };
        if (!string.IsNullOrEmpty(c.Article.Outlet))
        {
            p[QdrantSchema.Outlet] = Str(c.Article.Outlet);
            p[QdrantSchema.OutletLower] = Str(OutletKey(c.Article.Outlet));
        }
        if (!string.IsNullOrEmpty(c.Article.Author)) p[QdrantSchema.Author] = Str(c.Article.Author);
        if (c.Article.Published is { } published) p[QdrantSchema.PublishedAt] = Str(FormatDate(published));
        return p;

        static QValue Str(string s) => new() { StringValue = s };
    }

    /// <summary>The key an outlet is filtered by: trimmed, lower-cased (invariant).</summary>
    public static string OutletKey(string outlet) => outlet.Trim().ToLowerInvariant();

    public static PointStruct ToPoint(IndexedChunk c)
    {
        var vectors = new NamedVectors();
        vectors.Vectors[QdrantSchema.DenseVector] = new Vector { Dense = new DenseVector { Data = { c.Dense } } };
        // A chunk without lexical terms simply has no sparse vector (named vectors are optional per point).
        if (c.Sparse.Count > 0) vectors.Vectors[QdrantSchema.LexicalVector] = new Vector { Sparse = ToGrpc(c.Sparse) };
        var point = new PointStruct
        {
            Id = PointId(c.Article.Id, c.Position),
            Vectors = new Vectors { Vectors_ = vectors },
        };
        foreach (var (k, v) in ToPayload(c)) point.Payload[k] = v;
        var terms = new global::Qdrant.Client.Grpc.ListValue();
        foreach (var id in c.Sparse.Indices ?? []) terms.Values.Add(new QValue { IntegerValue = id });
        point.Payload[QdrantSchema.Terms] = new QValue { ListValue = terms };
        return point;
    }

    /// <summary>The payload of a point read back as a hit (scores are filled in by the caller).</summary>
    public static SearchHit ToHit(IDictionary<string, QValue> payload)
    {
        return new SearchHit
        {
            Article = new ArticleRef
            {
                Id = GetString(QdrantSchema.ArticleId) ?? "",
                Title = GetString(QdrantSchema.Title) ?? "",
                Outlet = GetString(QdrantSchema.Outlet),
                Author = GetString(QdrantSchema.Author),
                Published = ParseDate(GetString(QdrantSchema.PublishedAt)),
                Url = GetString(QdrantSchema.Url) ?? "",
            },
            Position = (int)GetLong(QdrantSchema.Position),
            Text = GetString(QdrantSchema.Text) ?? "",
        };

        string? GetString(string key)
            => payload.TryGetValue(key, out var v) && v.KindCase == QValue.KindOneofCase.StringValue ? v.StringValue : null;

        long GetLong(string key)
            => payload.TryGetValue(key, out var v)
                ? v.KindCase switch
                {
                    QValue.KindOneofCase.IntegerValue => v.IntegerValue,
                    QValue.KindOneofCase.DoubleValue => (long)v.DoubleValue,
                    _ => 0,
                }
                : 0;
    }

    static Condition MatchAny(string field, IEnumerable<string> values)
    {
        var strings = new RepeatedStrings();
        strings.Strings.AddRange(values.Distinct(StringComparer.Ordinal));
        return new Condition { Field = new FieldCondition { Key = field, Match = new QMatch { Keywords = strings } } };
    }

    static Condition MatchKeyword(string field, string value)
        => new() { Field = new FieldCondition { Key = field, Match = new QMatch { Keyword = value } } };

    /// <summary>
    /// The Qdrant filter of a <see cref="SearchFilter"/>, or null when it filters nothing:
    /// outlets → outlet_lc matches any (lower-cased); date window → published_at datetime range
    /// [after, before), OR'ed with "published_at is empty" when undated articles are included;
    /// article ids → article_id matches any. All kinds are AND'ed.
    /// </summary>
    public static QFilter? BuildFilter(SearchFilter f)
    {
        var filter = new QFilter();
        if (f.Outlets is { Count: > 0 })
            filter.Must.Add(MatchAny(QdrantSchema.OutletLower, f.Outlets.Where(o => !string.IsNullOrWhiteSpace(o)).Select(OutletKey)));
        if (f.HasDateFilter)
        {
            var range = new DatetimeRange();
            if (f.PublishedAfter is { } after) range.Gte = Timestamp.FromDateTimeOffset(ToMilliseconds(after));
            if (f.PublishedBefore is { } before) range.Lt = Timestamp.FromDateTimeOffset(ToMilliseconds(before));
            var dated = new Condition { Field = new FieldCondition { Key = QdrantSchema.PublishedAt, DatetimeRange = range } };
            if (f.IncludeUndated)
            {
                var either = new QFilter();
                either.Should.Add(dated);
                either.Should.Add(new Condition { IsEmpty = new IsEmptyCondition { Key = QdrantSchema.PublishedAt } });
                filter.Must.Add(new Condition { Filter = either });
            }
            else
            {
                filter.Must.Add(dated);
            }
        }
        if (f.ArticleIds is { Count: > 0 })
            filter.Must.Add(MatchAny(QdrantSchema.ArticleId, f.ArticleIds));
        return filter.Must.Count == 0 ? null : filter;
    }

    /// <summary>Points of an article (for deletion).</summary>
    public static QFilter ArticleFilter(string articleId)
    {
        var f = new QFilter();
        f.Must.Add(MatchKeyword(QdrantSchema.ArticleId, articleId));
        return f;
    }

    /// <summary>
    /// What an upsert leaves stale: the article's points other than the ones just written, and every point
    /// of the article it replaces.
    /// </summary>
    public static QFilter StaleFilter(string articleId, IReadOnlyList<PointId> keep, string? replacesArticleId)
    {
        var own = new QFilter();
        own.Must.Add(MatchKeyword(QdrantSchema.ArticleId, articleId));
        if (keep.Count > 0)
        {
            var ids = new HasIdCondition();
            ids.HasId.AddRange(keep);
            own.MustNot.Add(new Condition { HasId = ids });
        }
        if (replacesArticleId is null || replacesArticleId == articleId) return own;
        var f = new QFilter();
        f.Should.Add(new Condition { Filter = own });
        f.Should.Add(MatchKeyword(QdrantSchema.ArticleId, replacesArticleId));
        return f;
    }

    /// <summary>Points that are an article's first chunk: their count is the number of indexed articles.</summary>
    public static QFilter FirstChunkFilter()
    {
        var f = new QFilter();
        f.Must.Add(new Condition { Field = new FieldCondition { Key = QdrantSchema.Position, Match = new QMatch { Integer = 0 } } });
        return f;
    }

    /// <summary>Which legs a query runs: none (nothing to search with), one, or both fused.</summary>
    public static (bool Dense, bool Lexical) Legs(HybridQuery q) => q.Mode switch
    {
        RetrievalMode.Dense => (true, false),
        RetrievalMode.Lexical => (false, q.Sparse.Count > 0),
        _ => (true, q.Sparse.Count > 0),
    };

    /// <summary>
    /// The Query API request of one leg of a search: a nearest query on the dense or the sparse vector under the
    /// query's filter, with payload (but not the term list, which only the term statistics read). Both legs of a hybrid
    /// search return <c>CandidatesPerLeg</c> (at least <c>Top</c>) and are fused by NewsBot (<c>HybridFusion</c>) as the
    /// embedded index's are; the lexical leg then also returns the dense vector, for the cosine of the hits only it
    /// found. A single leg needs only <c>Top</c>.
    /// </summary>
    public static QueryPlan LegQuery(HybridQuery q, bool denseLeg, bool hybrid)
    {
        var input = denseLeg
            ? new Query { Nearest = new VectorInput { Dense = new DenseVector { Data = { q.Dense } } } }
            : new Query { Nearest = new VectorInput { Sparse = ToGrpc(q.Sparse) } };
        var payload = new WithPayloadSelector { Exclude = new PayloadExcludeSelector { Fields = { QdrantSchema.Terms } } };
        return new QueryPlan(
            input,
            Using: denseLeg ? QdrantSchema.DenseVector : QdrantSchema.LexicalVector,
            Filter: BuildFilter(q.Filter),
            Limit: (ulong)(hybrid ? Math.Max(q.CandidatesPerLeg, q.Top) : q.Top),
            Payload: payload,
            Vectors: hybrid && !denseLeg
                ? new WithVectorsSelector { Include = new VectorsSelector { Names = { QdrantSchema.DenseVector } } }
                : new WithVectorsSelector { Enable = false });
    }

    /// <summary>Points whose term list holds <paramref name="termId"/> (counted for its document frequency).</summary>
    public static QFilter TermFilter(uint termId)
    {
        var f = new QFilter();
        f.Must.Add(new Condition { Field = new FieldCondition { Key = QdrantSchema.Terms, Match = new QMatch { Integer = termId } } });
        return f;
    }
}

/// <summary>The arguments of one <c>QueryAsync</c> call (one leg of a search).</summary>
internal sealed record QueryPlan(Query Query, string Using, QFilter? Filter, ulong Limit, WithPayloadSelector Payload, WithVectorsSelector Vectors);
