using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Cli;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Hosting;
using NewsBot.Qdrant;
using NewsBot.Sqlite;

namespace NewsBot.Indexing;

public sealed record ReindexReport(string Target, string Model, int Articles, int Chunks, int Copied, int Reembedded, int Failed, bool Resumed);

/// <summary>
/// Rebuilds an index from the article registry: into the other backend (<c>--to qdrant|embedded</c>) or in
/// place after the embedding model changed. Vectors stored in the embedded database are copied when they
/// were made by the configured model; otherwise articles are re-chunked and re-embedded from their stored
/// text. Progress is recorded after every article in the database's meta table, so a crashed or
/// interrupted run resumes where it stopped.
/// </summary>
public sealed class Reindexer(IServiceProvider sp, CliOutput output)
{
    public async Task<ReindexReport> RunAsync(IndexProvider target, bool restart, CancellationToken ct)
    {
        var db = sp.GetRequiredService<SqliteDatabase>();
        var store = sp.GetRequiredService<IArticleStore>();
        var embedded = sp.GetRequiredService<SqliteArticleIndex>();
        var embedder = sp.GetRequiredService<Embedder>();
        var pipeline = sp.GetRequiredService<IngestionPipeline>();
        var model = new EmbeddingModelInfo(embedder.Profile.Model, embedder.Profile.Dimensions);
        IArticleIndex index = target == IndexProvider.Qdrant ? sp.GetRequiredService<QdrantArticleIndex>() : embedded;
        var identity = target == IndexProvider.Qdrant
            ? $"qdrant:{sp.GetRequiredService<IOptions<QdrantOptions>>().Value.Endpoint}/{((QdrantArticleIndex)index).Collection}"
            : "embedded";
        var progressKey = $"reindex:{identity}:{model.Model}";

        // vectors in the embedded database can be copied when they were made by this model
        var storedModel = await embedded.GetModelAsync(ct);
        bool canCopy = target == IndexProvider.Qdrant && storedModel == model;

        var progress = restart ? null : await db.GetMetaAsync(progressKey, ct);
        bool resumed = progress is not null;
        long after = long.TryParse(progress, out var p) ? p : 0;
        if (!resumed)
        {
            if (target == IndexProvider.Qdrant) await ((QdrantArticleIndex)index).ResetModelAsync(model, ct);
            else await embedded.ResetModelAsync(model, ct);
            await db.SetMetaAsync(progressKey, "0", ct);
        }
        else
        {
            await index.EnsureReadyAsync(model, ct);
            output.Error($"Resuming the reindex into {index.Provider} after article #{after} (use --restart to start over).");
        }

        var total = (await store.GetCountsAsync(ct)).Articles;
        int articles = 0, chunks = 0, copied = 0, reembedded = 0, failed = 0;
        while (true)
        {
            var page = await store.ListArticlesAsync(after, 64, ct);
            if (page.Count == 0) break;
            foreach (var article in page)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    List<IndexedChunk> list = canCopy ? await embedded.ReadChunksAsync(article, ct) : [];
                    if (list.Count == 0)
                    {
                        var paragraphs = article.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        list = await pipeline.BuildChunksAsync(article.Article, paragraphs, ct);
                        reembedded++;
                    }
                    else copied++;
                    await index.UpsertAsync(article with { ChunkCount = list.Count }, list, null, ct);
                    chunks += list.Count;
                    articles++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not IndexUnavailableException and not IndexModelMismatchException)
                {
                    failed++;
                    output.Error($"Article {article.Id} ({article.Article.Title}) could not be reindexed: {ex.Message}");
                }
                after = article.Sequence;
                // the article is in the index now: record that even when a cancel arrives meanwhile, so a resume
                // does not redo it
                await db.SetMetaAsync(progressKey, after.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
                output.Progress($"reindexing into {index.Provider}: {articles}/{total} articles, {chunks} chunks");
            }
        }
        await db.SetMetaAsync(progressKey, null, ct);
        // stories: articles without one get one; after a model change the stories are clustered again with the new vectors
        await sp.GetRequiredService<NewsBot.Core.Stories.IStoryAssigner>().AssignPendingAsync(ct);
        if (index is IPreloadable preloadable) await preloadable.PreloadAsync(ct); // saves the snapshot the next start loads
        output.EndProgress();
        return new ReindexReport(index.Provider, model.Model, articles, chunks, copied, reembedded, failed, resumed);
    }
}
