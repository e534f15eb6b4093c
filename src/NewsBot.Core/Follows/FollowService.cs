using Microsoft.Extensions.Logging;
using NewsBot.Core.Digests;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Stories;

namespace NewsBot.Core.Follows;

/// <summary>The outcome of /follow.</summary>
public sealed record FollowResult(Follow? Follow, Story? Story, string? Error);

/// <summary>
/// Following stories: /follow, /following, /unfollow, and the updates. After each feed poll (and every
/// <see cref="FollowOptions.CheckInterval"/>) each follow's story is looked at; articles the chat has not
/// been told about become one update — its new sentences are the leads that say something the chat was
/// not sent before — spaced by <see cref="FollowOptions.MinUpdateInterval"/>. A topic that matched no story
/// is matched again each time, against stories that began after the follow.
/// </summary>
public sealed class FollowService(
    IFollowStore follows,
    IStoryStore stories,
    IArticleStore articles,
    IStoryMatcher matcher,
    IChatNotifier notifier,
    FollowOptions options,
    TimeProvider time,
    ILogger<FollowService> logger)
{
    /// <summary>Lead sentences per new article considered for an update.</summary>
    const int LeadsPerArticle = 2;

    /// <summary>Follows the story best matching <paramref name="args"/> (a topic with optional +include / -exclude words).</summary>
    public async Task<FollowResult> FollowTopicAsync(long chatId, IReadOnlyList<string> args, CancellationToken ct = default)
    {
        var filter = KeywordFilter.Parse(args, out var rest);
        var topic = string.Join(' ', rest).Trim();
        if (topic.Length == 0)
            return new(null, null, "Tell me what to follow, for example: /follow harbour bridge closure (add +word or -word to filter).");
        var story = await matcher.MatchAsync(topic, null, ct).ConfigureAwait(false);
        return await AddAsync(chatId, topic, story, filter, ct).ConfigureAwait(false);
    }

    /// <summary>Follows a story by id (the "Follow this story" button).</summary>
    public async Task<FollowResult> FollowStoryAsync(long chatId, string storyId, CancellationToken ct = default)
    {
        var story = await stories.GetStoryAsync(storyId, ct).ConfigureAwait(false);
        if (story is null) return new(null, null, "That story is no longer in my sources.");
        return await AddAsync(chatId, story.Title, story, KeywordFilter.None, ct).ConfigureAwait(false);
    }

    async Task<FollowResult> AddAsync(long chatId, string topic, Story? story, KeywordFilter filter, CancellationToken ct)
    {
        var existing = await follows.ListAsync(chatId, ct).ConfigureAwait(false);
        if (story is not null && existing.FirstOrDefault(f => f.StoryId == story.Id) is { } already)
            return new(already, story, null);
        if (existing.Count >= options.MaxPerChat)
            return new(null, story, $"This chat already follows {existing.Count} stories, the most it can; /unfollow one first.");
        var now = time.GetUtcNow();
        var follow = new Follow
        {
            Id = Guid.NewGuid().ToString("N")[..12],
            ChatId = chatId,
            Topic = topic,
            StoryId = story?.Id,
            StoryTitle = story?.Title,
            Filter = filter,
            CreatedAt = now,
            LastActivityAt = now,
        };
        // What the story already says counts as told: updates bring only what comes after.
        var known = story?.Articles.Select(a => a.Id).ToList() ?? [];
        var sentences = new List<string>();
        if (known.Count > 0)
            foreach (var a in await articles.GetArticlesAsync(known, ct).ConfigureAwait(false))
                sentences.AddRange(LeadSentences.Of(a.Body, a.Article.Title, LeadsPerArticle));
        await follows.AddAsync(follow, known, sentences, ct).ConfigureAwait(false);
        logger.LogInformation("Chat {Chat} follows {Topic} (story {Story})", chatId, topic, story?.Id ?? "none yet");
        return new(follow, story, null);
    }

    /// <summary>Stops following: by the number shown in /following, a follow id, or "all".</summary>
    public async Task<(int Removed, string? Error)> UnfollowAsync(long chatId, string which, CancellationToken ct = default)
    {
        which = which.Trim();
        if (which.Equals("all", StringComparison.OrdinalIgnoreCase))
            return (await follows.RemoveAllAsync(chatId, ct).ConfigureAwait(false), null);
        var list = await follows.ListAsync(chatId, ct).ConfigureAwait(false);
        Follow? target = int.TryParse(which, out var n) && n >= 1 && n <= list.Count ? list[n - 1]
            : list.FirstOrDefault(f => f.Id == which || f.StoryId == which);
        if (target is null)
            return (0, list.Count == 0 ? "This chat follows nothing." : $"There is no follow '{which}'; /following lists them by number.");
        return (await follows.RemoveAsync(chatId, target.Id, ct).ConfigureAwait(false) ? 1 : 0, null);
    }

    public Task<IReadOnlyList<Follow>> ListAsync(long chatId, CancellationToken ct = default) => follows.ListAsync(chatId, ct);

    /// <summary>Sends every update that is due; returns how many were sent.</summary>
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        int sent = 0;
        foreach (var follow in await follows.ListAsync(null, ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (await UpdateAsync(follow, ct).ConfigureAwait(false)) sent++;
            }
            catch (ChatUnreachableException ex)
            {
                logger.LogWarning("Chat {Chat} cannot be reached ({Reason}); its follows are removed", follow.ChatId, ex.Message);
                await follows.RemoveAllAsync(follow.ChatId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Update of follow {Follow} for chat {Chat} failed; it will be tried again", follow.Id, follow.ChatId);
            }
        }
        return sent;
    }

    async Task<bool> UpdateAsync(Follow follow, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var story = await CurrentStoryAsync(follow, ct).ConfigureAwait(false);
        if (story is null)
            return await ExpireIfQuietAsync(follow, now, ct).ConfigureAwait(false);
        var known = await follows.GetKnownArticlesAsync(follow.Id, ct).ConfigureAwait(false);
        var fresh = story.Articles.Where(a => !known.Contains(a.Id)).ToList();
        if (fresh.Count == 0)
            return await ExpireIfQuietAsync(follow, now, ct).ConfigureAwait(false);
        if (follow.LastUpdateAt is { } last && now - last < options.MinUpdateInterval)
            return false; // batched into the next update
        var records = (await articles.GetArticlesAsync(fresh.Select(a => a.Id).ToList(), ct).ConfigureAwait(false)).ToDictionary(a => a.Id);
        fresh = fresh.Where(a => records.ContainsKey(a.Id)).OrderBy(a => a.Published ?? records[a.Id].IngestedAt).ToList();
        var passing = fresh.Where(a => follow.Filter.Matches(string.Join('\n', a.Title, a.Outlet, a.Url,
            string.Join(' ', LeadSentences.Of(records[a.Id].Body, a.Title, LeadsPerArticle))))).ToList();
        var sentences = NewSentences(passing, records, await follows.GetKnownSentencesAsync(follow.Id, ct).ConfigureAwait(false));
        var ids = fresh.Select(a => a.Id).ToList();
        if (passing.Count == 0)
        {
            // Filtered out: remembered as known so they are not looked at again, but nothing is sent.
            await follows.TryRecordUpdateAsync(follow.Id, ids, [], sentAt: null, activityAt: now, ct).ConfigureAwait(false);
            return false;
        }
        var told = sentences.Select(s => s.Sentence).ToList();
        var update = new FollowUpdate
        {
            Follow = follow,
            StoryId = story.Id,
            Headline = story.Title,
            NewSentences = sentences.Select(s => $"{s.Sentence} [{passing.IndexOf(s.Article) + 1}]").ToList(),
            Articles = passing,
            Outlets = passing.Select(a => a.Outlet).OfType<string>().Where(o => o.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
        };
        // Recorded by the channel right before the request leaves (see DigestScheduler for the one residual window:
        // a crash between the record's commit and Telegram receiving the request loses the update, never repeats it).
        bool recorded = false;
        async Task<bool> RecordAsync(CancellationToken _) => recorded =
            await follows.TryRecordUpdateAsync(follow.Id, ids, told, sentAt: now, activityAt: now, CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (!await notifier.NotifyOnceAsync(follow.ChatId, new FollowUpdateNotification(update), RecordAsync, ct).ConfigureAwait(false))
                return false; // another worker recorded it first: nothing was sent
        }
        catch (Exception ex) when (recorded && ex is not ChatUnreachableException and not OperationCanceledException)
        {
            await follows.UndoUpdateAsync(follow.Id, ids, told, follow.LastUpdateAt, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        logger.LogInformation("Sent chat {Chat} an update of story {Story}: {Articles} new articles", follow.ChatId, story.Id, passing.Count);
        return true;
    }

    /// <summary>The followed story (a merged story's survivor), or for a topic the new story that now matches it.</summary>
    async Task<Story?> CurrentStoryAsync(Follow follow, CancellationToken ct)
    {
        Story? story = null;
        if (follow.StoryId is { } id)
        {
            story = await stories.GetStoryAsync(id, ct).ConfigureAwait(false);
            if (story is null)
            {
                // merged away: the survivor holds the articles the chat already knows
                foreach (var known in await follows.GetKnownArticlesAsync(follow.Id, ct).ConfigureAwait(false))
                    if ((story = await stories.GetStoryOfArticleAsync(known, ct).ConfigureAwait(false)) is not null) break;
            }
        }
        else
        {
            story = await matcher.MatchAsync(follow.Topic, follow.CreatedAt, ct).ConfigureAwait(false);
        }
        if (story is not null && story.Id != follow.StoryId)
            await follows.SetStoryAsync(follow.Id, story.Id, story.Title, follow.LastActivityAt, ct).ConfigureAwait(false);
        return story;
    }

    async Task<bool> ExpireIfQuietAsync(Follow follow, DateTimeOffset now, CancellationToken ct)
    {
        if (now - follow.LastActivityAt < options.ExpireAfter) return false;
        if (!await follows.RemoveAsync(follow.ChatId, follow.Id, ct).ConfigureAwait(false)) return false;
        var days = (int)Math.Round(options.ExpireAfter.TotalDays);
        await notifier.NotifyAsync(follow.ChatId, new FollowEndedNotification(follow, $"nothing new for {days} days"), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Leads of the new articles that say something the chat was not sent (nor another new article says), up to the limit.</summary>
    List<(string Sentence, ArticleRef Article)> NewSentences(IReadOnlyList<ArticleRef> fresh, Dictionary<string, ArticleRecord> records, IReadOnlyList<string> known)
    {
        var told = known.ToList();
        var result = new List<(string, ArticleRef)>();
        foreach (var a in fresh)
        {
            foreach (var s in LeadSentences.Of(records[a.Id].Body, a.Title, LeadsPerArticle))
            {
                if (told.Any(t => Similarity.Jaccard(t, s) >= Similarity.NearIdentical)) continue;
                told.Add(s);
                result.Add((s, a));
                if (result.Count >= options.MaxSentences) return result;
            }
        }
        return result;
    }
}
