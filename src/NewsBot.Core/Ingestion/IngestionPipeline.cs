using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;

namespace NewsBot.Core.Ingestion;

/// <summary>
/// Ingestion: source items → identity and de-duplication → chunks → dense and lexical vectors →
/// index and registry. Each article is committed on its own, so an interrupted run leaves whole
/// articles only and a re-run resumes where it stopped (finished articles come back "unchanged").
/// </summary>
public sealed class IngestionPipeline(
    IArticleSource source,
    IArticleStore store,
    IArticleIndex index,
    IFeedStore feeds,
    Embedder embedder,
    Chunker chunker,
    LexicalEncoder lexical,
    IngestionOptions options,
    TimeProvider time,
    ILogger<IngestionPipeline> logger,
    IStoryAssigner? stories = null,
    NewsBot.Core.Retention.RetentionPolicy? retention = null,
    NewsBot.Core.Retention.IRetentionStore? pruned = null)
{
    bool _ready;

    /// <summary>Ingests every input (files, folders, page URLs, feed URLs), yielding one result per article or failure.</summary>
    public async IAsyncEnumerable<IngestItemResult> IngestAsync(IEnumerable<string> inputs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await EnsureIndexReadyAsync(ct).ConfigureAwait(false);
        var batch = new Batch();
        try
        {
            foreach (var input in inputs)
            {
                await foreach (var item in source.ReadAsync(input, ct).ConfigureAwait(false))
                    foreach (var r in await AddAsync(batch, item, ct).ConfigureAwait(false)) yield return r;
            }
            foreach (var r in await FlushAsync(batch, ct).ConfigureAwait(false)) yield return r;
        }
        finally
        {
            await batch.AbandonAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ingests the items of a source enumeration (for example a feed poll).</summary>
    public async IAsyncEnumerable<IngestItemResult> IngestItemsAsync(IAsyncEnumerable<SourceItem> items, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await EnsureIndexReadyAsync(ct).ConfigureAwait(false);
        var batch = new Batch();
        try
        {
            await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
                foreach (var r in await AddAsync(batch, item, ct).ConfigureAwait(false)) yield return r;
            foreach (var r in await FlushAsync(batch, ct).ConfigureAwait(false)) yield return r;
        }
        finally
        {
            await batch.AbandonAsync().ConfigureAwait(false);
        }
    }

    public async Task EnsureIndexReadyAsync(CancellationToken ct)
    {
        if (_ready) return;
        await index.EnsureReadyAsync(new EmbeddingModelInfo(embedder.Profile.Model, embedder.Profile.Dimensions), ct).ConfigureAwait(false);
        // articles committed without a story (a crash between the two, a database from before stories) get one now
        if (stories is not null) await StoryHookAsync(null, () => stories.AssignPendingAsync(ct), ct).ConfigureAwait(false);
        _ready = true;
    }

    /// <summary>Ingests one item on its own (no batching with others).</summary>
    public async Task<IngestItemResult> IngestItemAsync(SourceItem item, CancellationToken ct)
    {
        var batch = new Batch();
        var results = new List<IngestItemResult>(await AddAsync(batch, item, ct).ConfigureAwait(false));
        results.AddRange(await FlushAsync(batch, ct).ConfigureAwait(false));
        return results.Single();
    }

    /// <summary>
    /// Articles whose chunks wait to be embedded together. Embedding the chunks of several articles in one model
    /// batch is about a quarter faster than article by article (news articles have two or three chunks each);
    /// every article is still written in its own transaction, and results come out in input order.
    /// </summary>
    /// <remarks>
    /// A full batch becomes the <see cref="InFlight"/> group: its embedding starts on the model's lanes while this
    /// thread writes the group before it and prepares the next one (extraction results, de-duplication, chunking,
    /// SQLite). So the model never waits for those serial stages, and the next group's first passages fill the
    /// lanes that the last, longest-first passages of a group leave idle (issue 18, BENCHMARKS.md §3.1.1).
    /// </remarks>
    sealed class Batch
    {
        public readonly List<Prepared> Queue = []; // decided results and pending articles, in input order

        /// <summary>The group before <see cref="Queue"/>: being embedded, not yet written.</summary>
        public Group? InFlight;

        public List<Pending> Pending => [.. Queue.Select(q => q.Pending).OfType<Pending>()];

        /// <summary>Every article not written yet, which a new item may repeat: the group in flight's and this batch's.</summary>
        public IEnumerable<Pending> Unwritten => (InFlight?.Pending ?? []).Concat(Pending);

        public int Passages => Pending.Sum(p => p.Chunks.Count);

        /// <summary>When a run ends early (an error, cancellation, the caller stops): lets the embedding in flight finish unobserved.</summary>
        public async Task AbandonAsync()
        {
            if (InFlight is not { } group) return;
            InFlight = null;
            // the run is ending with its own exception, or was abandoned: these vectors are not wanted
            try { await group.Vectors.ConfigureAwait(false); } catch (Exception) { }
        }
    }

    /// <summary>Queued results and articles taken from a batch, with their embedding started.</summary>
    sealed record Group(List<Prepared> Queue, List<Pending> Pending, Task<IReadOnlyList<float[]>?> Vectors);

    sealed record Pending(string Input, ExtractedArticle Article, ArticleRecord Record, string? Replaces, bool Existed, List<TextChunk> Chunks);

    /// <summary>What an item became: a decided <see cref="Result"/>, a <see cref="Pending"/> article, or (neither) a conflict with the batch.</summary>
    readonly record struct Prepared(IngestItemResult? Result, Pending? Pending)
    {
        public bool IsConflict => Result is null && Pending is null;

        public static implicit operator Prepared(IngestItemResult result) => new(result, null);

        public static implicit operator Prepared(Pending pending) => new(null, pending);
    }

    /// <summary>The largest number of passages gathered before the batch is embedded and written.</summary>
    int BatchPassages => Math.Max(1, Math.Min(embedder.Profile.MaxBatch, 32));

    async Task<IReadOnlyList<IngestItemResult>> AddAsync(Batch batch, SourceItem item, CancellationToken ct)
    {
        List<IngestItemResult>? flushed = null;
        var prepared = await PrepareItemAsync(item, batch, ct).ConfigureAwait(false);
        if (prepared.IsConflict)
        {
            // it may repeat or duplicate an article still waiting in the batch: write those first, then decide
            flushed = [.. await FlushAsync(batch, ct).ConfigureAwait(false)];
            prepared = await PrepareItemAsync(item, batch, ct).ConfigureAwait(false);
            if (prepared.IsConflict) throw new InvalidOperationException("An empty batch cannot conflict.");
        }
        if (batch.InFlight is { Vectors.IsCompleted: true } embedded)
        {
            // embedded already: written now rather than when the next group is full (a slow source would hold it back)
            batch.InFlight = null;
            flushed = [.. flushed ?? [], .. await WriteAsync(embedded, ct).ConfigureAwait(false)];
        }
        if (prepared.Result is { } done && batch.Queue.Count == 0)
        {
            // in input order: the group in flight's results go first
            if (batch.InFlight is not null) flushed = [.. flushed ?? [], .. await FlushAsync(batch, ct).ConfigureAwait(false)];
            if (flushed is null) return [done];
            flushed.Add(done);
            return flushed;
        }
        batch.Queue.Add(prepared);
        if (batch.Passages >= BatchPassages)
        {
            // this group's embedding starts; the previous group (embedded meanwhile) is written
            var previous = batch.InFlight;
            batch.InFlight = Start(batch, ct);
            if (previous is not null)
            {
                flushed ??= [];
                flushed.AddRange(await WriteAsync(previous, ct).ConfigureAwait(false));
            }
        }
        return (IReadOnlyList<IngestItemResult>?)flushed ?? [];
    }

    /// <summary>A decided result, a <see cref="Pending"/> article, or a conflict with the batch.</summary>
    async Task<Prepared> PrepareItemAsync(SourceItem item, Batch batch, CancellationToken ct)
    {
        switch (item)
        {
            case FailedItem f:
                logger.LogWarning("Could not ingest {Input}: {Error}", f.Input, f.Error);
                return IngestItemResult.Failed(f.Input, f.Error);
            case ExtractedItem e:
                try
                {
                    var prepared = await PrepareArticleAsync(e.Input, e.Article, batch, ct).ConfigureAwait(false);
                    if (prepared.Result is { } r) await MarkSeenAsync(e.Article, r, ct).ConfigureAwait(false);
                    return prepared;
                }
                catch (Exception ex) when (IsArticleFailure(ex, ct))
                {
                    logger.LogError(ex, "Ingesting {Input} failed", e.Input);
                    return IngestItemResult.Failed(e.Input, ex.Message);
                }
            default:
                throw new ArgumentException($"Unknown source item {item.GetType().Name}");
        }
    }

    /// <summary>Errors that fail one article; cancellation and index-wide problems stop the run instead.</summary>
    static bool IsArticleFailure(Exception ex, CancellationToken ct) =>
        ex is not IndexModelMismatchException and not IndexUnavailableException && !(ex is OperationCanceledException && ct.IsCancellationRequested);

    async Task MarkSeenAsync(ExtractedArticle article, IngestItemResult result, CancellationToken ct)
    {
        if (result.Status != IngestStatus.Failed && article.FeedUrl is { } feedUrl && article.FeedItemId is { } itemId)
            await feeds.MarkItemSeenAsync(feedUrl, itemId, ct).ConfigureAwait(false);
    }

    async Task<Prepared> PrepareArticleAsync(string input, ExtractedArticle article, Batch batch, CancellationToken ct)
    {
        var paragraphs = article.Paragraphs.Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
        var body = string.Join("\n\n", paragraphs);
        if (TextNormalizer.Canonical(body).Length == 0)
            return IngestItemResult.Failed(input, "no article text found (the document is empty or has no readable text)");

        var title = string.IsNullOrWhiteSpace(article.Title)
            ? TextNormalizer.Truncate(SentenceSplitter.Split(paragraphs[0]).FirstOrDefault() ?? paragraphs[0], 120)
            : TextNormalizer.CleanInline(article.Title);
        var contentHash = Hashing.ContentHash(body);
        var minHash = MinHash.Compute(body);
        var sourceKey = UrlCanonicalizer.IdentityKey(article.SourceKey);
        foreach (var p in batch.Unwritten)
        {
            if (p.Record.SourceKey == sourceKey || p.Record.ContentHash == contentHash
                || MinHash.Similarity(p.Record.MinHash, minHash) >= options.NearDuplicateThreshold)
                return default; // a conflict
        }
        // before identities dropped "www.", an article was stored under its canonical URL as given
        var existing = await store.FindBySourceAsync(sourceKey, ct).ConfigureAwait(false)
                       ?? (sourceKey == article.SourceKey ? null : await store.FindBySourceAsync(article.SourceKey, ct).ConfigureAwait(false));
        // the retention window holds at ingestion too: a feed still listing an item older than the window, or one
        // already pruned, must not bring it back as new
        if (existing is null && await IsExpiredAsync(article, sourceKey, ct).ConfigureAwait(false))
            return new IngestItemResult { Input = input, Status = IngestStatus.Expired, Article = Reference(Identity.ForUrl(sourceKey)) };
        if (existing is not null && existing.ContentHash == contentHash)
            return ResultFor(input, IngestStatus.Unchanged, existing, existing.ChunkCount);

        if (existing is null)
        {
            var exact = await store.FindByContentHashAsync(contentHash, ct).ConfigureAwait(false);
            if (exact is not null)
                return await DuplicateAsync(exact, 1.0).ConfigureAwait(false);
            var near = await store.FindNearDuplicateAsync(minHash, options.NearDuplicateThreshold, ct).ConfigureAwait(false);
            if (near is { } n)
                return await DuplicateAsync(n.Article, n.Similarity).ConfigureAwait(false);
        }

        // a file is identified by its content, unless it names its web address (url: line, canonical link): then it is
        // that web article, under the id a fetch of the page gives
        var id = article.Kind == SourceKind.File && !UrlCanonicalizer.IsHttpUrl(sourceKey, out _)
            ? Identity.ForContent(contentHash)
            : Identity.ForUrl(sourceKey);
        string? replaces = existing is not null && existing.Id != id ? existing.Id : null;
        var textChunks = chunker.Chunk(paragraphs);
        var record = new ArticleRecord
        {
            Article = Reference(id),
            SourceKey = sourceKey,
            IngestedAt = time.GetUtcNow(),
            ContentHash = contentHash,
            Kind = article.Kind,
            ChunkCount = textChunks.Count,
            MinHash = minHash,
            Body = body,
        };
        return new Pending(input, article, record, replaces, existing is not null, [.. textChunks]);

        async Task<IngestItemResult> DuplicateAsync(ArticleRecord original, double similarity)
        {
            await store.RecordDuplicateAsync(new DuplicateRecord(sourceKey, article.Url, title, original.Id, similarity, time.GetUtcNow()), ct).ConfigureAwait(false);
            logger.LogInformation("Duplicate {Input} of {ArticleId} ({Similarity:P0} similar)", input, original.Id, similarity);
            return new IngestItemResult
            {
                Input = input,
                Status = IngestStatus.Duplicate,
                Article = Reference(original.Id),
                DuplicateOf = original.Id,
            };
        }

        ArticleRef Reference(string articleId) => new()
        {
            Id = articleId, Title = title, Outlet = article.Outlet, Author = article.Author, Published = article.Published, Url = article.Url,
        };
    }

    async Task<bool> IsExpiredAsync(ExtractedArticle article, string sourceKey, CancellationToken ct)
    {
        if (retention?.Cutoff(time.GetUtcNow()) is { } cutoff && article.Published is { } published && published < cutoff) return true;
        if (pruned is null || await pruned.PrunedAtAsync(sourceKey, ct).ConfigureAwait(false) is not { } prunedAt) return false;
        // a pruned article comes back only when republished after the prune (its feed dates it later); not by a feed
        // that still lists it, nor by one whose dates drift a little from poll to poll
        return article.Published is not { } date || date <= prunedAt;
    }

    static IngestItemResult ResultFor(string input, IngestStatus status, ArticleRecord r, int chunkCount) => new()
    {
        Input = input,
        Status = status,
        Article = r.Article,
        Chunks = chunkCount,
    };

    /// <summary>Writes the group in flight and embeds and writes the waiting articles; returns every queued result in order.</summary>
    async Task<IReadOnlyList<IngestItemResult>> FlushAsync(Batch batch, CancellationToken ct)
    {
        var current = batch.Queue.Count > 0 ? Start(batch, ct) : null; // embedding while the group in flight is written
        var results = new List<IngestItemResult>();
        if (batch.InFlight is { } previous)
        {
            batch.InFlight = null;
            try
            {
                results.AddRange(await WriteAsync(previous, ct).ConfigureAwait(false));
            }
            catch when (current is not null)
            {
                batch.InFlight = current; // observed by AbandonAsync
                throw;
            }
        }
        if (current is not null) results.AddRange(await WriteAsync(current, ct).ConfigureAwait(false));
        return results;
    }

    /// <summary>Takes the batch's queue and starts embedding its articles' chunks together, off this thread.</summary>
    Group Start(Batch batch, CancellationToken ct)
    {
        var pending = batch.Pending;
        var group = new Group([.. batch.Queue], pending, pending.Count == 0
            ? Task.FromResult<IReadOnlyList<float[]>?>(null)
            : Task.Run(() => EmbedTogetherAsync(pending, ct), ct));
        batch.Queue.Clear();
        return group;
    }

    /// <summary>All chunks of the articles in one call; null when that failed for an article's sake (then they go one by one).</summary>
    async Task<IReadOnlyList<float[]>?> EmbedTogetherAsync(List<Pending> pending, CancellationToken ct)
    {
        try
        {
            return await embedder.EmbedPassagesAsync(
                [.. pending.SelectMany(p => p.Chunks.Select(c => EmbeddingText(p.Record.Article.Title, c.Text)))], ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsArticleFailure(ex, ct) && pending.Count > 1)
        {
            logger.LogWarning("Embedding {Count} articles together failed ({Error}); embedding them one by one", pending.Count, ex.Message);
            return null;
        }
    }

    /// <summary>Writes each article of an embedded group in its own transaction and returns every queued result in order.</summary>
    async Task<IReadOnlyList<IngestItemResult>> WriteAsync(Group group, CancellationToken ct)
    {
        var written = new Dictionary<Pending, IngestItemResult>();
        var vectors = await group.Vectors.ConfigureAwait(false);
        int at = 0;
        foreach (var p in group.Pending)
        {
            try
            {
                IReadOnlyList<float[]> own = vectors is null
                    ? await embedder.EmbedPassagesAsync([.. p.Chunks.Select(c => EmbeddingText(p.Record.Article.Title, c.Text))], ct).ConfigureAwait(false)
                    : vectors.Skip(at).Take(p.Chunks.Count).ToList();
                written[p] = await WriteAsync(p, own, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsArticleFailure(ex, ct))
            {
                logger.LogError(ex, "Ingesting {Input} failed", p.Input);
                written[p] = IngestItemResult.Failed(p.Input, ex.Message);
            }
            at += p.Chunks.Count;
        }
        return [.. group.Queue.Select(q => q.Pending is { } p ? written[p] : q.Result!)];
    }

    async Task<IngestItemResult> WriteAsync(Pending p, IReadOnlyList<float[]> vectors, CancellationToken ct)
    {
        var record = p.Record;
        var chunks = Assemble(record.Article, p.Chunks, vectors);
        await index.UpsertAsync(record, chunks, p.Replaces, ct).ConfigureAwait(false);
        if (!index.RecordsArticles) await store.SaveArticleAsync(record, p.Replaces, ct).ConfigureAwait(false);
        // the story in its own transaction: the article is committed whatever happens here (a restart assigns it)
        if (stories is not null) await StoryHookAsync(record.Id, () => stories.AssignAsync(record, vectors.Count > 0 ? vectors[0] : null, p.Replaces, ct), ct).ConfigureAwait(false);
        var status = p.Existed ? IngestStatus.Updated : IngestStatus.Added;
        logger.LogInformation("{Status} {ArticleId} {Title} ({Chunks} chunks) from {Input}", status, record.Id, record.Article.Title, chunks.Count, p.Input);
        var result = ResultFor(p.Input, status, record, chunks.Count);
        await MarkSeenAsync(p.Article, result, ct).ConfigureAwait(false);
        return result;
    }

    async Task StoryHookAsync(string? articleId, Func<Task> assign, CancellationToken ct)
    {
        try
        {
            await assign().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsArticleFailure(ex, ct))
        {
            logger.LogWarning(ex, "Story assignment of {ArticleId} failed; it is retried at the next start", articleId ?? "waiting articles");
        }
    }

    /// <summary>Chunks an article's paragraphs and computes each chunk's dense and sparse vectors.</summary>
    public async Task<List<IndexedChunk>> BuildChunksAsync(ArticleRef article, IReadOnlyList<string> paragraphs, CancellationToken ct)
    {
        var textChunks = chunker.Chunk(paragraphs);
        var vectors = await embedder.EmbedPassagesAsync([.. textChunks.Select(c => EmbeddingText(article.Title, c.Text))], ct).ConfigureAwait(false);
        return Assemble(article, textChunks, vectors);
    }

    List<IndexedChunk> Assemble(ArticleRef article, IReadOnlyList<TextChunk> textChunks, IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count != textChunks.Count)
            throw new InvalidOperationException($"The embedding model returned {vectors.Count} vectors for {textChunks.Count} chunks.");
        var chunks = new List<IndexedChunk>(textChunks.Count);
        for (int i = 0; i < textChunks.Count; i++)
        {
            chunks.Add(new IndexedChunk
            {
                Article = article,
                Position = i,
                Text = textChunks[i].Text,
                TokenCount = textChunks[i].TokenCount,
                Dense = vectors[i],
                Sparse = lexical.EncodeDocument(article.Title + "\n" + textChunks[i].Text),
            });
        }
        return chunks;
    }

    /// <summary>The text embedded for a chunk: its article's title, then the chunk.</summary>
    public static string EmbeddingText(string title, string chunkText) => title + "\n" + chunkText;
}
