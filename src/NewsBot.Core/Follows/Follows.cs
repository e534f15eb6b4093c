using NewsBot.Core.Digests;
using NewsBot.Core.Model;

namespace NewsBot.Core.Follows;

/// <summary>A chat following a story (or a topic that no story matched yet).</summary>
public sealed record Follow
{
    public required string Id { get; init; }
    public required long ChatId { get; init; }
    /// <summary>What the user asked to follow (shown in /following).</summary>
    public required string Topic { get; init; }
    /// <summary>The story followed; null while the topic waits for a story to match it.</summary>
    public string? StoryId { get; init; }
    /// <summary>The story's headline when it was last seen (for listings and the end notice).</summary>
    public string? StoryTitle { get; init; }
    public KeywordFilter Filter { get; init; } = KeywordFilter.None;
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the chat was last sent an update of this follow (null: none yet).</summary>
    public DateTimeOffset? LastUpdateAt { get; init; }
    /// <summary>When the story last had a new article (or the follow began): a follow expires after a quiet spell.</summary>
    public required DateTimeOffset LastActivityAt { get; init; }
}

/// <summary>An update of a followed story: what is new since the chat was last told.</summary>
public sealed record FollowUpdate
{
    public required Follow Follow { get; init; }
    public required string StoryId { get; init; }
    public required string Headline { get; init; }
    /// <summary>New sentences with <c>[n]</c> citations: n is the 1-based position in <see cref="Articles"/>.</summary>
    public required IReadOnlyList<string> NewSentences { get; init; }
    /// <summary>The new articles, in time order.</summary>
    public required IReadOnlyList<ArticleRef> Articles { get; init; }
    public required IReadOnlyList<string> Outlets { get; init; }
}

/// <summary>An update of a followed story.</summary>
public sealed record FollowUpdateNotification(FollowUpdate Update) : ChatNotification;

/// <summary>A follow ended (the story went quiet for <see cref="FollowOptions.ExpireAfter"/>).</summary>
public sealed record FollowEndedNotification(Follow Follow, string Reason) : ChatNotification;

/// <summary>
/// Follows and what each chat was already told. An update is recorded (its articles and sentences) in one
/// transaction before it is sent, so a restart never sends it again.
/// </summary>
public interface IFollowStore
{
    Task AddAsync(Follow follow, IReadOnlyCollection<string> knownArticleIds, IReadOnlyCollection<string> knownSentences, CancellationToken ct = default);

    Task<bool> RemoveAsync(long chatId, string followId, CancellationToken ct = default);

    Task<int> RemoveAllAsync(long chatId, CancellationToken ct = default);

    /// <summary>The chat's follows in the order they were made, or every follow when <paramref name="chatId"/> is null.</summary>
    Task<IReadOnlyList<Follow>> ListAsync(long? chatId, CancellationToken ct = default);

    /// <summary>Articles the chat has been told about (or that were in the story when it was followed).</summary>
    Task<IReadOnlySet<string>> GetKnownArticlesAsync(string followId, CancellationToken ct = default);

    /// <summary>Sentences the chat was sent for this follow (to say only what is new).</summary>
    Task<IReadOnlyList<string>> GetKnownSentencesAsync(string followId, CancellationToken ct = default);

    /// <summary>Points a topic follow at the story that now matches it (or a merged story's survivor).</summary>
    Task SetStoryAsync(string followId, string storyId, string storyTitle, DateTimeOffset activityAt, CancellationToken ct = default);

    /// <summary>
    /// Records an update in one transaction before it is sent: its articles and sentences become known, the
    /// story's activity time is set and, when something is sent (<paramref name="sentAt"/> not null), the update
    /// time. False when an article was already recorded (another run got there first): nothing may be sent.
    /// </summary>
    Task<bool> TryRecordUpdateAsync(string followId, IReadOnlyCollection<string> articleIds, IReadOnlyCollection<string> sentences, DateTimeOffset? sentAt, DateTimeOffset activityAt, CancellationToken ct = default);

    /// <summary>Forgets a recorded update after a send that certainly failed, so the next run sends it.</summary>
    Task UndoUpdateAsync(string followId, IReadOnlyCollection<string> articleIds, IReadOnlyCollection<string> sentences, DateTimeOffset? previousUpdateAt, CancellationToken ct = default);
}

/// <summary>Settings of the <c>Follows</c> section.</summary>
public sealed class FollowOptions
{
    /// <summary>Least time between two updates of one follow; articles arriving meanwhile are batched into the next.</summary>
    public TimeSpan MinUpdateInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A followed story with no new article for this long stops being followed, and the chat is told.</summary>
    public TimeSpan ExpireAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Follows one chat may have.</summary>
    public int MaxPerChat { get; set; } = 20;

    /// <summary>New sentences in one update.</summary>
    public int MaxSentences { get; set; } = 3;

    /// <summary>How often the worker looks for news in followed stories (it also looks right after each feed poll).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
