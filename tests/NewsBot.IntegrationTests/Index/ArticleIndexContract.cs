using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using static NewsBot.IntegrationTests.Index.ContractCorpus;

namespace NewsBot.IntegrationTests.Index;

/// <summary>
/// The behaviour every <see cref="IArticleIndex"/> must share, run against each backend by a derived class:
/// writes (upsert, replace, delete, idempotence), hybrid ranking with the real MiniLM model, filters (outlet, date
/// window with and without undated articles, article ids), single-leg modes and the embedding-model guard.
/// Each test gets a fresh, empty index from <see cref="CreateIndexAsync"/>; a backend that cannot run here reports
/// every test as skipped with <see cref="SkipReason"/>.
/// </summary>
[Collection(IndexContractCollection.Name)]
public abstract partial class ArticleIndexContract(ContractEmbedderFixture embed) : IAsyncLifetime
{
    IArticleIndex? _index;

    protected ContractEmbedderFixture Embed => embed;

    /// <summary>Why this backend cannot run here (null = it can).</summary>
    protected virtual string? SkipReason => null;

    /// <summary>A fresh, empty index (not yet <c>EnsureReady</c>'d).</summary>
    protected abstract Task<IArticleIndex> CreateIndexAsync();

    /// <summary>Removes what <see cref="CreateIndexAsync"/> made.</summary>
    protected abstract Task DestroyIndexAsync(IArticleIndex index);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_index is not null) await DestroyIndexAsync(_index);
    }

    /// <summary>Skips when the backend is unavailable; otherwise a ready index, holding the corpus unless told not to.</summary>
    protected async Task<IArticleIndex> StartAsync(bool withCorpus = true)
    {
        Skip.If(SkipReason is not null, SkipReason);
        _index = await CreateIndexAsync();
        await _index.EnsureReadyAsync(embed.Model);
        if (withCorpus)
            foreach (var a in All) await PutAsync(_index, a);
        return _index;
    }

    protected async Task PutAsync(IArticleIndex index, CorpusArticle a, string[]? chunks = null, string? replaces = null)
    {
        var (record, list) = await embed.ArticleAsync(a, chunks);
        await index.UpsertAsync(record, list, replaces);
    }

    protected async Task<IReadOnlyList<SearchHit>> SearchAsync(IArticleIndex index, string text, RetrievalMode mode = RetrievalMode.Hybrid,
        SearchFilter? filter = null, int top = 10)
        => await index.SearchAsync(await embed.QueryAsync(text, mode, filter, top));

    static void AssertOrderedByScore(IReadOnlyList<SearchHit> hits)
    {
        for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score, $"hit {i} scores above hit {i - 1}");
        Assert.Equal(hits.Count, hits.Select(h => (h.Article.Id, h.Position)).Distinct().Count());
    }

    // ---- writes ----

    [SkippableFact]
    public async Task Upsert_then_search_finds_the_article_with_its_metadata()
    {
        var index = await StartAsync();

        var hits = await SearchAsync(index, "harbour strike grain ships");

        Assert.NotEmpty(hits);
        var h = hits[0];
        Assert.Equal(HarbourStrike.Id, h.Article.Id);
        Assert.Equal(HarbourStrike.Title, h.Article.Title);
        Assert.Equal("The Ledger", h.Article.Outlet);
        Assert.Equal("Staff reporter", h.Article.Author);
        Assert.Equal(HarbourStrike.Published, h.Article.Published);
        Assert.Equal(HarbourStrike.Url, h.Article.Url);
        Assert.Contains(h.Text, HarbourStrike.Chunks);
        Assert.Equal(h.Text, HarbourStrike.Chunks[h.Position]);
        Assert.True(h.Score > 0);
        Assert.All(hits, x => Assert.InRange(x.DenseScore!.Value, -1f, 1.0001f));
        Assert.True(h.DenseScore > 0.3f, $"dense score {h.DenseScore}");
        AssertOrderedByScore(hits);

        var mayor = (await SearchAsync(index, "mayor re-election tram network")).First();
        Assert.Equal(MayorElection.Id, mayor.Article.Id);
        Assert.Equal(MayorElection.Published, mayor.Article.Published); // the same instant, whatever offset it was given in

        var stats = await index.GetStatsAsync();
        Assert.Equal(All.Count, stats.Articles);
        Assert.Equal(ChunkCount, stats.Chunks);
        Assert.Equal(embed.Model.Model, stats.EmbeddingModel);
        Assert.Equal(embed.Model.Dimensions, stats.Dimensions);
    }

    [SkippableFact]
    public async Task Re_upserting_with_other_chunks_removes_the_old_ones()
    {
        var index = await StartAsync();
        string[] newer = ["Talks between the union and the port authority ended with a deal on Friday; loading resumed at dawn."];

        await PutAsync(index, HarbourStrike, newer);

        var only = new SearchFilter { ArticleIds = [HarbourStrike.Id] };
        var hits = await SearchAsync(index, "union port authority deal loading", filter: only);
        var h = Assert.Single(hits);
        Assert.Equal(newer[0], h.Text);
        Assert.Equal(0, h.Position);
        Assert.Empty(await SearchAsync(index, "exporters penalties late deliveries", RetrievalMode.Lexical, only));
        Assert.Equal(ChunkCount - 1, (await index.GetStatsAsync()).Chunks);
    }

    [SkippableFact]
    public async Task Upserting_a_replacement_removes_the_replaced_article()
    {
        var index = await StartAsync();
        var moved = CupFinal with { Slug = "cup-final-updated" };

        await PutAsync(index, moved, replaces: CupFinal.Id);

        var hits = await SearchAsync(index, "cup final penalties shoot-out");
        Assert.Equal(moved.Id, hits[0].Article.Id);
        Assert.DoesNotContain(hits, h => h.Article.Id == CupFinal.Id);
        Assert.Equal(ChunkCount, (await index.GetStatsAsync()).Chunks);
    }

    [SkippableFact]
    public async Task Delete_removes_every_chunk_of_the_article()
    {
        var index = await StartAsync();

        await index.DeleteAsync(RiverFlood.Id);
        await index.DeleteAsync("u-never-indexed");

        Assert.DoesNotContain(await SearchAsync(index, "river floods evacuations residents"), h => h.Article.Id == RiverFlood.Id);
        Assert.Empty(await SearchAsync(index, "flood", filter: new SearchFilter { ArticleIds = [RiverFlood.Id] }));
        var stats = await index.GetStatsAsync();
        Assert.Equal(All.Count - 1, stats.Articles);
        Assert.Equal(ChunkCount - RiverFlood.Chunks.Length, stats.Chunks);
    }

    [SkippableFact]
    public async Task Re_upserting_the_same_article_is_idempotent()
    {
        var index = await StartAsync();
        var before = await SearchAsync(index, "central bank interest rates");

        foreach (var a in All) await PutAsync(index, a);
        await PutAsync(index, HarbourStrike);

        var stats = await index.GetStatsAsync();
        Assert.Equal(All.Count, stats.Articles);
        Assert.Equal(ChunkCount, stats.Chunks);
        var after = await SearchAsync(index, "central bank interest rates");
        Assert.Equal(before.Select(h => (h.Article.Id, h.Position)), after.Select(h => (h.Article.Id, h.Position)));
        AssertOrderedByScore(after);
    }

    // ---- ranking ----

    [SkippableFact]
    public async Task An_exact_rare_name_finds_its_article_first()
    {
        var index = await StartAsync();

        var hits = await SearchAsync(index, "What did Thistlewaite say?");

        Assert.Equal(MountainRescue.Id, hits[0].Article.Id);
        Assert.True(hits[0].Score > hits[1].Score);
    }

    [SkippableTheory]
    [InlineData("stevedores down tools demanding bigger wages while cereal freighters sit stuck offshore", "harbour-strike")]
    [InlineData("a blossom everybody believed had died out turns up again in misty highland woods", "orchid")]
    public async Task A_paraphrase_sharing_no_words_finds_its_article_first(string query, string slug)
    {
        // the guard that makes this a test of the dense leg: not one lexical term in common with the corpus
        Assert.Empty(LexicalEncoder.Default.EncodeQuery(query).Indices.Intersect(AllTerms()));
        var index = await StartAsync();

        var hits = await SearchAsync(index, query);

        Assert.Equal(All.Single(a => a.Slug == slug).Id, hits[0].Article.Id);
        Assert.All(hits, h => Assert.Null(h.LexicalScore));
    }

    [SkippableFact]
    public async Task Top_limits_the_hits()
    {
        var index = await StartAsync();
        Assert.Equal(3, (await SearchAsync(index, "news", top: 3)).Count);
        Assert.Equal(ChunkCount, (await SearchAsync(index, "news", top: 50)).Count);
    }

    // ---- filters ----

    [SkippableFact]
    public async Task Outlet_filter_is_case_insensitive()
    {
        var index = await StartAsync();

        var hits = await SearchAsync(index, "economy", filter: new SearchFilter { Outlets = ["FINANCIAL WIRE"] });
        Assert.Equal([BatteryPlant.Id, RateRise.Id], hits.Select(h => h.Article.Id).Distinct().Order());

        hits = await SearchAsync(index, "harbour", filter: new SearchFilter { Outlets = ["the ledger", "Alpine Post"] });
        Assert.Equal(new[] { HarbourStrike.Id, RiverFlood.Id, MountainRescue.Id }.Order(), hits.Select(h => h.Article.Id).Distinct().Order());

        Assert.Empty(await SearchAsync(index, "harbour", filter: new SearchFilter { Outlets = ["Nobody's Gazette"] }));
    }

    [SkippableFact]
    public async Task Date_window_is_inclusive_after_and_exclusive_before_and_can_leave_out_undated_articles()
    {
        var index = await StartAsync();
        var window = new SearchFilter
        {
            PublishedAfter = HarbourStrike.Published, // inclusive
            PublishedBefore = CupFinal.Published,      // exclusive
            IncludeUndated = false,
        };

        var hits = await SearchAsync(index, "news this week", filter: window);
        Assert.Equal(new[] { HarbourStrike.Id, RateRise.Id }.Order(), hits.Select(h => h.Article.Id).Distinct().Order());

        hits = await SearchAsync(index, "news this week", filter: window with { IncludeUndated = true });
        Assert.Equal(new[] { HarbourStrike.Id, RateRise.Id, Orchid.Id, RiverFlood.Id }.Order(), hits.Select(h => h.Article.Id).Distinct().Order());

        hits = await SearchAsync(index, "news", filter: new SearchFilter { PublishedBefore = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), IncludeUndated = false });
        Assert.Equal([MayorElection.Id], hits.Select(h => h.Article.Id).Distinct());

        hits = await SearchAsync(index, "news", filter: new SearchFilter { PublishedAfter = CupFinal.Published!.Value.AddMilliseconds(1), IncludeUndated = false });
        Assert.Empty(hits);
    }

    [SkippableFact]
    public async Task Article_ids_restrict_the_search()
    {
        var index = await StartAsync();

        var hits = await SearchAsync(index, "central bank interest rates", filter: new SearchFilter { ArticleIds = [Orchid.Id, CupFinal.Id] });

        Assert.Equal(new[] { Orchid.Id, CupFinal.Id }.Order(), hits.Select(h => h.Article.Id).Order());
    }

    [SkippableFact]
    public async Task Filters_combine()
    {
        var index = await StartAsync();
        var filter = new SearchFilter
        {
            Outlets = ["The Ledger"], PublishedAfter = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero), IncludeUndated = true,
            ArticleIds = [RiverFlood.Id, RateRise.Id, Orchid.Id],
        };

        var hits = await SearchAsync(index, "rain", filter: filter);

        Assert.Equal([RiverFlood.Id], hits.Select(h => h.Article.Id).Distinct());
    }

    // ---- modes ----

    [SkippableFact]
    public async Task Dense_mode_ranks_by_meaning_alone()
    {
        var index = await StartAsync();

        var hits = await SearchAsync(index, "stevedores down tools demanding bigger wages while cereal freighters sit stuck offshore", RetrievalMode.Dense);

        Assert.Equal(HarbourStrike.Id, hits[0].Article.Id);
        Assert.Equal(ChunkCount, hits.Count);
        Assert.All(hits, h => Assert.NotNull(h.DenseScore));
        Assert.All(hits, h => Assert.Null(h.LexicalScore));
        Assert.Equal(Enumerable.Range(1, hits.Count), hits.Select(h => h.DenseRank!.Value));
        for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].DenseScore >= hits[i].DenseScore);
        AssertOrderedByScore(hits);
    }

    [SkippableFact]
    public async Task Lexical_mode_ranks_by_terms_alone()
    {
        var index = await StartAsync();

        var hits = await SearchAsync(index, "Thistlewaite frostbite", RetrievalMode.Lexical);

        var h = Assert.Single(hits);
        Assert.Equal(MountainRescue.Id, h.Article.Id);
        Assert.True(h.LexicalScore > 0);
        Assert.Equal(1, h.LexicalRank);
        Assert.Null(h.DenseScore);
        Assert.Empty(await SearchAsync(index, "stevedores cereal freighters", RetrievalMode.Lexical));

        // rarer terms weigh more (IDF): "ledger"-free query where one term is in one chunk, the other in two
        var idf = await SearchAsync(index, "barley residents", RetrievalMode.Lexical);
        Assert.Equal(HarbourStrike.Id, idf[0].Article.Id);
    }

    // ---- model guard ----

    [SkippableFact]
    public async Task EnsureReady_refuses_another_model_or_dimension()
    {
        var index = await StartAsync(withCorpus: false);
        await index.EnsureReadyAsync(embed.Model); // the same model again is fine

        var other = await Assert.ThrowsAsync<IndexModelMismatchException>(() => index.EnsureReadyAsync(new EmbeddingModelInfo("snowflake-arctic-embed-xs", 384)));
        Assert.Contains(embed.Model.Model, other.Message);
        Assert.Contains("snowflake-arctic-embed-xs", other.Message);
        Assert.Contains("newsbot reindex", other.Message);

        var bigger = await Assert.ThrowsAsync<IndexModelMismatchException>(() => index.EnsureReadyAsync(new EmbeddingModelInfo(embed.Model.Model, 768)));
        Assert.Contains("768", bigger.Message);
    }
}
