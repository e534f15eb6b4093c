using System.Diagnostics;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;

namespace NewsBot.Core.Retrieval;

public sealed record RetrievalRequest
{
    public required string Query { get; init; }
    public int Top { get; init; } = 10;
    public SearchFilter Filter { get; init; } = SearchFilter.None;
    public RetrievalMode? Mode { get; init; }
    /// <summary>Overrides the configured recency weight (e.g. for "latest" questions).</summary>
    public double? RecencyWeight { get; init; }
    /// <summary>The query's embedding when the caller already has it (the same query searched again under another filter): not embedded again.</summary>
    public float[]? QueryVector { get; init; }
}

public sealed record RetrievalResult(IReadOnlyList<SearchHit> Hits, float[] QueryVector, double EmbeddingMs, double SearchMs)
{
    /// <summary>What the index knows of the query's terms (empty when the index keeps no term statistics).</summary>
    public QueryTermStats TermStats { get; init; } = QueryTermStats.None;
}

/// <summary>IDF of each query term in the index, and the terms no chunk contains.</summary>
public sealed record QueryTermStats(IReadOnlyDictionary<string, double> Idf, IReadOnlySet<string> Unseen)
{
    public static QueryTermStats None { get; } = new(new Dictionary<string, double>(), new HashSet<string>());
}

/// <summary>
/// Hybrid retrieval: embeds the query, encodes its lexical terms, asks the index for fused
/// candidates, then applies the recency boost and, under a date filter, ranks undated articles
/// after dated matches.
/// The term statistics come from the same index through their own port, so every index judges relevance alike.
/// </summary>
public sealed class Retriever(IArticleIndex index, ITermStatistics termStatistics, Embedder embedder, LexicalEncoder lexical, RetrievalOptions options, TimeProvider time)
{
    /// <summary>
    /// When the recency boost or a date filter will reorder the fused candidates, the index is asked for this many
    /// times the hits wanted, so that a recent article ranked just below the cut can still move up (the boost at most
    /// multiplies a score by 1 + weight, i.e. doubles it at the default weight 1). Set when the retriever was first
    /// written and not tuned since: the hybrid + recency figures of BENCHMARKS.md §1.1–1.2 are measured with it.
    /// </summary>
    public const int RerankCandidateFactor = 3;

    /// <summary>
    /// At least this many extra candidates for reranking, so that small requests (top 1–3) still give the boost a
    /// pool of a dozen or more to reorder. Chosen and measured like <see cref="RerankCandidateFactor"/>.
    /// </summary>
    public const int RerankCandidateMinimumExtra = 10;

    volatile bool _checked;

    public RetrievalOptions Options => options;

    public async Task<RetrievalResult> SearchAsync(RetrievalRequest request, CancellationToken ct = default)
    {
        if (!_checked)
        {
            // vectors of another model would match nonsense: refuse, naming `reindex`
            await index.EnsureReadyAsync(new EmbeddingModelInfo(embedder.Profile.Model, embedder.Profile.Dimensions), ct).ConfigureAwait(false);
            _checked = true;
        }
        var mode = request.Mode ?? options.Mode;
        var sw = Stopwatch.StartNew();
        // the first search of a process loads the index while the model embeds the query (both take a while)
        var preload = index is IPreloadable p ? Task.Run(() => p.PreloadAsync(ct), ct) : Task.CompletedTask;
        float[] dense = mode == RetrievalMode.Lexical
            ? new float[embedder.Profile.Dimensions]
            : request.QueryVector ?? await embedder.EmbedQueryAsync(request.Query, ct).ConfigureAwait(false);
        var embedMs = sw.Elapsed.TotalMilliseconds;
        await preload.ConfigureAwait(false);
        var sparse = lexical.EncodeQuery(request.Query);
        var weight = request.RecencyWeight ?? options.RecencyWeight;
        sw.Restart();
        var query = new HybridQuery
        {
            Dense = dense,
            Sparse = sparse,
            Top = weight > 0 || request.Filter.HasDateFilter
                ? Math.Max(request.Top * RerankCandidateFactor, request.Top + RerankCandidateMinimumExtra)
                : request.Top,
            CandidatesPerLeg = Math.Max(options.CandidatesPerLeg, request.Top),
            Filter = request.Filter,
            Mode = mode,
            DenseWeight = options.DenseWeight,
            LexicalWeight = options.LexicalWeight,
        };
        // Undated articles compete for the same candidates and are then ranked after the dated matches (Rerank).
        // (Searching dated and undated apart was measured worse on ../shared/eval/qa: see BENCHMARKS.md.)
        var hits = await index.SearchAsync(query, ct).ConfigureAwait(false);
        var ordered = Rerank(hits, weight, request.Filter.HasDateFilter).Take(request.Top).ToList();
        var searchMs = sw.Elapsed.TotalMilliseconds;
        var termStats = await TermStatsForAsync(request.Query, ct).ConfigureAwait(false);
        return new RetrievalResult(ordered, dense, embedMs, searchMs) { TermStats = termStats };
    }

    /// <summary>IDF of the query's terms and the terms no chunk contains (none when the index has no statistics yet).</summary>
    public async Task<QueryTermStats> TermStatsForAsync(string query, CancellationToken ct = default)
    {
        var sequence = LexicalAnalyzer.QueryTerms(query).ToList();
        var terms = sequence.Distinct().ToList();
        // neighbouring pairs too ("nintendo_switch"), as the index keeps them: a name whose words all occur, but never together
        var pairs = sequence.Zip(sequence.Skip(1), (a, b) => a + "_" + b).Distinct().ToList();
        if (terms.Count == 0) return QueryTermStats.None;
        var (df, n) = await termStatistics.GetDocumentFrequenciesAsync([.. terms.Concat(pairs).Select(LexicalAnalyzer.TermId)], ct).ConfigureAwait(false);
        if (n == 0) return QueryTermStats.None;
        var weights = new Dictionary<string, double>();
        var unseen = new HashSet<string>();
        for (int i = 0; i < terms.Count; i++)
        {
            weights[terms[i]] = LexicalEncoder.Idf(n, df[i]);
            if (df[i] == 0) unseen.Add(terms[i]);
        }
        for (int i = 0; i < pairs.Count; i++)
            if (df[terms.Count + i] == 0) unseen.Add(pairs[i]);
        return new QueryTermStats(weights, unseen);
    }

    IEnumerable<SearchHit> Rerank(IReadOnlyList<SearchHit> hits, double weight, bool dateFiltered)
    {
        if (weight <= 0 && !dateFiltered) return hits;
        var now = time.GetUtcNow();
        return hits
            .Select(h => h with { Score = h.Score * RecencyBoost.Factor(h.Article.Published, now, weight, options.RecencyHalfLifeDays) })
            .OrderBy(h => dateFiltered && h.Article.Published is null ? 1 : 0)
            .ThenByDescending(h => h.Score);
    }
}
