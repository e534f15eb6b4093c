using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Qdrant;
using Qdrant.Client.Grpc;
using CoreSparseVector = NewsBot.Core.Model.SparseVector;

namespace NewsBot.UnitTests.Qdrant;

public class QdrantMappingTests
{
    static readonly DateTimeOffset March1 = new(2025, 3, 1, 8, 30, 0, TimeSpan.Zero);

    internal static IndexedChunk Chunk(string articleId = "u1", int position = 0, string? outlet = "The Ledger", DateTimeOffset? published = null,
        string? author = "A. Writer", string text = "Dock workers stopped grain shipments.", int dims = 4)
    {
        var dense = new float[dims];
        dense[position % dims] = 1;
        return new IndexedChunk
        {
            Article = new()
            {
                Id = articleId, Title = "Grain exports halted", Outlet = outlet, Author = author, Published = published, Url = "https://example.test/" + articleId,
            },
            Position = position, Text = text, TokenCount = 7,
            Dense = dense, Sparse = LexicalEncoder.Default.EncodeDocument("Grain exports halted " + text),
        };
    }

    [Fact]
    public void An_empty_filter_builds_no_qdrant_filter()
    {
        Assert.Null(QdrantMapping.BuildFilter(SearchFilter.None));
        Assert.Null(QdrantMapping.BuildFilter(new SearchFilter { Outlets = [], ArticleIds = [], IncludeUndated = false }));
    }

    [Fact]
    public void Outlets_match_any_of_the_lower_cased_outlet_field()
    {
        var f = QdrantMapping.BuildFilter(new SearchFilter { Outlets = ["The Ledger", " BBC News ", "the ledger"] })!;
        var c = Assert.Single(f.Must);
        Assert.Equal("outlet_lc", c.Field.Key);
        Assert.Equal(["the ledger", "bbc news"], c.Field.Match.Keywords.Strings);
        Assert.Empty(f.Should);
        Assert.Empty(f.MustNot);
    }

    [Fact]
    public void A_date_window_is_an_inclusive_lower_and_exclusive_upper_datetime_range()
    {
        var after = March1;
        var before = March1.AddDays(7);
        var f = QdrantMapping.BuildFilter(new SearchFilter { PublishedAfter = after, PublishedBefore = before, IncludeUndated = false })!;
        var c = Assert.Single(f.Must);
        Assert.Equal("published_at", c.Field.Key);
        var r = c.Field.DatetimeRange;
        Assert.Equal(after, r.Gte.ToDateTimeOffset());
        Assert.Equal(before, r.Lt.ToDateTimeOffset());
        Assert.Null(r.Gt);
        Assert.Null(r.Lte);
    }

    [Fact]
    public void Only_one_bound_sets_only_that_bound()
    {
        var onlyAfter = QdrantMapping.BuildFilter(new SearchFilter { PublishedAfter = March1, IncludeUndated = false })!.Must[0].Field.DatetimeRange;
        Assert.NotNull(onlyAfter.Gte);
        Assert.Null(onlyAfter.Lt);
        var onlyBefore = QdrantMapping.BuildFilter(new SearchFilter { PublishedBefore = March1, IncludeUndated = false })!.Must[0].Field.DatetimeRange;
        Assert.Null(onlyBefore.Gte);
        Assert.NotNull(onlyBefore.Lt);
    }

    [Fact]
    public void Including_undated_articles_ors_the_range_with_published_at_is_empty()
    {
        var f = QdrantMapping.BuildFilter(new SearchFilter { PublishedAfter = March1, IncludeUndated = true })!;
        var c = Assert.Single(f.Must);
        Assert.Equal(Condition.ConditionOneOfOneofCase.Filter, c.ConditionOneOfCase);
        Assert.Equal(2, c.Filter.Should.Count);
        Assert.Equal("published_at", c.Filter.Should[0].Field.Key);
        Assert.NotNull(c.Filter.Should[0].Field.DatetimeRange.Gte);
        Assert.Equal("published_at", c.Filter.Should[1].IsEmpty.Key);
        Assert.Empty(c.Filter.Must);
    }

    [Fact]
    public void IncludeUndated_alone_filters_nothing()
    {
        Assert.Null(QdrantMapping.BuildFilter(new SearchFilter { IncludeUndated = false }));
    }

    [Fact]
    public void Article_ids_match_any_of_article_id()
    {
        var f = QdrantMapping.BuildFilter(new SearchFilter { ArticleIds = ["u1", "f2", "u1"] })!;
        var c = Assert.Single(f.Must);
        Assert.Equal("article_id", c.Field.Key);
        Assert.Equal(["u1", "f2"], c.Field.Match.Keywords.Strings);
    }

    [Fact]
    public void Filter_kinds_combine_with_and()
    {
        var f = QdrantMapping.BuildFilter(new SearchFilter
        {
            Outlets = ["Ledger"], PublishedAfter = March1, PublishedBefore = March1.AddDays(1), IncludeUndated = true, ArticleIds = ["u1"],
        })!;
        Assert.Equal(3, f.Must.Count);
        Assert.Equal("outlet_lc", f.Must[0].Field.Key);
        Assert.Equal(2, f.Must[1].Filter.Should.Count);
        Assert.Equal("article_id", f.Must[2].Field.Key);
        Assert.Empty(f.Should);
    }

    [Fact]
    public void Payload_round_trips_to_a_hit()
    {
        var c = Chunk(published: new DateTimeOffset(2025, 3, 1, 10, 30, 15, 123, TimeSpan.FromHours(2)));
        var payload = QdrantMapping.ToPayload(c);
        Assert.Equal("u1", payload["article_id"].StringValue);
        Assert.Equal("The Ledger", payload["outlet"].StringValue);
        Assert.Equal("the ledger", payload["outlet_lc"].StringValue);
        Assert.Equal("2025-03-01T08:30:15.123Z", payload["published_at"].StringValue);
        Assert.Equal(0, payload["position"].IntegerValue);
        Assert.Equal(7, payload["token_count"].IntegerValue);

        var hit = QdrantMapping.ToHit(payload);
        Assert.Equal(c.Article.Id, hit.Article.Id);
        Assert.Equal(c.Position, hit.Position);
        Assert.Equal(c.Text, hit.Text);
        Assert.Equal(c.Article.Title, hit.Article.Title);
        Assert.Equal(c.Article.Outlet, hit.Article.Outlet);
        Assert.Equal(c.Article.Author, hit.Article.Author);
        Assert.Equal(c.Article.Url, hit.Article.Url);
        Assert.Equal(c.Article.Published, hit.Article.Published);
        Assert.Equal(TimeSpan.Zero, hit.Article.Published!.Value.Offset);
    }

    [Fact]
    public void Unknown_date_outlet_and_author_are_left_out_of_the_payload()
    {
        var payload = QdrantMapping.ToPayload(Chunk(outlet: null, author: null, published: null));
        Assert.False(payload.ContainsKey("published_at"));
        Assert.False(payload.ContainsKey("outlet"));
        Assert.False(payload.ContainsKey("outlet_lc"));
        Assert.False(payload.ContainsKey("author"));
        var hit = QdrantMapping.ToHit(payload);
        Assert.Null(hit.Article.Published);
        Assert.Null(hit.Article.Outlet);
        Assert.Null(hit.Article.Author);
    }

    [Theory]
    [InlineData(0, "2025-03-01T08:30:00Z")]
    [InlineData(5, "2025-03-01T08:30:00.005Z")]
    [InlineData(120, "2025-03-01T08:30:00.12Z")]
    public void Dates_are_rfc3339_utc_with_milliseconds_only_when_present(int ms, string expected)
    {
        Assert.Equal(expected, QdrantMapping.FormatDate(March1.AddMilliseconds(ms).AddTicks(3)));
        Assert.Equal(QdrantMapping.ToMilliseconds(March1.AddMilliseconds(ms)), QdrantMapping.ParseDate(expected));
    }

    [Fact]
    public void Sparse_vectors_convert_both_ways()
    {
        var v = new CoreSparseVector([3u, 17u, 4_000_000_000u], [0.5f, 1.25f, 2f]);
        var g = QdrantMapping.ToGrpc(v);
        Assert.Equal(v.Indices, g.Indices);
        Assert.Equal(v.Values, g.Values);
        var back = QdrantMapping.FromGrpc(g);
        Assert.Equal(v.Indices, back.Indices);
        Assert.Equal(v.Values, back.Values);
        Assert.Empty(QdrantMapping.ToGrpc(CoreSparseVector.Empty).Indices);
        Assert.Throws<ArgumentException>(() => QdrantMapping.ToGrpc(new CoreSparseVector([1u, 2u], [1f])));
    }

    [Fact]
    public void A_point_carries_named_dense_and_sparse_vectors_and_the_payload()
    {
        var c = Chunk(position: 2);
        var p = QdrantMapping.ToPoint(c);
        Assert.Equal(Identity.ChunkPointId("u1", 2).ToString(), p.Id.Uuid);
        var named = p.Vectors.Vectors_.Vectors;
        Assert.Equal(c.Dense, named["dense"].Dense.Data);
        Assert.Equal(c.Sparse.Indices, named["lexical"].Sparse.Indices);
        Assert.Equal(c.Sparse.Values, named["lexical"].Sparse.Values);
        Assert.Equal("u1", p.Payload["article_id"].StringValue);
        Assert.Equal(2, p.Payload["position"].IntegerValue);
    }

    [Fact]
    public void A_chunk_without_lexical_terms_gets_no_sparse_vector()
    {
        var c = Chunk() with { Sparse = CoreSparseVector.Empty };
        var p = QdrantMapping.ToPoint(c);
        Assert.False(p.Vectors.Vectors_.Vectors.ContainsKey("lexical"));
        Assert.True(p.Vectors.Vectors_.Vectors.ContainsKey("dense"));
    }

    [Fact]
    public void Point_ids_are_stable_uuids_per_article_and_position()
    {
        var a = QdrantMapping.PointId("u0123456789abcdef0123", 0).Uuid;
        Assert.Equal(a, QdrantMapping.PointId("u0123456789abcdef0123", 0).Uuid);
        Assert.NotEqual(a, QdrantMapping.PointId("u0123456789abcdef0123", 1).Uuid);
        Assert.NotEqual(a, QdrantMapping.PointId("f0123456789abcdef0123", 0).Uuid);
        var g = Guid.Parse(a);
        Assert.Equal(8, g.Version);
        // pinned: changing the derivation would orphan every point of an existing collection
        // (the value is SHA-256("newsbot:u1:0")[0..16] with the version-8 and variant bits set)
        Assert.Equal("cc8af97a-3863-812b-8f11-58b1b68549d2", QdrantMapping.PointId("u1", 0).Uuid);
        Assert.Equal(Identity.ChunkPointId("u1", 0), Guid.Parse(QdrantMapping.PointId("u1", 0).Uuid));
        Assert.Equal(36, a.Length);
    }

    [Fact]
    public void A_point_carries_its_term_ids_for_the_term_statistics_and_the_term_filter_counts_by_them()
    {
        var c = Chunk("u1", 0);
        var point = QdrantMapping.ToPoint(c);
        var terms = point.Payload[QdrantSchema.Terms].ListValue.Values.Select(v => (uint)v.IntegerValue).ToArray();
        Assert.NotEmpty(terms);
        Assert.Equal(c.Sparse.Indices, terms);
        var f = QdrantMapping.TermFilter(terms[0]);
        Assert.Equal(QdrantSchema.Terms, f.Must[0].Field.Key);
        Assert.Equal(terms[0], f.Must[0].Field.Match.Integer);
        Assert.Contains((QdrantSchema.Terms, PayloadSchemaType.Integer), QdrantSchema.PayloadIndexes);
    }

    [Fact]
    public void Stale_points_are_the_articles_points_not_just_written_and_the_replaced_articles()
    {
        var keep = new[] { QdrantMapping.PointId("u1", 0), QdrantMapping.PointId("u1", 1) };
        var own = QdrantMapping.StaleFilter("u1", keep, null);
        Assert.Equal("u1", own.Must[0].Field.Match.Keyword);
        Assert.Equal(keep, own.MustNot[0].HasId.HasId);

        var replacing = QdrantMapping.StaleFilter("u1", keep, "u0");
        Assert.Equal(2, replacing.Should.Count);
        Assert.Equal("u1", replacing.Should[0].Filter.Must[0].Field.Match.Keyword);
        Assert.Equal("u0", replacing.Should[1].Field.Match.Keyword);

        var none = QdrantMapping.StaleFilter("u1", [], null);
        Assert.Empty(none.MustNot);
    }

    [Fact]
    public void A_leg_query_asks_for_the_candidates_of_its_vector_under_the_filter_without_the_term_list()
    {
        var q = new NewsBot.Core.Model.HybridQuery
        {
            Dense = [1f],
            Sparse = LexicalEncoder.Default.EncodeQuery("grain exports"),
            Top = 5,
            CandidatesPerLeg = 40,
            Filter = new NewsBot.Core.Model.SearchFilter { ArticleIds = ["u1"] },
        };
        var lexical = QdrantMapping.LegQuery(q, denseLeg: false, hybrid: true);
        Assert.Equal(QdrantSchema.LexicalVector, lexical.Using);
        Assert.Equal(q.Sparse.Indices, lexical.Query.Nearest.Sparse.Indices);
        Assert.Equal(40UL, lexical.Limit);
        Assert.Equal(QdrantMapping.BuildFilter(q.Filter), lexical.Filter);
        Assert.Equal([QdrantSchema.Terms], lexical.Payload.Exclude.Fields);
        Assert.Equal([QdrantSchema.DenseVector], lexical.Vectors.Include.Names); // for the cosine of hits only this leg found

        var dense = QdrantMapping.LegQuery(q, denseLeg: true, hybrid: true);
        Assert.Equal(QdrantSchema.DenseVector, dense.Using);
        Assert.False(dense.Vectors.Enable);
        Assert.Equal(40UL, dense.Limit);

        Assert.Equal(5UL, QdrantMapping.LegQuery(q, denseLeg: true, hybrid: false).Limit); // a single leg needs only Top
        Assert.Equal(80UL, QdrantMapping.LegQuery(q with { Top = 80 }, denseLeg: true, hybrid: true).Limit);
    }
}
