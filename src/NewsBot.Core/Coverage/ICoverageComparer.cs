using NewsBot.Core.Answering;

namespace NewsBot.Core.Coverage;

/// <summary>
/// A language model that compares how outlets covered one story (the <c>CompareCoverage</c> prompt). A separate
/// port from <see cref="ILlmAnswerer"/> so that answerers without it keep working: coverage differences are then
/// built offline from the articles' sentences.
/// </summary>
public interface ICoverageComparer
{
    /// <summary>
    /// The differences between the outlets' accounts with [n] markers, each side cited to its own outlet's source,
    /// or a line starting with <see cref="ILlmAnswerer.NoAnswerPrefix"/> when the sources give nothing to compare.
    /// </summary>
    /// <param name="sources">The story's articles, numbered; the prompt groups them by <see cref="PromptSource.Outlet"/>.</param>
    Task<string> CompareCoverageAsync(string question, IReadOnlyList<PromptSource> sources, DateTimeOffset now, CancellationToken ct = default);
}
