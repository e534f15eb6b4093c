namespace NewsBot.Core.Ports;

/// <summary>A snapshot of the bot's state for operators (Telegram /status, CLI status).</summary>
public sealed record SystemStatus
{
    public long Articles { get; init; }
    public long Chunks { get; init; }
    public DateTimeOffset? LastIngestedAt { get; init; }
    public int Feeds { get; init; }
    /// <summary>Feeds whose last poll failed (URL and error).</summary>
    public IReadOnlyList<FeedError> FeedsWithErrors { get; init; } = [];
    public string? EmbeddingModel { get; init; }
    /// <summary>The chat model answering questions, or null in extractive-only mode.</summary>
    public string? LlmModel { get; init; }
    /// <summary>"llm" or "extractive".</summary>
    public string? AnswerMode { get; init; }
    /// <summary>The index serving searches ("embedded", "qdrant").</summary>
    public string? IndexProvider { get; init; }
    public string? StorePath { get; init; }
    public long? StoreSizeBytes { get; init; }
}

public sealed record FeedError(string Url, string Error, DateTimeOffset? At);

/// <summary>Gathers <see cref="SystemStatus"/>; implemented by the host, which knows every adapter.</summary>
public interface ISystemStatusProvider
{
    Task<SystemStatus> GetStatusAsync(CancellationToken ct = default);
}
