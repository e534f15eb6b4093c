using NewsBot.Core.Model;
using NewsBot.Core.Ports;

namespace NewsBot.Core.Answering;

/// <summary>A numbered source as it goes into a prompt.</summary>
public sealed record PromptSource(int N, ArticleRef Article, string Text);

/// <summary>
/// A language model that writes answers from numbered sources and condenses follow-ups (the
/// OpenAI-compatible adapter, through Semantic Kernel prompt files). Absent when <c>Llm:Provider</c> is None.
/// Implementations retry transient failures themselves and throw when they give up.
/// </summary>
public interface ILlmAnswerer
{
    /// <summary>"provider/model", for status and logs.</summary>
    string Description { get; }

    /// <summary>
    /// The answer with [n] markers, or a line starting with <see cref="NoAnswerPrefix"/> followed by a
    /// sentence, in the question's language, saying the sources don't cover it.
    /// </summary>
    Task<string> AnswerAsync(string question, IReadOnlyList<PromptSource> sources, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Rewrites a follow-up into a standalone question using the conversation so far.</summary>
    Task<string> CondenseAsync(string question, IReadOnlyList<ConversationTurn> history, CancellationToken ct = default);

    public const string NoAnswerPrefix = "NO_ANSWER:";
}
