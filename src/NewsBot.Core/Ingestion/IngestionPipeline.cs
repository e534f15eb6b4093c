using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
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
    ILogger<IngestionPipeline> logger)
{
    bool _ready;

    /// <summary>Ingests every input (files, folders, page URLs, feed URLs), yielding one result per article or failure.</summary>
    public async IAsyncEnumerable<IngestItemResult> IngestAsync(IEnumerable<string> inputs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await EnsureIndexReadyAsync(ct).ConfigureAwait(false);
        foreach (var input in inputs)
        {
            await foreach (var item in source.ReadAsync(input, ct).ConfigureAwait(false))
            {
                yield return await IngestItemAsync(item, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ingests the items of a source enumeration (for example a feed poll).</summary>
    public async IAsyncEnumerable<IngestItemResult> IngestItemsAsync(IAsyncEnumerable<SourceItem> items, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await EnsureIndexReadyAsync(ct).ConfigureAwait(false);
        await foreach (var item in items.WithCancellation(ct).ConfigureAwait(false))
            yield return await IngestItemAsync(item, ct).ConfigureAwait(false);
    }

    public async Task EnsureIndexReadyAsync(CancellationToken ct)
    {
        if (_ready) return;
        await index.EnsureReadyAsync(new EmbeddingModelInfo(embedder.Profile.Model, embedder.Profile.Dimensions), ct).ConfigureAwait(false);
        _ready = true;
    }

    public async Task<IngestItemResult> IngestItemAsync(SourceItem item, CancellationToken ct)
    {
        switch (item)
        {
            case FailedItem f:
                logger.LogWarning("Could not ingest {Input}: {Error}", f.Input, f.Error);
                return IngestItemResult.Failed(f.Input, f.Error);
            case ExtractedItem e:
                try
                {
                    var result = await IngestArticleAsync(e.Input, e.Article, ct).ConfigureAwait(false);
                    if (result.Status != IngestStatus.Failed && e.Article.FeedUrl is { } feedUrl && e.Article.FeedItemId is { } itemId)
                        await feeds.MarkItemSeenAsync(feedUrl, itemId, ct).ConfigureAwait(false);
                    return result;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw;
                }
                catch (IndexModelMismatchException)
                {
                    throw;
                }
                catch (IndexUnavailableException)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Ingesting {Input} failed", e.Input);
                    return IngestItemResult.Failed(e.Input, ex.Message);
                }
            default:
                throw new ArgumentException($"Unknown source item {item.GetType().Name}");
        }
    }

    public async Task<IngestItemResult> IngestArticleAsync(string input, ExtractedArticle article, CancellationToken ct)
    {
        var paragraphs = article.Paragraphs.Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
        var body = string.Join("\n\n", paragraphs);
        if (TextNormalizer.Canonical(body).Length == 0)
            return IngestItemResult.Failed(input, "no article text found (the document is empty or has no readable text)");

        var title = string.IsNullOrWhiteSpace(article.Title)
            ? TextNormalizer.Truncate(SentenceSplitter.Split(paragraphs[0]).FirstOrDefault() ?? paragraphs[0], 120)
            : TextNormalizer.CleanInline(article.Title);
        var contentHash = Hashing.ContentHash(body);
        var existing = await store.FindBySourceAsync(article.SourceKey, ct).ConfigureAwait(false);
        if (existing is not null && existing.ContentHash == contentHash)
            return Result(IngestStatus.Unchanged, existing, existing.ChunkCount);

        var minHash = MinHash.Compute(body);
        if (existing is null)
        {
            var exact = await store.FindByContentHashAsync(contentHash, ct).ConfigureAwait(false);
            if (exact is not null)
                return await DuplicateAsync(exact, 1.0).ConfigureAwait(false);
            var near = await store.FindNearDuplicateAsync(minHash, options.NearDuplicateThreshold, ct).ConfigureAwait(false);
            if (near is { } n)
                return await DuplicateAsync(n.Article, n.Similarity).ConfigureAwait(false);
        }

        var id = article.Kind == SourceKind.File ? Identity.ForContent(contentHash) : Identity.ForUrl(article.SourceKey);
        string? replaces = existing is not null && existing.Id != id ? existing.Id : null;

        var chunks = await BuildChunksAsync(id, title, article.Outlet, article.Author, article.Published, article.Url, paragraphs, ct).ConfigureAwait(false);

        var record = new ArticleRecord
        {
            Id = id,
            SourceKey = article.SourceKey,
            Url = article.Url,
            Title = title,
            Author = article.Author,
            Outlet = article.Outlet,
            Published = article.Published,
            IngestedAt = time.GetUtcNow(),
            ContentHash = contentHash,
            Kind = article.Kind,
            ChunkCount = chunks.Count,
            MinHash = minHash,
            Body = body,
        };
        await index.UpsertAsync(record, chunks, replaces, ct).ConfigureAwait(false);
        if (!index.RecordsArticles) await store.SaveArticleAsync(record, replaces, ct).ConfigureAwait(false);
        var status = existing is null ? IngestStatus.Added : IngestStatus.Updated;
        logger.LogInformation("{Status} {ArticleId} {Title} ({Chunks} chunks) from {Input}", status, id, title, chunks.Count, input);
        return Result(status, record, chunks.Count);

        async Task<IngestItemResult> DuplicateAsync(ArticleRecord original, double similarity)
        {
            await store.RecordDuplicateAsync(new DuplicateRecord(article.SourceKey, article.Url, title, original.Id, similarity, time.GetUtcNow()), ct).ConfigureAwait(false);
            logger.LogInformation("Duplicate {Input} of {ArticleId} ({Similarity:P0} similar)", input, original.Id, similarity);
            return new IngestItemResult
            {
                Input = input,
                Status = IngestStatus.Duplicate,
                ArticleId = original.Id,
                Title = title,
                Author = article.Author,
                Outlet = article.Outlet,
                Published = article.Published,
                Url = article.Url,
                DuplicateOf = original.Id,
            };
        }

        IngestItemResult Result(IngestStatus status, ArticleRecord r, int chunkCount) => new()
        {
            Input = input,
            Status = status,
            ArticleId = r.Id,
            Title = r.Title,
            Author = r.Author,
            Outlet = r.Outlet,
            Published = r.Published,
            Url = r.Url,
            Chunks = chunkCount,
        };
    }

    /// <summary>Chunks an article's paragraphs and computes each chunk's dense and sparse vectors.</summary>
    public async Task<List<IndexedChunk>> BuildChunksAsync(string articleId, string title, string? outlet, string? author, DateTimeOffset? published, string url,
        IReadOnlyList<string> paragraphs, CancellationToken ct)
    {
        var textChunks = chunker.Chunk(paragraphs);
        var passages = textChunks.Select(c => EmbeddingText(title, c.Text)).ToList();
        var vectors = await embedder.EmbedPassagesAsync(passages, ct).ConfigureAwait(false);
        var chunks = new List<IndexedChunk>(textChunks.Count);
        for (int i = 0; i < textChunks.Count; i++)
        {
            chunks.Add(new IndexedChunk
            {
                ArticleId = articleId,
                Position = i,
                Text = textChunks[i].Text,
                Title = title,
                Outlet = outlet,
                Author = author,
                Published = published,
                Url = url,
                TokenCount = textChunks[i].TokenCount,
                Dense = vectors[i],
                Sparse = lexical.EncodeDocument(title + "\n" + textChunks[i].Text),
            });
        }
        return chunks;
    }

    /// <summary>The text embedded for a chunk: its article's title, then the chunk.</summary>
    public static string EmbeddingText(string title, string chunkText) => title + "\n" + chunkText;
}
