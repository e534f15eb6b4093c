using NewsBot.Core.Answering;
using NewsBot.Core.Ports;

namespace NewsBot.UnitTests.Fakes;

/// <summary>A language model stand-in that returns scripted replies (or throws) and records what it was given.</summary>
public sealed class ScriptedLlm(Func<string, IReadOnlyList<PromptSource>, string> reply) : ILlmAnswerer
{
    public List<(string Question, IReadOnlyList<PromptSource> Sources)> Calls { get; } = [];

    /// <summary>The "now" each answer call was given.</summary>
    public List<DateTimeOffset> Nows { get; } = [];

    public string Description => "scripted/test";

    public Task<string> AnswerAsync(string question, IReadOnlyList<PromptSource> sources, DateTimeOffset now, CancellationToken ct = default)
    {
        Calls.Add((question, sources));
        Nows.Add(now);
        return Task.FromResult(reply(question, sources));
    }

    public Task<string> CondenseAsync(string question, IReadOnlyList<ConversationTurn> history, CancellationToken ct = default)
        => Task.FromResult(question + " (" + history[^1].StandaloneQuery + ")");
}
