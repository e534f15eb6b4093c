using NewsBot.Core.Model;

namespace NewsBot.Core.Answering;

/// <summary>What <see cref="AnswerService"/> composes an answer from: the question (as asked and as searched) and the passages retrieved for it.</summary>
internal sealed record AnswerComposition(
    string Question, string Standalone, string SearchText, float[] QueryVector, IReadOnlyList<SearchHit> Hits, string Lang, DateTimeOffset Now)
{
    /// <summary>For a follow-up: the topic carried over from the conversation.</summary>
    public string? Focus { get; init; }

    /// <summary>For a follow-up: the previous answer.</summary>
    public string? PreviousAnswer { get; init; }
}
