using Microsoft.Extensions.Logging;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Core.Stories;

/// <summary>
/// Runs the <see cref="StoryClusterer"/> against the stored story profiles and writes each decision in one
/// transaction. Assignments are serialised within the process (one writer, as with ingestion itself).
/// </summary>
public sealed partial class StoryAssigner(IStoryRepository repository, StoryClusterer clusterer, Embedder embedder, Chunker chunker, ILogger<StoryAssigner> logger) : IStoryAssigner
{
    /// <summary>A catch-up's pages between two compacting collections of the heap.</summary>
    const int CollectEveryPages = 16;

    /// <summary>Assignments of the catch-up (and of a rebuild) written per transaction.</summary>
    const int BatchSize = 256;

    readonly SemaphoreSlim _gate = new(1, 1);
    readonly ActiveStories _active = new(repository, TimeSpan.FromDays(clusterer.Options.ActiveDays));
    bool _modelChecked;

    /// <summary>
    /// Whether an article that joins a story as its newest member is added to the held profile (the same sum: a
    /// profile sums its members in time order) instead of the story being recomputed from all its members. Off only
    /// in tests, which compare both.
    /// </summary>
    internal bool Incremental { get; init; } = true;

    /// <summary>
    /// How many members' features (a 1.5 KB vector, names, headline each) the assigner keeps between assignments; the
    /// largest stories' go first (<see cref="ActiveStories.ReleaseMembers"/>), after each assignment and after each page
    /// of a catch-up. ~4,000 members are ~10 MB; a story of tens of thousands of members (the synthetic 1M store's)
    /// is read again when an assignment needs its members, which one newer than all of them does not.
    /// </summary>
    internal int HeldMembersLimit { get; init; } = 4096;

    /// <summary>
    /// From how many articles a story that an article joins, and whose members nothing has read yet, is summed from its
    /// members streamed rather than read whole (<see cref="ActiveStories.StreamReleasedAsync"/>); smaller ones are read
    /// and held (a merge needs them).
    /// </summary>
    internal int StreamMembersFrom { get; init; } = 1024;

    /// <summary>How many members' features are held now (tests).</summary>
    internal int HeldMembers => _active.HeldMembers;

    public async Task AssignAsync(ArticleRecord article, float[]? leadVector, string? replacesArticleId = null, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureModelAsync(ct).ConfigureAwait(false);
            await _active.CheckVersionAsync(ct).ConfigureAwait(false);
            var vector = leadVector ?? await EmbedLeadAsync(article, ct).ConfigureAwait(false);
            await AssignCoreAsync(StoryFeatureExtractor.Extract(article, vector), replacesArticleId, knownWithoutStory: false, ct).ConfigureAwait(false);
            await _active.FlushAsync(ct).ConfigureAwait(false);
            _active.ReleaseMembers(HeldMembersLimit);
        }
        catch
        {
            _active.Invalidate(); // what it holds may include a write that never reached the store
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<int> AssignPendingAsync(CancellationToken ct = default)
    {
        int assigned = 0, pages = 0;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureModelAsync(ct).ConfigureAwait(false);
            while (true)
            {
                // the articles without a story, oldest first, listed once (articles added meanwhile: the next round)
                var pending = await repository.ListUnassignedAsync(ct).ConfigureAwait(false);
                if (pending.Count == 0) break;
                for (int from = 0; from < pending.Count; from += BatchSize)
                {
                    await _active.CheckVersionAsync(ct).ConfigureAwait(false);
                    var keys = new List<long>(BatchSize);
                    for (int i = from; i < Math.Min(pending.Count, from + BatchSize); i++) keys.Add(pending[i]);
                    // read after the previous page is stored; an article another process assigned meanwhile is left out
                    var page = await repository.ReadUnassignedAsync(embedder.Profile.Model, keys, ct).ConfigureAwait(false);
                    foreach (var u in page)
                    {
                        var features = u.Stored is { Vector.Length: > 0 } stored
                            ? stored
                            : StoryFeatureExtractor.Extract(u.Article, u.FirstChunkVector ?? await EmbedLeadAsync(u.Article, ct).ConfigureAwait(false));
                        await AssignCoreAsync(features, null, knownWithoutStory: true, ct).ConfigureAwait(false);
                        assigned++;
                    }
                    // the page's assignments in one transaction
                    await _active.FlushAsync(ct).ConfigureAwait(false);
                    // and the members it holds bounded as after any assignment: the catch-up goes oldest first, so the
                    // next page's articles are newer than every member and join a story by its summed state alone (a
                    // worker catching up a 1M store's 200,385 articles held every member it touched: 2.3 GB, BENCHMARKS.md
                    // "The worker's own catch-up")
                    _active.ReleaseMembers(HeldMembersLimit);
                    // a long catch-up's garbage (pages read, members read again for a merge) otherwise piles up between the
                    // runtime's own full collections, which it spaces by the machine's memory: in a worker beside a 1M index
                    // that took it to 1,478 MiB; a compacting collection every 16 pages (4,096 articles) kept it at 1,362
                    // MiB, the catch-up of 200,385 articles taking 96 s instead of 88 (BENCHMARKS.md, "The worker's own
                    // catch-up"). Not the decommitting one of ManagedHeap: the next pages would only commit it again.
                    if (++pages % CollectEveryPages == 0) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                }
            }
            // A catch-up of a large store leaves the stories of its last days held, members and vectors: on the 1M
            // bench's store ~400 MB (a synthetic story of 146,000 articles) that the rest of an ingest or the
            // worker's life would carry. They are let go; the next assignment reads the stories around its own time.
            if (assigned >= BatchSize) _active.Invalidate();
            else _active.ReleaseMembers(HeldMembersLimit);
        }
        catch
        {
            _active.Invalidate();
            throw;
        }
        finally
        {
            _gate.Release();
        }
        if (assigned > 0) logger.LogInformation("Assigned {Count} articles to stories", assigned);
        return assigned;
    }

    public async Task<int> RebuildAsync(IProgress<int>? progress = null, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _active.Invalidate();
            var model = await repository.GetVectorModelAsync(ct).ConfigureAwait(false);
            await repository.ResetAsync(dropVectors: model is not null && model != embedder.Profile.Model, ct).ConfigureAwait(false);
            await repository.SetVectorModelAsync(embedder.Profile.Model, ct).ConfigureAwait(false);
            _modelChecked = true;
        }
        finally
        {
            _gate.Release();
        }
        return await AssignPendingAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Vectors of another model cannot be compared with this one's: the stories are rebuilt from scratch then.</summary>
    async Task EnsureModelAsync(CancellationToken ct)
    {
        if (_modelChecked) return;
        var model = await repository.GetVectorModelAsync(ct).ConfigureAwait(false);
        if (model != embedder.Profile.Model)
        {
            if (model is not null)
            {
                logger.LogWarning("Story vectors were made by {Old}; clustering again with {New}", model, embedder.Profile.Model);
                _active.Invalidate();
                await repository.ResetAsync(dropVectors: true, ct).ConfigureAwait(false);
            }
            await repository.SetVectorModelAsync(embedder.Profile.Model, ct).ConfigureAwait(false);
        }
        _modelChecked = true;
    }

    /// <summary>The same vector ingestion makes for the first chunk: the title, then the first passage.</summary>
    async Task<float[]> EmbedLeadAsync(ArticleRecord article, CancellationToken ct)
    {
        var paragraphs = article.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var first = paragraphs.Length == 0 ? "" : chunker.Chunk(paragraphs).FirstOrDefault()?.Text ?? paragraphs[0];
        var vectors = await embedder.EmbedPassagesAsync([IngestionPipeline.EmbeddingText(article.Article.Title, first)], ct).ConfigureAwait(false);
        return vectors[0];
    }

    /// <summary>
    /// Decides an article's story against the stories held in memory and stages the write. Every read here is from
    /// memory except, for an article not held, its own stored membership and the check that its story id is free.
    /// <paramref name="knownWithoutStory"/>: the caller read the article as having no story (the catch-up), so its
    /// membership is not read again.
    /// </summary>
    async Task AssignCoreAsync(ArticleFeatures article, string? replacesArticleId, bool knownWithoutStory, CancellationToken ct)
    {
        // times as the store keeps them (milliseconds), so that a profile held in memory equals one read back
        article = article with { Time = DateTimeOffset.FromUnixTimeMilliseconds(article.Time.ToUnixTimeMilliseconds()) };
        var window = TimeSpan.FromDays(clusterer.Options.ActiveDays);
        var candidates = await _active.CandidatesAsync(article.Time - window, article.Time + window, ct).ConfigureAwait(false);
        // an updated article competes without its own old contribution (and that of the article it replaces)
        string? previousStory = null, oldOfReplaced = null;
        foreach (var id in new[] { knownWithoutStory ? null : article.ArticleId, replacesArticleId }.OfType<string>().Distinct())
        {
            if (await _active.MembershipAsync(id, ct).ConfigureAwait(false) is not { StoryId: { } storyId } m) continue;
            if (id == article.ArticleId) previousStory = storyId;
            else oldOfReplaced = storyId;
            int at = candidates.FindIndex(c => c.Id == storyId);
            if (at < 0) continue;
            var own = candidates[at].Clone(); // the held profile stays as stored
            own.Remove(m.Features);
            if (own.Count <= 0) candidates.RemoveAt(at);
            else candidates[at] = own;
        }

        var decision = clusterer.Decide(article, candidates);
        // the story a new article joins alone (no merge) by extending it, on the incremental paths below
        var extends = Incremental && decision is { JoinStoryId: { } joins, Merge.Count: 0 } && previousStory is null && replacesArticleId is null
            && article.Vector.Length > 0 ? joins : null;
        // a large story joined for the first time since it was loaded is summed from its members streamed, not held
        if (extends is not null && await _active.StreamReleasedAsync(extends, clusterer.Options.TitleCandidates, StreamMembersFrom, ct).ConfigureAwait(false))
            logger.LogDebug("Story {StoryId} summed from its members streamed, none held", extends);
        if (extends is not null && _active.Released(extends) is { Released: { } shape } released && shape.FirstVectorLength == article.Vector.Length)
        {
            if (article.Time >= shape.Newest[^1].Time && shape.Count >= 2 && shape.Count - shape.Newest.Count >= clusterer.Options.TitleCandidates
                && released.Title is not null && released.SumBefore is not null)
            {
                AppendReleased(released, shape, article);
                return;
            }
            if (article.Time < shape.Newest[^1].Time && released is { Title: not null, Outlets: not null }
                && await InsertReleasedAsync(released, shape, article, ct).ConfigureAwait(false))
                return;
        }
        if (extends is not null && await _active.HeldAsync(extends, ct).ConfigureAwait(false) is { Members: [var first, .., var newest] } held
            && article.Time >= newest.Time && first.Vector.Length == article.Vector.Length)
        {
            Append(held, article);
            return;
        }
        if (Incremental && decision is { JoinStoryId: { } into, Merge.Count: > 0 } && previousStory is null && replacesArticleId is null
            && await HeldForMergeAsync(into, decision.Merge, article, ct).ConfigureAwait(false) is { } stories)
        {
            logger.LogInformation("Article {ArticleId} bridges stories {Target} and {Merged}: merged", article.ArticleId, into, string.Join(", ", decision.Merge));
            Merge(stories[0], article, stories.GetRange(1, stories.Count - 1), decision.Merge);
            return;
        }
        var target = decision.JoinStoryId ?? await FreeStoryIdAsync(article.ArticleId, ct).ConfigureAwait(false);
        var members = new Dictionary<string, ArticleFeatures>(StringComparer.Ordinal);
        var joined = new HashSet<string>(StringComparer.Ordinal) { article.ArticleId };
        if (decision.JoinStoryId is not null)
            foreach (var m in await _active.MembersAsync(target, ct).ConfigureAwait(false)) members[m.ArticleId] = m;
        if (members.Count >= StreamMembersFrom) // what the paths above are for; seen in the worker's debug log
            logger.LogDebug("Story {StoryId} recomputed from all its {Count} members for article {ArticleId}", target, members.Count, article.ArticleId);
        foreach (var merged in decision.Merge)
            foreach (var m in await _active.MembersAsync(merged, ct).ConfigureAwait(false))
            {
                members[m.ArticleId] = m;
                joined.Add(m.ArticleId);
            }
        if (replacesArticleId is not null)
        {
            members.Remove(replacesArticleId);
            joined.Remove(replacesArticleId);
        }
        members[article.ArticleId] = article;

        // members in a fixed order (time, then id), so that a profile's sum is the same however it was reached
        var upserts = new List<(string Id, List<ArticleFeatures> Members, IReadOnlyList<string> Joined)> { (target, Ordered(members.Values), [.. joined]) };
        var deleted = new List<string>(decision.Merge);
        // the stories the article (or the one it replaces) left keep their other articles, or go
        foreach (var left in new[] { previousStory, oldOfReplaced }.OfType<string>().Distinct())
        {
            if (left == target || decision.Merge.Contains(left)) continue;
            var rest = (await _active.MembersAsync(left, ct).ConfigureAwait(false))
                .Where(m => m.ArticleId != article.ArticleId && m.ArticleId != replacesArticleId).ToList();
            if (rest.Count == 0) deleted.Add(left);
            else upserts.Add((left, Ordered(rest), []));
        }
        if (decision.Merge.Count > 0)
            logger.LogInformation("Article {ArticleId} bridges stories {Target} and {Merged}: merged", article.ArticleId, target, string.Join(", ", decision.Merge));
        _active.Stage(new StoryUpdate
        {
            Article = article,
            RemovedArticleId = replacesArticleId != article.ArticleId ? replacesArticleId : null,
            Upserts = [.. upserts.Select(u => State(u.Id, u.Members, u.Joined))],
            Deleted = deleted,
        }, [.. upserts.Select(u => u.Members)]);
    }

    internal static List<ArticleFeatures> Ordered(IEnumerable<ArticleFeatures> members)
        => [.. members.OrderBy(m => m.Time).ThenBy(m => m.ArticleId, StringComparer.Ordinal)];

    StoryState State(string id, List<ArticleFeatures> members, IReadOnlyList<string> joined)
    {
        var profile = StoryProfile.FromMembers(id, members);
        var sample = members.Count <= clusterer.Options.TitleCandidates ? members : [.. members.OrderBy(m => m.Time).Take(clusterer.Options.TitleCandidates)];
        var title = StoryClusterer.Representative(sample).Title;
        var outlets = members.Select(m => m.Outlet).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Count();
        return new StoryState(profile, title, outlets, joined);
    }

    /// <summary>A story is named after the article that opened it, so that a rebuild gives the same stories the same ids.</summary>
    public static string NewStoryId(string openingArticleId, int attempt = 0)
        => "s" + Hashing.Sha256Hex(attempt == 0 ? "story:" + openingArticleId : $"story:{openingArticleId}#{attempt}")[..12];

    /// <summary>The opening article's story id, or a variant when a story of that name still exists (the article left it).</summary>
    async Task<string> FreeStoryIdAsync(string articleId, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            var id = NewStoryId(articleId, attempt);
            if ((await _active.MembersAsync(id, ct).ConfigureAwait(false)).All(m => m.ArticleId == articleId)) return id;
        }
    }
}
