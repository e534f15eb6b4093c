using NewsBot.Core.Model;

namespace NewsBot.Core.Answering;

public enum AnswerMode
{
    Extractive,
    Llm,
}

/// <summary>A question to answer, optionally inside a conversation.</summary>
public sealed record AnswerRequest
{
    public required string Question { get; init; }
    /// <summary>Conversation to continue ("telegram:CHAT[:THREAD]", "cli:c1", …); null = a one-off question.</summary>
    public string? ConversationId { get; init; }
    /// <summary>Additional filter (e.g. an outlet chosen by a channel).</summary>
    public SearchFilter? Filter { get; init; }
}

/// <summary>A numbered source that the answer cites.</summary>
public sealed record Citation
{
    public required int N { get; init; }
    public required ArticleRef Article { get; init; }
    /// <summary>The passage of the source that supports the answer.</summary>
    public required string Snippet { get; init; }
}

/// <summary>An answer whose every claim cites a numbered source, or a refusal.</summary>
public sealed record AnswerResult
{
    public required string Question { get; init; }
    /// <summary>The question as searched: a follow-up rewritten to stand alone.</summary>
    public required string StandaloneQuery { get; init; }
    /// <summary>The answer text with [n] markers, or the refusal message.</summary>
    public required string Answer { get; init; }
    public required bool Refused { get; init; }
    public required AnswerMode Mode { get; init; }
    /// <summary>Only the sources the answer actually cites, numbered as in the text.</summary>
    public IReadOnlyList<Citation> Citations { get; init; } = [];
    /// <summary>When refusing: the closest headlines found, to help the user rephrase.</summary>
    public IReadOnlyList<string> ClosestHeadlines { get; init; } = [];
    /// <summary>A short note for the user, e.g. that the language model failed and this is the extractive answer.</summary>
    public string? Note { get; init; }
    public IReadOnlyDictionary<string, double> TimingsMs { get; init; } = new Dictionary<string, double>();
    /// <summary>How well the best passages cover the question (0–1; refused below Answering:MinRelevance).</summary>
    public double? Relevance { get; init; }
    /// <summary>Extractive answers: the score of the best quoted sentence (refused below Answering:MinSentenceScore).</summary>
    public double? SentenceScore { get; init; }
    /// <summary>Coverage answers ("which outlets reported it?"): the story they are about; null for other answers.</summary>
    public NewsBot.Core.Coverage.StoryCoverage? Story { get; init; }
}

/// <summary>Answers questions from the indexed news. Used by every channel (CLI, terminal chat, Telegram).</summary>
public interface IAnswerService
{
    Task<AnswerResult> AnswerAsync(AnswerRequest request, CancellationToken ct = default);

    /// <summary>Forgets a conversation (/new).</summary>
    Task ResetConversationAsync(string conversationId, CancellationToken ct = default);
}
