namespace NewsBot.Core.Stories;

/// <summary>
/// The stories an assigner compares articles with, held in memory so that an assignment reads no profile from the
/// store: every story whose span meets a loaded time range (its profile as stored, and its members' features once
/// read), loaded once per range and kept current by applying each of the assigner's own writes. Writes can wait
/// in a batch (<see cref="Stage"/>) and go to the store in one transaction (<see cref="FlushAsync"/>); meanwhile
/// reads of memberships and members answer from the staged state. The set is valid while the store's stories
/// version is the one it last wrote or read: a write by another process, or a reset, changes the version and the
/// set is loaded again. Not thread-safe: the assigner serialises its use.
/// </summary>
internal sealed class ActiveStories(IStoryRepository repository, TimeSpan window)
{
    public sealed class Entry(StoryProfile profile, List<ArticleFeatures>? members, string? title)
    {
        public StoryProfile Profile { get; set; } = profile;
        /// <summary>In time order, then by id (<see cref="StoryAssigner.Ordered"/>); null until first needed (read from the store then).</summary>
        public List<ArticleFeatures>? Members { get; set; } = members;
        /// <summary>The headline as last elected here; null when not known yet.</summary>
        public string? Title { get; set; } = title;
        /// <summary>The members' distinct outlets, once counted.</summary>
        public HashSet<string>? Outlets { get; set; }
        /// <summary>
        /// Whether <see cref="Profile"/> was summed here from <see cref="Members"/> in their order (a profile read from
        /// the store may have been summed in another order by an earlier release: its last bits can differ).
        /// </summary>
        public bool Summed { get; set; }
        /// <summary>With <see cref="Summed"/>: the sum of the members of a time earlier than the newest member's, once needed.</summary>
        public float[]? SumBefore { get; set; }
        /// <summary>With <see cref="Summed"/>: the sums of the first 0, 256, 512… members (see <see cref="StoryAssigner"/>'s PrefixSum), as far as needed.</summary>
        public List<float[]>? Checkpoints { get; set; }
        /// <summary>
        /// Set when the members were let go (<see cref="ReleaseMembers"/>) while the summed state stayed: what an article
        /// newer than every member needs to join without them (<see cref="StoryAssigner"/>'s AppendReleased). Cleared
        /// when the members are read again.
        /// </summary>
        public ReleasedShape? Released { get; set; }
    }

    /// <summary>
    /// What is kept of a held story's members when they are let go: their count, the members of the newest time (in
    /// order; an article of that time goes in among them), the first member's vector length, and the kept sums of the
    /// first 256, 512… members with the member each stops before (an earlier article reads the members from the last
    /// such place before its own on, not all of them: StoryAssigner's InsertReleasedAsync).
    /// </summary>
    public sealed class ReleasedShape(int count, List<ArticleFeatures> newest, int firstVectorLength, List<Checkpoint> checkpoints)
    {
        public int Count { get; set; } = count;
        public List<ArticleFeatures> Newest { get; } = newest;
        public int FirstVectorLength { get; } = firstVectorLength;
        /// <summary>Checkpoints[i]: the sum of the first (i + 1) × 256 members, and that many members' successor.</summary>
        public List<Checkpoint> Checkpoints { get; } = checkpoints;
    }

    /// <summary>The sum of a story's members before the one of <paramref name="Time"/> and <paramref name="ArticleId"/>, which is member number <paramref name="Before"/>.</summary>
    public readonly record struct Checkpoint(int Before, float[] Sum, DateTimeOffset Time, string ArticleId);

    readonly Dictionary<string, Entry> _stories = new(StringComparer.Ordinal);
    /// <summary>Story of each article of a story whose members are in memory.</summary>
    readonly Dictionary<string, string> _storyOf = new(StringComparer.Ordinal);
    DateTimeOffset _from = DateTimeOffset.MaxValue, _to = DateTimeOffset.MinValue;
    string? _version;
    bool _loaded;

    // the staged batch, and what it changes for reads until it is written
    readonly List<StoryUpdate> _staged = [];
    readonly HashSet<string> _stagedDeleted = new(StringComparer.Ordinal);
    readonly HashSet<string> _stagedRemovedArticles = new(StringComparer.Ordinal);
    /// <summary>Whether a story without its members held had an article staged into it since the last write (<see cref="HeldAsync"/> writes first then).</summary>
    bool _stagedIntoReleased;

    public int Staged => _staged.Count;

    /// <summary>How many members' features are held, over all held stories (what <see cref="ReleaseMembers"/> bounds).</summary>
    public int HeldMembers
    {
        get
        {
            int n = 0;
            foreach (var e in _stories.Values) n += e.Members?.Count ?? 0;
            return n;
        }
    }

    /// <summary>Forgets everything held (after a reset, or a failure that may have left staged writes unwritten).</summary>
    public void Invalidate()
    {
        _stories.Clear();
        _storyOf.Clear();
        _staged.Clear();
        _stagedDeleted.Clear();
        _stagedRemovedArticles.Clear();
        _stagedIntoReleased = false;
        _from = DateTimeOffset.MaxValue;
        _to = DateTimeOffset.MinValue;
        _version = null;
        _loaded = false;
    }

    /// <summary>Drops the set when another writer changed the stories since it was loaded (nothing may be staged).</summary>
    public async Task CheckVersionAsync(CancellationToken ct)
    {
        if (!_loaded || _staged.Count > 0) return;
        if (await repository.GetStoriesVersionAsync(ct).ConfigureAwait(false) != _version) Invalidate();
    }

    /// <summary>
    /// The stories whose span meets [<paramref name="from"/>, <paramref name="to"/>], in a fixed order (last seen,
    /// then id). Loads the range, with a window of margin on each side, when the held one does not cover it.
    /// </summary>
    public async Task<List<StoryProfile>> CandidatesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (!_loaded || from < _from || to > _to)
        {
            await FlushAsync(ct).ConfigureAwait(false);
            // Stories held for the previous range that meet the new one are kept as held (members, sums), when no
            // other writer changed the stories since: what they hold is what was just written. A catch-up moves its
            // range every few days of articles, and reading a story of 60,000 members again each time was most of it.
            var version = await repository.GetStoriesVersionAsync(ct).ConfigureAwait(false);
            var held = _loaded && version == _version ? new Dictionary<string, Entry>(_stories, StringComparer.Ordinal) : null;
            Invalidate();
            _version = version;
            (_from, _to) = (from - window, to + window);
            foreach (var p in await repository.GetActiveProfilesAsync(_from, _to, ct).ConfigureAwait(false))
                _stories[p.Id] = held is not null && held.TryGetValue(p.Id, out var kept) ? kept : new Entry(p, null, null);
            foreach (var (id, e) in _stories)
                if (e.Members is { } members)
                    foreach (var m in members) _storyOf[m.ArticleId] = id;
            _loaded = true;
        }
        var list = new List<StoryProfile>();
        foreach (var e in _stories.Values)
            if (e.Profile.Count > 0 && e.Profile.Last >= from && e.Profile.First <= to) list.Add(e.Profile);
        list.Sort((a, b) => a.Last != b.Last ? a.Last.CompareTo(b.Last) : string.CompareOrdinal(a.Id, b.Id));
        return list;
    }

    /// <summary>An article's features and story as the store holds them, staged writes included.</summary>
    public async Task<(ArticleFeatures Features, string? StoryId)?> MembershipAsync(string articleId, CancellationToken ct)
    {
        if (_storyOf.TryGetValue(articleId, out var storyId) && _stories.TryGetValue(storyId, out var e)
            && e.Members?.Find(m => m.ArticleId == articleId) is { } features)
            return (features, storyId);
        if (_stagedRemovedArticles.Contains(articleId)) return null;
        if (_stagedIntoReleased) await FlushAsync(ct).ConfigureAwait(false); // the article may be one of those staged
        return await repository.GetMembershipAsync(articleId, ct).ConfigureAwait(false);
    }

    /// <summary>A story's members (empty when there is no such story), staged writes included.</summary>
    public async Task<IReadOnlyList<ArticleFeatures>> MembersAsync(string storyId, CancellationToken ct)
    {
        if (_stagedDeleted.Contains(storyId)) return [];
        if (await HeldAsync(storyId, ct).ConfigureAwait(false) is { } e) return e.Members!;
        return await repository.GetMembersAsync(storyId, ct).ConfigureAwait(false);
    }

    /// <summary>A held story with its members read (null when it is not held).</summary>
    public async Task<Entry?> HeldAsync(string storyId, CancellationToken ct)
    {
        if (_stagedDeleted.Contains(storyId) || !_stories.TryGetValue(storyId, out var e)) return null;
        if (e.Members is null)
        {
            // an article that joined it while its members were let go is in the staged batch, not yet in the store
            if (_stagedIntoReleased) await FlushAsync(ct).ConfigureAwait(false);
            // kept in the assigner's order, so that the newest member is the last (the catch-up appends there)
            e.Members = StoryAssigner.Ordered(await repository.GetMembersAsync(storyId, ct).ConfigureAwait(false));
            e.Released = null;
            foreach (var m in e.Members) _storyOf[m.ArticleId] = storyId;
        }
        return e;
    }

    /// <summary>
    /// Makes a held story that nothing has read yet (its stored profile only) a summed one whose members are let go
    /// (<see cref="ReleaseMembers"/>'s state) by streaming its members once, in order, keeping only what that state
    /// keeps: the sums, the first <paramref name="titleCandidates"/> members for its headline, the newest time's
    /// members, the outlets. The same values as reading all the members and letting them go, without holding tens of
    /// MB of members at once: a worker at 1M read the two largest stories whole (46,000 members) at their first join
    /// in one poll and rose ~200 MiB for three seconds (BENCHMARKS.md "The worker at 1M"). Only for stories of at least
    /// <paramref name="minimum"/> articles; false when nothing was done (the caller reads the members as before).
    /// </summary>
    public async Task<bool> StreamReleasedAsync(string storyId, int titleCandidates, int minimum, CancellationToken ct)
    {
        if (_stagedDeleted.Contains(storyId) || !_stories.TryGetValue(storyId, out var e)
            || e is not { Members: null, Released: null } || e.Profile.Count < minimum) return false;
        if (_stagedIntoReleased) await FlushAsync(ct).ConfigureAwait(false);
        StoryProfile? profile = null;
        ArticleFeatures? previous = null;
        var first = new List<ArticleFeatures>(titleCandidates);
        var newest = new List<ArticleFeatures>();
        var checkpoints = new List<Checkpoint>();
        var outlets = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        float[] before = [];
        int count = 0;
        bool ordered = true;
        await repository.ForEachMemberAsync(storyId, m =>
        {
            if (!ordered) return;
            if (previous is not null && (m.Time < previous.Time || (m.Time == previous.Time && string.CompareOrdinal(m.ArticleId, previous.ArticleId) <= 0)))
            {
                ordered = false; // not the assigner's order: the caller reads and sorts them
                return;
            }
            // as StoryProfile.FromMembers sums them; the kept sums are its running sum at those places
            profile ??= new StoryProfile(storyId, m.Vector.Length);
            if (before.Length != profile.Sum.Length) before = new float[profile.Sum.Length];
            if (count > 0 && count % StoryAssigner.CheckpointEvery == 0)
                checkpoints.Add(new Checkpoint(count, (float[])profile.Sum.Clone(), m.Time, m.ArticleId));
            if (previous is null || m.Time != previous.Time)
            {
                Array.Copy(profile.Sum, before, before.Length); // the sum before this time's members
                newest = [];
            }
            newest.Add(m);
            if (first.Count < titleCandidates) first.Add(m);
            if (m.Outlet is { } outlet) outlets.Add(outlet);
            profile.Add(m);
            previous = m;
            count++;
        }, ct).ConfigureAwait(false);
        if (!ordered || profile is null || count != e.Profile.Count) return false;
        e.Profile = profile;
        e.Summed = true;
        e.SumBefore = before;
        e.Checkpoints = null;
        e.Outlets = outlets;
        e.Title = StoryClusterer.Representative(first).Title;
        e.Released = new ReleasedShape(count, newest, first[0].Vector.Length, checkpoints);
        return true;
    }

    /// <summary>
    /// A story's stored members from the one of <paramref name="time"/> and <paramref name="articleId"/> on, in order,
    /// staged writes included (they are written first when one went into a story without its members held).
    /// </summary>
    public async Task<List<ArticleFeatures>> MembersFromAsync(string storyId, DateTimeOffset time, string articleId, CancellationToken ct)
    {
        if (_stagedIntoReleased) await FlushAsync(ct).ConfigureAwait(false);
        return StoryAssigner.Ordered(await repository.GetMembersFromAsync(storyId, time, articleId, ct).ConfigureAwait(false));
    }

    /// <summary>A held story whose members were let go with its summed state kept (null otherwise); nothing is read.</summary>
    public Entry? Released(string storyId)
        => !_stagedDeleted.Contains(storyId) && _stories.TryGetValue(storyId, out var e) && e is { Members: null, Released: not null } ? e : null;

    /// <summary>
    /// Lets go of held members, the largest stories' first, until at most <paramref name="limit"/> are held (nothing may
    /// be staged). A worker running for hours otherwise ends up holding every member of every active story it touched:
    /// the synthetic 1M store's active stories have 30,000+ members of 1.5 KB vectors each (BENCHMARKS.md "The worker at
    /// 1M"). Nothing an assignment decides changes: a story's members are read again, the same, when an assignment needs
    /// them, and a summed story keeps its profile, headline, outlets and the sum before its newest time, which is all an
    /// article newer than every member needs to join it.
    /// </summary>
    public void ReleaseMembers(int limit)
    {
        if (_staged.Count > 0) throw new InvalidOperationException("Members are let go only when nothing is staged.");
        int held = HeldMembers;
        if (held <= limit) return;
        var largest = _stories.Values.Where(e => e.Members is { Count: > 0 }).OrderByDescending(e => e.Members!.Count).ThenBy(e => e.Profile.Id, StringComparer.Ordinal).ToList();
        foreach (var e in largest)
        {
            if (held <= limit) break;
            var members = e.Members!;
            held -= members.Count;
            foreach (var m in members) _storyOf.Remove(m.ArticleId);
            if (e.Summed)
            {
                // what Append would compute from the members when the next article comes: the same values, now
                int tieStart = members.Count;
                while (tieStart > 0 && members[tieStart - 1].Time == members[^1].Time) tieStart--;
                // (taken even when the sum before is known: it keeps the prefix sums it passes, which stay below)
                var before = StoryAssigner.PrefixSum(e, tieStart, e.Profile.Sum.Length);
                e.SumBefore ??= before;
                e.Outlets ??= new HashSet<string>(members.Select(m => m.Outlet).OfType<string>(), StringComparer.OrdinalIgnoreCase);
                // the prefix sums just taken stay, named by the member each stops before (~1.5 KB per 256 members)
                var kept = new List<Checkpoint>();
                for (int i = 1; i < e.Checkpoints!.Count; i++)
                    kept.Add(new Checkpoint(i * StoryAssigner.CheckpointEvery, e.Checkpoints[i], members[i * StoryAssigner.CheckpointEvery].Time, members[i * StoryAssigner.CheckpointEvery].ArticleId));
                e.Released = new ReleasedShape(members.Count, members.GetRange(tieStart, members.Count - tieStart), members[0].Vector.Length, kept);
            }
            e.Checkpoints = null; // recomputed from the members, the same, when a prefix sum is needed again
            e.Members = null;
        }
    }

    /// <summary>
    /// Stages an update of one held story whose members (<see cref="Entry.Members"/>, the joining articles added in
    /// their places) and profile the assigner has extended: the members are not copied, and only the joining
    /// articles' memberships are written (the update's one upsert names them alone). Stories it deletes were merged in.
    /// </summary>
    public void StageExtended(Entry story, StoryUpdate update)
    {
        foreach (var id in update.Deleted)
        {
            _stories.Remove(id);
            _stagedDeleted.Add(id);
        }
        var state = update.Upserts[0];
        story.Profile = state.Profile;
        story.Title = state.Title;
        story.Summed = true;
        _stagedDeleted.Remove(state.Profile.Id);
        if (story.Members is null) _stagedIntoReleased = true;
        else foreach (var id in state.Joined) _storyOf[id] = state.Profile.Id;
        _stagedRemovedArticles.Remove(update.Article.ArticleId);
        _staged.Add(update);
    }

    /// <summary>Applies an assignment to the held set and stages its write. <paramref name="members"/>: each upserted story's articles.</summary>
    public void Stage(StoryUpdate update, IReadOnlyList<List<ArticleFeatures>> members)
    {
        if (update.RemovedArticleId is { } removed)
        {
            _storyOf.Remove(removed);
            _stagedRemovedArticles.Add(removed);
        }
        foreach (var id in update.Deleted)
        {
            _stories.Remove(id);
            _stagedDeleted.Add(id);
        }
        for (int i = 0; i < update.Upserts.Count; i++)
        {
            var id = update.Upserts[i].Profile.Id;
            _stories[id] = new Entry(update.Upserts[i].Profile, members[i], update.Upserts[i].Title) { Summed = true };
            _stagedDeleted.Remove(id);
            foreach (var m in members[i]) _storyOf[m.ArticleId] = id;
        }
        _stagedRemovedArticles.Remove(update.Article.ArticleId);
        _staged.Add(update);
    }

    /// <summary>Writes the staged assignments in one transaction.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        if (_staged.Count == 0) return;
        _version = await repository.SaveAsync(_staged, ct).ConfigureAwait(false);
        _staged.Clear();
        _stagedDeleted.Clear();
        _stagedRemovedArticles.Clear();
        _stagedIntoReleased = false;
    }
}
