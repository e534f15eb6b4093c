using Microsoft.Extensions.Logging;
using NewsBot.Core.Retrieval;

namespace NewsBot.Core.Stories;

/// <summary>
/// The assigner's incremental paths: an article that joins a held story, or bridges held stories, changes the
/// joined story's profile, headline and outlet count by what it adds, and they come out bit for bit what
/// <see cref="State"/> computes from all the members. A story's sum adds its members in order (time, then id) from
/// zero: where articles go in at position p, the sum is the sum of the first p members (kept at every
/// <see cref="CheckpointEvery"/> members, <see cref="PrefixSum"/>) plus the vectors from p on, in order. The catch-up
/// of a large store goes forward in time, so p is near the end: the cost does not grow with the story.
/// </summary>
public sealed partial class StoryAssigner
{
    internal const int CheckpointEvery = 256;

    /// <summary>
    /// The article joins a held story no earlier than its newest member: the story's profile, headline and outlet
    /// count follow from the held ones and this article, and are bit for bit what <see cref="State"/> computes from
    /// all the members. The sum adds the members in order (time, then id); the article goes after every member of an
    /// earlier time, so the sum is the one of those members plus the vectors of the newest time's members, itself
    /// among them (the bench's articles are stamped by the hour: tens share a time, and arrive by sequence, not id).
    /// The headline is elected among the first <see cref="StoryOptions.TitleCandidates"/> members, which the article
    /// is not once there are that many before it. Costs the same for a story of 10 or 18,000 articles.
    /// </summary>
    void Append(ActiveStories.Entry held, ArticleFeatures article)
    {
        var members = held.Members!;
        EnsureSummed(held);
        // The held profile is extended in place, not copied: a story of the synthetic 1M bench names 18,000 numbers,
        // and copying them for each article that joins made the catch-up quadratic again. An earlier update of the
        // same batch that holds this profile is therefore written with the later sum; SaveAsync writes a story's
        // record once a batch, at its last upsert, and the batch is one transaction, so what is stored is the same.
        var profile = held.Profile;
        int count = members.Count, at;
        var newest = members[^1].Time;
        int tieStart = count;
        while (tieStart > 0 && members[tieStart - 1].Time == newest) tieStart--;
        if (article.Time > newest)
        {
            held.SumBefore = (float[])profile.Sum.Clone(); // every member is now of an earlier time
            members.Add(article);
            at = count;
            profile.Add(article);
        }
        else
        {
            held.SumBefore ??= PrefixSum(held, tieStart, profile.Sum.Length);
            at = tieStart;
            while (at < count && string.CompareOrdinal(members[at].ArticleId, article.ArticleId) < 0) at++;
            members.Insert(at, article);
            Truncate(held, at);
            profile.Add([article], held.SumBefore, members.Skip(tieStart));
        }
        int k = clusterer.Options.TitleCandidates;
        var title = count >= k && at >= k && held.Title is { } kept
            ? kept
            : StoryClusterer.Representative(members.GetRange(0, Math.Min(k, members.Count))).Title;
        var outlets = held.Outlets ??= new HashSet<string>(members.Select(m => m.Outlet).OfType<string>(), StringComparer.OrdinalIgnoreCase);
        if (article.Outlet is { } outlet) outlets.Add(outlet);
        _active.StageExtended(held, new StoryUpdate { Article = article, Upserts = [new StoryState(profile, title, outlets.Count, [article.ArticleId])] });
    }

    /// <summary>
    /// <see cref="Append"/> for a story whose members were let go (<see cref="ActiveStories.ReleaseMembers"/>), with an
    /// article no earlier than its newest member, joining past the headline election's candidates: what Append reads of
    /// the members is the sum before the newest time and the members of that time, which are kept, so the story comes
    /// out bit for bit the same. A worker's articles are the newest, and a feed's batch often shares one time.
    /// </summary>
    void AppendReleased(ActiveStories.Entry held, ActiveStories.ReleasedShape shape, ArticleFeatures article)
    {
        var profile = held.Profile;
        var newest = shape.Newest;
        if (article.Time > newest[^1].Time)
        {
            held.SumBefore = (float[])profile.Sum.Clone(); // every member is now of an earlier time
            newest.Clear();
            newest.Add(article);
            profile.Add(article);
        }
        else
        {
            int at = 0;
            while (at < newest.Count && string.CompareOrdinal(newest[at].ArticleId, article.ArticleId) < 0) at++;
            newest.Insert(at, article);
            profile.Add([article], held.SumBefore!, newest);
        }
        shape.Count++;
        var outlets = held.Outlets!;
        if (article.Outlet is { } outlet) outlets.Add(outlet);
        _active.StageExtended(held, new StoryUpdate { Article = article, Upserts = [new StoryState(profile, held.Title!, outlets.Count, [article.ArticleId])] });
    }

    /// <summary>
    /// An article that joins a story whose members were let go, earlier than its newest member (a feed's late item; a
    /// poll lists its newest entries first), past the headline election's candidates: the sum is the kept sum of the
    /// members before the last checkpoint before the article plus the vectors from there on, the article among them,
    /// so only those members are read, and the story comes out bit for bit what <see cref="State"/> computes from all
    /// of them. Reading all of a 34,000-member story for each such article took a two-hour worker at 1M over its memory
    /// target for a poll whose 13 older items joined large stories (BENCHMARKS.md "Two hours at the final code").
    /// False when it cannot (a small story, an article among the first members, a store other than the one held): the
    /// caller reads all the members then.
    /// </summary>
    async Task<bool> InsertReleasedAsync(ActiveStories.Entry held, ActiveStories.ReleasedShape shape, ArticleFeatures article, CancellationToken ct)
    {
        var checkpoints = shape.Checkpoints;
        int c = checkpoints.Count - 1;
        while (c >= 0 && Compare(checkpoints[c].Time, checkpoints[c].ArticleId, article) >= 0) c--;
        if (c < 0 || checkpoints[c].Before < clusterer.Options.TitleCandidates) return false;
        var from = checkpoints[c];
        var tail = await _active.MembersFromAsync(held.Profile.Id, from.Time, from.ArticleId, ct).ConfigureAwait(false);
        // the store holds what was let go: as many members from that one on, ending with the newest time's
        int newest = shape.Newest.Count;
        if (tail.Count != shape.Count - from.Before || tail.Count <= newest || tail[0].ArticleId != from.ArticleId
            || tail[^newest].ArticleId != shape.Newest[0].ArticleId || tail[^1].ArticleId != shape.Newest[^1].ArticleId) return false;
        int q = 1;
        while (q < tail.Count && Compare(tail[q], article) < 0) q++;
        tail.Insert(q, article);

        // the sums past the article's place, and the one before the newest time, are taken again in the same order
        int tieStart = shape.Count + 1 - newest;
        var kept = checkpoints.GetRange(0, c + 1);
        var sum = (float[])from.Sum.Clone();
        float[]? sumBefore = null;
        for (int j = 0; j < tail.Count; j++)
        {
            int at = from.Before + j;
            if (j > 0 && at % CheckpointEvery == 0) kept.Add(new ActiveStories.Checkpoint(at, (float[])sum.Clone(), tail[j].Time, tail[j].ArticleId));
            if (at == tieStart) sumBefore = (float[])sum.Clone();
            AddVectors(sum, tail, j, 1);
        }
        held.Profile.Add([article], sum, []); // the sum just taken, in the same order: not added up a second time
        checkpoints.Clear();
        checkpoints.AddRange(kept);
        shape.Count++;
        held.SumBefore = sumBefore;
        var outlets = held.Outlets!;
        if (article.Outlet is { } outlet) outlets.Add(outlet);
        _active.StageExtended(held, new StoryUpdate { Article = article, Upserts = [new StoryState(held.Profile, held.Title!, outlets.Count, [article.ArticleId])] });
        logger.LogDebug("Article {ArticleId} joined story {StoryId} before its newest member: {Read} of {Count} members read", article.ArticleId, held.Profile.Id, tail.Count - 1, shape.Count);
        return true;
    }

    /// <summary>The stories an article bridges, the one it joins first, when all are held with vectors like its own; otherwise null.</summary>
    async Task<List<ActiveStories.Entry>?> HeldForMergeAsync(string into, IReadOnlyList<string> merged, ArticleFeatures article, CancellationToken ct)
    {
        var list = new List<ActiveStories.Entry>(merged.Count + 1);
        foreach (var id in merged.Prepend(into))
        {
            if (await _active.HeldAsync(id, ct).ConfigureAwait(false) is not { Members.Count: > 0 } e
                || e.Members.Any(m => m.Vector.Length != article.Vector.Length)) return null;
            list.Add(e);
        }
        return article.Vector.Length > 0 ? list : null;
    }

    /// <summary>
    /// The article joins <paramref name="held"/> and the <paramref name="merged"/> stories fold into it: their members
    /// and the article go into its members in order, and the sum is taken again from the first place one goes in.
    /// </summary>
    void Merge(ActiveStories.Entry held, ArticleFeatures article, List<ActiveStories.Entry> merged, IReadOnlyList<string> mergedIds)
    {
        EnsureSummed(held);
        var members = held.Members!;
        var inserted = Ordered(merged.SelectMany(m => m.Members!).Append(article));
        int count = members.Count, p = count;
        while (p > 0 && Compare(members[p - 1], inserted[0]) > 0) p--;
        var prefix = PrefixSum(held, p, held.Profile.Sum.Length);
        var tail = new List<ArticleFeatures>(count - p + inserted.Count);
        for (int i = p, j = 0; i < count || j < inserted.Count;)
            tail.Add(j >= inserted.Count || (i < count && Compare(members[i], inserted[j]) < 0) ? members[i++] : inserted[j++]);
        members.RemoveRange(p, count - p);
        members.AddRange(tail);
        Truncate(held, p);
        held.SumBefore = null;
        var profile = held.Profile;
        profile.Add(inserted, prefix, tail);
        int k = clusterer.Options.TitleCandidates;
        var title = count >= k && p >= k && held.Title is { } kept
            ? kept
            : StoryClusterer.Representative(members.GetRange(0, Math.Min(k, members.Count))).Title;
        var outlets = held.Outlets ??= new HashSet<string>(members.Select(m => m.Outlet).OfType<string>(), StringComparer.OrdinalIgnoreCase);
        foreach (var m in inserted)
            if (m.Outlet is { } outlet) outlets.Add(outlet);
        _active.StageExtended(held, new StoryUpdate
        {
            Article = article,
            Upserts = [new StoryState(profile, title, outlets.Count, [.. inserted.Select(m => m.ArticleId)])],
            Deleted = [.. mergedIds],
        });
    }

    /// <summary>A profile read from the store is summed once from the members, as State sums them (an earlier release may have summed them in another order).</summary>
    static void EnsureSummed(ActiveStories.Entry held)
    {
        if (held.Summed) return;
        held.Profile = StoryProfile.FromMembers(held.Profile.Id, held.Members!);
        held.SumBefore = null;
        held.Checkpoints = null;
        held.Summed = true;
    }

    /// <summary>
    /// The sum of the first <paramref name="count"/> members' vectors, added in order from zero as
    /// <see cref="StoryProfile.FromMembers"/> adds them; from the last kept sum of a multiple of
    /// <see cref="CheckpointEvery"/> members, keeping those it passes.
    /// </summary>
    internal static float[] PrefixSum(ActiveStories.Entry held, int count, int dimensions)
    {
        var members = held.Members!;
        var checkpoints = held.Checkpoints ??= [new float[dimensions]];
        while ((checkpoints.Count - 1) * CheckpointEvery + CheckpointEvery <= count)
        {
            var next = (float[])checkpoints[^1].Clone();
            AddVectors(next, members, (checkpoints.Count - 1) * CheckpointEvery, CheckpointEvery);
            checkpoints.Add(next);
        }
        int from = count / CheckpointEvery * CheckpointEvery;
        var sum = (float[])checkpoints[count / CheckpointEvery].Clone();
        AddVectors(sum, members, from, count - from);
        return sum;
    }

    static void AddVectors(float[] sum, List<ArticleFeatures> members, int from, int count)
    {
        for (int j = from; j < from + count; j++)
        {
            var v = members[j].Vector;
            if (v.Length == sum.Length)
                for (int i = 0; i < sum.Length; i++) sum[i] += v[i];
        }
    }

    /// <summary>Members changed from position <paramref name="at"/> on: the kept sums past it no longer hold.</summary>
    static void Truncate(ActiveStories.Entry held, int at)
    {
        if (held.Checkpoints is { } c && c.Count > at / CheckpointEvery + 1) c.RemoveRange(at / CheckpointEvery + 1, c.Count - at / CheckpointEvery - 1);
    }

    static int Compare(DateTimeOffset time, string articleId, ArticleFeatures b)
        => time != b.Time ? time.CompareTo(b.Time) : string.CompareOrdinal(articleId, b.ArticleId);

    /// <summary>The order of a story's members: time, then id.</summary>
    static int Compare(ArticleFeatures a, ArticleFeatures b) => Compare(a.Time, a.ArticleId, b);
}
