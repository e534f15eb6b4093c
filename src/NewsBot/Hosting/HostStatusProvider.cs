using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.Hosting;

/// <summary>What /status and `newsbot status` report, gathered from every adapter.</summary>
public sealed class HostStatusProvider(IArticleStore store, IArticleIndex index, IFeedStore feeds, Embedder embedder, ILlmAnswererProvider llm, SqliteDatabase db) : ISystemStatusProvider
{
    public async Task<SystemStatus> GetStatusAsync(CancellationToken ct = default)
    {
        var counts = await store.GetCountsAsync(ct).ConfigureAwait(false);
        var stats = await index.GetStatsAsync(ct).ConfigureAwait(false);
        var feedList = await feeds.ListFeedsAsync(ct).ConfigureAwait(false);
        return new SystemStatus
        {
            Articles = counts.Articles,
            Chunks = stats.Chunks,
            LastIngestedAt = counts.LastIngestedAt,
            Feeds = feedList.Count,
            FeedsWithErrors = feedList.Where(f => f.LastError is not null).Select(f => new FeedError(f.Url, f.LastError!, f.LastPolledAt)).ToList(),
            EmbeddingModel = $"{embedder.Profile.Model} ({embedder.Profile.Dimensions} dimensions)",
            LlmModel = llm.Answerer?.Description,
            AnswerMode = llm.Answerer is null ? "extractive" : "llm",
            IndexProvider = index.Provider,
            StorePath = db.FilePath,
            StoreSizeBytes = db.DiskBytes(),
        };
    }
}
