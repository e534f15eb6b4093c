using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ports;
using NewsBot.Core.Retention;
using NewsBot.Sqlite;
using static NewsBot.IntegrationTests.Index.ContractCorpus;

namespace NewsBot.IntegrationTests.Index;

/// <summary>
/// Retention on every backend: a prune takes the articles past the window out of the index through the index's own
/// removal, keeps their tombstones in the registry (always SQLite), and leaves the others searchable.
/// </summary>
public abstract partial class ArticleIndexContract
{
    [SkippableFact]
    public async Task Pruning_removes_articles_past_the_window_from_search_and_keeps_their_tombstones()
    {
        var index = await StartAsync(withCorpus: false);
        // the embedded index writes the registry itself; beside Qdrant the registry is its own SQLite file
        var registryDir = Directory.CreateTempSubdirectory("newsbot-retention-contract-").FullName;
        var db = index is SqliteArticleIndex embedded ? embedded.Database : new SqliteDatabase(registryDir);
        var store = new SqliteArticleStore(db);
        try
        {
            foreach (var a in All)
            {
                var (record, chunks) = await Embed.ArticleAsync(a);
                await index.UpsertAsync(record, chunks);
                if (!index.RecordsArticles) await store.SaveArticleAsync(record);
            }
            Assert.NotEmpty(await SearchAsync(index, "mayor re-election tram network", filter: new() { ArticleIds = [MayorElection.Id] }));
            var retention = new RetentionService(new SqliteRetentionStore(db), store, index, RetentionPolicy.KeepEverything, TimeProvider.System,
                NullLogger<RetentionService>.Instance);

            // dated articles by their published time; the undated ones (ingested 2025-03-10) by their ingestion time
            var report = await retention.PruneAsync(new DateTimeOffset(2025, 3, 4, 0, 0, 0, TimeSpan.Zero));

            CorpusArticle[] gone = [HarbourStrike, MountainRescue, BatteryPlant, MayorElection];
            Assert.Equal(gone.Length, report.Articles);
            Assert.Equal(gone.Sum(a => a.Chunks.Length), report.Chunks);
            var stats = await index.GetStatsAsync();
            Assert.Equal(All.Count - gone.Length, stats.Articles);
            Assert.Equal(ChunkCount - gone.Sum(a => a.Chunks.Length), stats.Chunks);
            foreach (var q in new[] { "mayor re-election tram network", "harbour strike grain ships", "volunteers climbers ridge rescue", "battery plant carmaker" })
                Assert.DoesNotContain(await SearchAsync(index, q), h => gone.Any(g => g.Id == h.Article.Id));
            Assert.Contains(await SearchAsync(index, "orchid botanists extinct"), h => h.Article.Id == Orchid.Id);
            Assert.Contains(await SearchAsync(index, "central bank interest rates inflation"), h => h.Article.Id == RateRise.Id);

            // the citations of earlier answers still resolve, to title, outlet, link and date (the text is not kept by default)
            var resolved = (await store.GetArticlesAsync([.. gone.Select(g => g.Id)])).ToDictionary(r => r.Id);
            Assert.Equal(gone.Length, resolved.Count);
            Assert.Equal(MayorElection.Title, resolved[MayorElection.Id].Article.Title);
            Assert.Equal(MayorElection.Url, resolved[MayorElection.Id].Article.Url);
            Assert.Equal(MayorElection.Outlet, resolved[MayorElection.Id].Article.Outlet);
            Assert.Equal(MayorElection.Published, resolved[MayorElection.Id].Article.Published);
            Assert.Equal("", resolved[MayorElection.Id].Body);
            Assert.Equal(All.Count - gone.Length, (await store.GetCountsAsync()).Articles);

            // a second prune over the same window finds nothing; a later window takes the undated ones by ingestion time
            Assert.Equal(0, (await retention.PruneAsync(new DateTimeOffset(2025, 3, 4, 0, 0, 0, TimeSpan.Zero))).Articles);
            Assert.Equal(4, (await retention.PruneAsync(new DateTimeOffset(2025, 3, 11, 0, 0, 0, TimeSpan.Zero))).Articles);
            Assert.Equal(0, (await index.GetStatsAsync()).Chunks);
            Assert.Empty(await SearchAsync(index, "orchid botanists extinct"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(registryDir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
