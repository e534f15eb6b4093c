using NewsBot.Core.Answering;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;

namespace NewsBot.Core.Follows;

/// <summary>Finds the story a topic ("harbour bridge closure") is about, by the same search and relevance bar as answers.</summary>
public interface IStoryMatcher
{
    /// <summary>The best-matching story, or null when nothing is relevant enough.</summary>
    Task<Story?> MatchAsync(string topic, DateTimeOffset? firstSeenAfter = null, CancellationToken ct = default);
}

/// <summary>
/// Searches the topic like a question and takes the story of the best passage that clears the answers'
/// relevance bar (<c>Answering:MinRelevance</c>): a topic that could not be answered matches no story either.
/// </summary>
public sealed class StoryMatcher(Retriever retriever, IStoryStore stories, AnsweringOptions answering) : IStoryMatcher
{
    /// <summary>Passages looked at: enough to step past articles that have no story yet.</summary>
    const int Candidates = 10;

    public async Task<Story?> MatchAsync(string topic, DateTimeOffset? firstSeenAfter = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(topic)) return null;
        var result = await retriever.SearchAsync(new RetrievalRequest { Query = topic, Top = Candidates }, ct).ConfigureAwait(false);
        if (result.Hits.Count == 0 || AnswerService.Relevance(result.Hits, topic, result.TermStats) < answering.RelevanceThreshold)
            return null;
        foreach (var hit in result.Hits)
        {
            var story = await stories.GetStoryOfArticleAsync(hit.Article.Id, ct).ConfigureAwait(false);
            if (story is null) continue;
            if (firstSeenAfter is { } after && story.FirstSeen < after) continue;
            return story;
        }
        return null;
    }
}
