namespace NewsBot.Core.Ports;

/// <summary>One question and answer of a conversation.</summary>
public sealed record ConversationTurn
{
    public required string ConversationId { get; init; }
    public required string Question { get; init; }
    public required string StandaloneQuery { get; init; }
    public required string Answer { get; init; }
    public IReadOnlyList<string> CitedArticleIds { get; init; } = [];
    public bool Refused { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>Conversations persist across restarts, with bounded history.</summary>
public interface IConversationStore
{
    Task AppendAsync(ConversationTurn turn, int maxTurns, CancellationToken ct = default);

    /// <summary>The last <paramref name="count"/> turns, oldest first.</summary>
    Task<IReadOnlyList<ConversationTurn>> GetRecentAsync(string conversationId, int count, CancellationToken ct = default);

    Task ClearAsync(string conversationId, CancellationToken ct = default);
}
