using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;

namespace NewsBot.Core.Operations;

/// <summary>Which answer mode is active: "llm" with the model, or "extractive". Implemented by the host.</summary>
public interface IAnswerModeInfo
{
    /// <summary>"llm" or "extractive".</summary>
    string AnswerMode { get; }

    /// <summary>"provider/model" of the language model, or null in extractive mode.</summary>
    string? LlmModel { get; }
}

/// <summary>Where the store lives and how big it is on disk. Implemented by the storage adapter's host.</summary>
public interface IStoreInfo
{
    string? StorePath { get; }

    long? StoreSizeBytes();
}

/// <summary>
/// The one <see cref="ISystemStatusProvider"/>: what the CLI's <c>status</c> and Telegram's /status report.
/// The index, embedder, answer mode and store are optional (a host without them reports counts and feeds);
/// <see cref="SystemStatus.IndexProvider"/> is null when no index is known (channels then leave chunks out).
/// </summary>
public sealed class SystemStatusService(
    IArticleStore articles,
    IFeedStore feeds,
    IArticleIndex? index = null,
    Embedder? embedder = null,
    IAnswerModeInfo? answerMode = null,
    IStoreInfo? store = null) : ISystemStatusProvider
{
    public async Task<SystemStatus> GetStatusAsync(CancellationToken ct = default)
    {
        var counts = await articles.GetCountsAsync(ct).ConfigureAwait(false);
        var chunks = index is null ? 0 : (await index.GetStatsAsync(ct).ConfigureAwait(false)).Chunks;
        var feedList = await feeds.ListFeedsAsync(ct).ConfigureAwait(false);
        return new SystemStatus
        {
            Articles = counts.Articles,
            Chunks = chunks,
            LastIngestedAt = counts.LastIngestedAt,
            Feeds = feedList.Count,
            FeedsWithErrors = [.. feedList.Where(f => !string.IsNullOrWhiteSpace(f.LastError)).Select(f => new FeedError(f.Url, f.LastError!, f.LastPolledAt))],
            EmbeddingModel = embedder is null ? null : $"{embedder.Profile.Model} ({embedder.Profile.Dimensions} dimensions)",
            LlmModel = answerMode?.LlmModel,
            AnswerMode = answerMode?.AnswerMode,
            IndexProvider = index?.Provider,
            StorePath = store?.StorePath,
            StoreSizeBytes = store?.StoreSizeBytes(),
        };
    }
}
