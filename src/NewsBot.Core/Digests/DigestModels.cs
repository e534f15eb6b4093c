using NewsBot.Core.Model;

namespace NewsBot.Core.Digests;

/// <summary>What a digest covers: a window, how many stories, and the chat's keyword filter.</summary>
public sealed record DigestRequest
{
    public required DateTimeOffset Since { get; init; }
    public required DateTimeOffset Until { get; init; }
    public int Top { get; init; } = DigestComposer.DefaultTop;
    public KeywordFilter Filter { get; init; } = KeywordFilter.None;
}

/// <summary>The top stories of a window, each summarised with citations.</summary>
public sealed record Digest
{
    public required DateTimeOffset Since { get; init; }
    public required DateTimeOffset Until { get; init; }
    public required IReadOnlyList<DigestItem> Stories { get; init; }
    /// <summary>Set when a model was asked and failed or cited nothing, so the summaries are extractive.</summary>
    public string? Note { get; init; }
}

/// <summary>
/// One story of a digest. <see cref="Articles"/> are the story's articles in the window, in time order;
/// <see cref="Summary"/> cites <c>[n]</c>, the 1-based position of an article in that list.
/// </summary>
public sealed record DigestItem
{
    public required string StoryId { get; init; }
    public required string Title { get; init; }
    public required string Summary { get; init; }
    public required IReadOnlyList<string> Outlets { get; init; }
    public required IReadOnlyList<ArticleRef> Articles { get; init; }
}

/// <summary>A source handed to a model that writes a story's digest summary.</summary>
public sealed record DigestSource(int N, ArticleRef Article, string Lead);

/// <summary>Writes a one- or two-sentence summary of a story from its numbered sources (the <c>Digest</c> prompt).</summary>
public interface IDigestWriter
{
    /// <summary>The summary with [n] markers, or null when the model refuses or fails.</summary>
    Task<string?> SummarizeAsync(string storyTitle, IReadOnlyList<DigestSource> sources, CancellationToken ct = default);
}
