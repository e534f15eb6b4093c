using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Cli;
using NewsBot.Core.Answering;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sources;

namespace NewsBot.Evaluation;

public sealed record EvalSettings
{
    public required string QaPath { get; init; }
    public string? DocsDirectory { get; init; }
    public int? Limit { get; init; }
    /// <summary>Share of answerable questions whose evidence is left out of the index (to measure refusals).</summary>
    public double Holdout { get; init; }
    public bool IncludeCounterfactual { get; init; }
    public bool Compare { get; init; }
    public bool Answers { get; init; } = true;
    public double CompareRecencyWeight { get; init; } = 0.5;
    /// <summary>A file that receives one JSON line per question and measurement (for analysis).</summary>
    public string? DetailsPath { get; init; }
    /// <summary>"dev" or "test": only that half of the questions (<see cref="QaSplit"/>); null for all.</summary>
    public string? Split { get; init; }
    /// <summary>A file that receives, per question answered extractively, its candidate sentences' features and labels (<see cref="SentenceModelFitter"/>).</summary>
    public string? FeaturesPath { get; init; }
}

public sealed record RetrievalMetrics(string Config, int Questions, double RecallAt5, double RecallAt10, double MrrAt10);

public sealed record EvalReport
{
    public int Questions { get; init; }
    public int Answerable { get; init; }
    public int Unanswerable { get; init; }
    public int HeldOut { get; init; }
    public int DocumentsIndexed { get; init; }
    public RetrievalMetrics? Retrieval { get; init; }
    public double? AnswerContainsRate { get; init; }
    public double? CitedEvidenceRate { get; init; }
    /// <summary>Answers citing an article whose text contains an accepted answer (the listed evidence or another report of it).</summary>
    public double? CitedSupportRate { get; init; }
    public double? FalseRefusalRate { get; init; }
    public double? RefusalRateUnanswerable { get; init; }
    /// <summary>Mean length in words of the answers given (refusals left out).</summary>
    public double? MeanAnswerWords { get; init; }
    public IReadOnlyList<RetrievalMetrics> Comparison { get; init; } = [];
    public RelevanceCalibration? Calibration { get; init; }
    public double AnswerMsP50 { get; init; }
    public double AnswerMsP95 { get; init; }
    public string Mode { get; init; } = "";
    public IReadOnlyList<object> Failures { get; init; } = [];
}

public sealed record RelevanceCalibration(double CurrentThreshold, double SuggestedThreshold, double AnswerableAboveCurrent, double UnanswerableBelowCurrent, double AnswerableAboveSuggested, double UnanswerableBelowSuggested)
{
    /// <summary>For thresholds from 0.30 to 0.60: the share of answerable questions above and of unanswerable ones below.</summary>
    public IReadOnlyList<double[]> Curve { get; init; } = [];
}

/// <summary>
/// Measures retrieval and answers against a QA file: recall@5/@10 and MRR@10 of the evidence documents,
/// the share of answers containing an acceptable answer string and citing an evidence article, and the
/// share of refusals on questions the index cannot answer (no evidence, or evidence held out).
/// </summary>
public sealed class Evaluator(IServiceProvider sp, AdjustableTimeProvider clock, CliOutput output)
{
    /// <summary>
    /// The evaluator's registrations: its documents are read with identity by file (<see cref="FileIdentity.File"/>).
    /// Their <c>url:</c> lines name the quiz page a document came from, shared by many documents (118 of the QA docs
    /// share 53 addresses); as identities they would replace each other and questions would lose their evidence.
    /// </summary>
    public static void ConfigureServices(IServiceCollection services) =>
        services.Configure<FileSourceOptions>(o => o.Identity = FileIdentity.File);

    public async Task<EvalReport> RunAsync(EvalSettings s, CancellationToken ct)
    {
        var items = QaItem.Load(s.QaPath);
        if (s.Split is { } split) items = items.Where(i => QaSplit.Of(i) == split).ToList();
        if (s.Limit is { } limit) items = items.Take(limit).ToList();
        var heldOut = items
            .Where(i => i.EvidenceDocIds.Count > 0 && s.Holdout > 0 && (Hashing.Fnv1a32(i.Id) % 1000) < s.Holdout * 1000)
            .Select(i => i.Id).ToHashSet();
        // evidence shared with a question that is not held out stays in the index
        var keep = items.Where(i => !heldOut.Contains(i.Id)).SelectMany(i => i.EvidenceDocIds).ToHashSet();
        var exclude = items.Where(i => heldOut.Contains(i.Id)).SelectMany(i => i.EvidenceDocIds).Where(d => !keep.Contains(d)).ToHashSet();
        heldOut.RemoveWhere(id => items.First(i => i.Id == id).EvidenceDocIds.Any(keep.Contains));

        var docToArticle = new Dictionary<string, string>(StringComparer.Ordinal);
        int indexed = 0;
        if (s.DocsDirectory is { } docs)
        {
            var files = ListDocuments(docs, s.IncludeCounterfactual).Where(f => !exclude.Contains(f.DocId)).ToList();
            indexed = files.Count;
            // by the ingest results: each document is its own article (identity by file, see ConfigureServices)
            var articleOf = await IngestAsync(files.Select(f => f.Path).ToList(), ct).ConfigureAwait(false);
            foreach (var f in files)
                if (articleOf.TryGetValue(f.Path, out var articleId)) docToArticle[f.DocId] = articleId;
        }

        var retriever = sp.GetRequiredService<Retriever>();
        var service = sp.GetRequiredService<IAnswerService>();
        var answering = sp.GetRequiredService<AnsweringOptions>();
        var zone = answering.ResolveTimeZone();

        var answerable = items.Where(i => i.EvidenceDocIds.Count > 0 && !heldOut.Contains(i.Id)).ToList();
        var retrievalRows = new List<(double R5, double R10, double Mrr)>();
        var relevances = new List<(double Relevance, bool Answerable)>();
        var store = sp.GetRequiredService<IArticleStore>();
        int citesSupport = 0;
        int contains = 0, cited = 0, falseRefusals = 0, refusedUnanswerable = 0, unanswerableCount = 0, answered = 0;
        var latencies = new List<double>();
        var answerWords = new List<int>();
        using var details = s.DetailsPath is { Length: > 0 } path ? new StreamWriter(path) : null;
        var failures = new List<object>();
        string? lastChat = null;
        using var featureRows = s.FeaturesPath is { Length: > 0 } fp ? new StreamWriter(fp) : null;
        SentenceFeatureRows? seen = null;
        var extractive = sp.GetRequiredService<ExtractiveAnswerer>();
        if (featureRows is not null) extractive.FeatureSink = rows => seen = rows;
        int n = 0;
        foreach (var item in items)
        {
            ct.ThrowIfCancellationRequested();
            n++;
            output.Progress($"eval {n}/{items.Count}");
            clock.Set(QuestionTime(item));
            var conversation = item.Chat is { } chat ? "eval:" + chat : null;
            if (conversation is not null && item.Chat != lastChat) await service.ResetConversationAsync(conversation, ct).ConfigureAwait(false);
            lastChat = item.Chat;
            bool isAnswerable = item.EvidenceDocIds.Count > 0 && !heldOut.Contains(item.Id);
            var evidence = item.EvidenceDocIds.Select(d => docToArticle.GetValueOrDefault(d)).OfType<string>().ToHashSet();

            AnswerResult? result = null;
            if (s.Answers)
            {
                var sw = Stopwatch.StartNew();
                result = await service.AnswerAsync(new AnswerRequest { Question = item.Question, ConversationId = conversation }, ct).ConfigureAwait(false);
                latencies.Add(sw.Elapsed.TotalMilliseconds);
                if (!result.Refused) answerWords.Add(result.Answer.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
                if (featureRows is not null && seen is not null) featureRows.WriteLine(SentenceModelFitter.Row(item, item.EvidenceDocIds.Count > 0 && !heldOut.Contains(item.Id), seen));
                seen = null;
            }
            var standalone = result?.StandaloneQuery ?? item.Question;
            var parsed = QueryParser.Parse(standalone, clock.GetUtcNow(), zone);
            var filter = new SearchFilter
            {
                Outlets = parsed.Outlets.Count > 0 ? parsed.Outlets : null,
                PublishedAfter = parsed.Window?.After,
                PublishedBefore = parsed.Window?.Before,
            };
            var retrieval = await retriever.SearchAsync(new RetrievalRequest { Query = parsed.SearchText, Top = ChunksForTenDocuments, Filter = filter }, ct).ConfigureAwait(false);
            relevances.Add((AnswerService.Relevance(retrieval.Hits, parsed.SearchText, retrieval.TermStats), isAnswerable));
            details?.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                kind = "relevance",
                id = item.Id,
                answerable = isAnswerable,
                relevance = AnswerService.Relevance(retrieval.Hits, parsed.SearchText, retrieval.TermStats),
                dense = retrieval.Hits.Take(3).Select(h => h.DenseScore ?? 0).ToArray(),
                coverage = retrieval.Hits.Take(3).Select(h => AnswerService.Relevance([h with { DenseScore = 0 }], parsed.SearchText, retrieval.TermStats) / (1 - AnswerService.RelevanceDenseWeight)).ToArray(),
                unseen = retrieval.TermStats.Unseen.Count,
                terms = LexicalAnalyzer.QueryTerms(parsed.SearchText).Distinct().Count(),
            }));

            var ranking = ArticleRanking(retrieval.Hits);
            int evidenceRank = ranking.FindIndex(evidence.Contains) + 1;
            if (isAnswerable)
            {
                if (evidence.Count > 0) retrievalRows.Add(Score(ranking, evidence));
                if (result is not null)
                {
                    answered++;
                    bool hasAnswer = item.Answers.Count == 0 || item.Answers.Any(a => result.Answer.Contains(a, StringComparison.OrdinalIgnoreCase));
                    bool citesEvidence = result.Citations.Any(c => evidence.Contains(c.Article.Id));
                    if (!result.Refused && item.Answers.Count > 0)
                    {
                        var citedArticles = await store.GetArticlesAsync(result.Citations.Select(c => c.Article.Id).ToList(), ct).ConfigureAwait(false);
                        if (citedArticles.Any(a => item.Answers.Any(x => (a.Article.Title + "\n" + a.Body).Contains(x, StringComparison.OrdinalIgnoreCase)))) citesSupport++;
                    }
                    if (hasAnswer && !result.Refused) contains++;
                    if (citesEvidence) cited++;
                    if (result.Refused) falseRefusals++;
                    details?.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { kind = "answer", id = item.Id, answerable = true, relevance = result.Relevance, sentence = result.SentenceScore, refused = result.Refused, cites = citesEvidence, has = hasAnswer, evidence_rank = evidenceRank, question = item.Question, standalone, answer = result.Answer, cited = result.Citations.Select(c => c.Article.Title).ToList() }));
                    if (!citesEvidence || result.Refused)
                        failures.Add(new { id = item.Id, question = item.Question, standalone, refused = result.Refused, cited = result.Citations.Select(c => c.Article.Title).ToList(), expected = item.EvidenceDocIds, evidence_rank = evidenceRank, contains_answer = hasAnswer });
                }
            }
            else if (result is not null)
            {
                unanswerableCount++;
                details?.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { kind = "answer", id = item.Id, answerable = false, relevance = result.Relevance, sentence = result.SentenceScore, refused = result.Refused, question = item.Question, standalone, answer = result.Answer, cited = result.Citations.Select(c => c.Article.Title).ToList() }));
                if (result.Refused) refusedUnanswerable++;
                else failures.Add(new { id = item.Id, question = item.Question, standalone, refused = false, cited = result.Citations.Select(c => c.Article.Title).ToList(), expected = Array.Empty<string>() });
            }
        }
        output.EndProgress();
        extractive.FeatureSink = null;

        var comparison = new List<RetrievalMetrics>();
        if (s.Compare && docToArticle.Count > 0)
        {
            foreach (var (name, mode, recency) in new[]
            {
                ("dense", RetrievalMode.Dense, 0.0), ("lexical", RetrievalMode.Lexical, 0.0), ("hybrid", RetrievalMode.Hybrid, 0.0), ($"hybrid+recency({s.CompareRecencyWeight})", RetrievalMode.Hybrid, s.CompareRecencyWeight),
            })
            {
                var rows = new List<(double, double, double)>();
                foreach (var item in answerable.Where(i => i.Chat is null))
                {
                    var evidence = item.EvidenceDocIds.Select(d => docToArticle.GetValueOrDefault(d)).OfType<string>().ToHashSet();
                    if (evidence.Count == 0) continue;
                    clock.Set(QuestionTime(item));
                    var parsed = QueryParser.Parse(item.Question, clock.GetUtcNow(), zone);
                    var filter = new SearchFilter { Outlets = parsed.Outlets.Count > 0 ? parsed.Outlets : null, PublishedAfter = parsed.Window?.After, PublishedBefore = parsed.Window?.Before };
                    var r = await retriever.SearchAsync(new RetrievalRequest { Query = parsed.SearchText, Top = ChunksForTenDocuments, Filter = filter, Mode = mode, RecencyWeight = recency }, ct).ConfigureAwait(false);
                    var ranked = ArticleRanking(r.Hits);
                    rows.Add(Score(ranked, evidence));
                    details?.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { kind = "retrieval", config = name, id = item.Id, rank = ranked.FindIndex(evidence.Contains) + 1, question = item.Question, top = r.Hits.Take(3).Select(h => h.Article.Title) }));
                }
                comparison.Add(Metrics(name, rows));
            }
        }
        clock.Set(null);

        latencies.Sort();
        return new EvalReport
        {
            Questions = items.Count,
            Answerable = answerable.Count,
            Unanswerable = items.Count(i => i.EvidenceDocIds.Count == 0),
            HeldOut = heldOut.Count,
            DocumentsIndexed = indexed,
            Retrieval = retrievalRows.Count > 0 ? Metrics("default", retrievalRows) : null,
            AnswerContainsRate = answered > 0 ? Math.Round(contains / (double)answered, 4) : null,
            CitedEvidenceRate = answered > 0 ? Math.Round(cited / (double)answered, 4) : null,
            CitedSupportRate = answered > 0 ? Math.Round(citesSupport / (double)answered, 4) : null,
            FalseRefusalRate = answered > 0 ? Math.Round(falseRefusals / (double)answered, 4) : null,
            RefusalRateUnanswerable = unanswerableCount > 0 ? Math.Round(refusedUnanswerable / (double)unanswerableCount, 4) : null,
            MeanAnswerWords = answerWords.Count > 0 ? Math.Round(answerWords.Average(), 1) : null,
            Comparison = comparison,
            Calibration = Calibrate(relevances, answering.RelevanceThreshold),
            AnswerMsP50 = Percentile(latencies, 0.5),
            AnswerMsP95 = Percentile(latencies, 0.95),
            Mode = sp.GetRequiredService<NewsBot.Hosting.ILlmAnswererProvider>().Answerer is null ? "extractive" : "llm",
            Failures = failures,
        };
    }

    static DateTimeOffset? QuestionTime(QaItem item)
        => item.Date is { } d && DateOnly.TryParse(d, System.Globalization.CultureInfo.InvariantCulture, out var day)
            ? new DateTimeOffset(day.ToDateTime(new TimeOnly(23, 59)), TimeSpan.Zero)
            : null;

    /// <summary>Ingests the files; returns the article (or, for a duplicate, the original) each file became.</summary>
    async Task<Dictionary<string, string>> IngestAsync(List<string> files, CancellationToken ct)
    {
        var pipeline = sp.GetRequiredService<IngestionPipeline>();
        var summary = new IngestSummary();
        var articleOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var sw = Stopwatch.StartNew();
        await foreach (var r in pipeline.IngestAsync(files, ct).ConfigureAwait(false))
        {
            summary.Count(r);
            if (r.Article?.Id is { } id) articleOf[Path.GetFullPath(r.Input)] = id;
            output.Progress($"indexing {summary.Total}/{files.Count} documents ({summary.Total / Math.Max(0.001, sw.Elapsed.TotalSeconds):0.0}/s)");
        }
        output.EndProgress();
        if (!output.Json)
            output.Error($"Indexed {files.Count} documents: {summary.Added} added, {summary.Updated} updated, {summary.Unchanged} unchanged, {summary.Duplicate} duplicates, {summary.Failed} failed ({sw.Elapsed.TotalSeconds:0}s).");
        return articleOf;
    }

    public static IEnumerable<(string Path, string DocId)> ListDocuments(string dir, bool includeCounterfactual)
    {
        if (!Directory.Exists(dir)) throw new InvalidDataException($"eval: --docs '{dir}' is not a folder.");
        var root = Path.GetFullPath(dir);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f) is ".txt" or ".md" or ".html" or ".htm")
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !string.Equals(Path.GetFileName(f), "SOURCE.md", StringComparison.OrdinalIgnoreCase))
            .Select(f => (Path: f, DocId: Path.ChangeExtension(Path.GetRelativePath(root, f), null).Replace('\\', '/')))
            .Where(f => includeCounterfactual || !System.Text.RegularExpressions.Regex.IsMatch(f.DocId, @"_cf\d+$"))
            .OrderBy(f => f.Path, StringComparer.Ordinal);
    }

    /// <summary>Chunks fetched so that the first ten distinct documents can be ranked (recall@10 is over documents).</summary>
    const int ChunksForTenDocuments = 40;

    /// <summary>Distinct articles in the order of their best chunk.</summary>
    static List<string> ArticleRanking(IReadOnlyList<SearchHit> hits)
    {
        var ranking = new List<string>();
        foreach (var h in hits)
            if (!ranking.Contains(h.Article.Id)) ranking.Add(h.Article.Id);
        return ranking;
    }

    static (double R5, double R10, double Mrr) Score(List<string> ranking, HashSet<string> evidence)
    {
        double r5 = ranking.Take(5).Count(evidence.Contains) / (double)evidence.Count;
        double r10 = ranking.Take(10).Count(evidence.Contains) / (double)evidence.Count;
        int first = ranking.Take(10).ToList().FindIndex(evidence.Contains);
        // (ranking holds distinct documents; recall@k and MRR@10 count the first k documents)
        return (r5, r10, first < 0 ? 0 : 1.0 / (first + 1));
    }

    static RetrievalMetrics Metrics(string name, List<(double R5, double R10, double Mrr)> rows) => new(
        name, rows.Count,
        Math.Round(rows.Count == 0 ? 0 : rows.Average(r => r.R5), 4),
        Math.Round(rows.Count == 0 ? 0 : rows.Average(r => r.R10), 4),
        Math.Round(rows.Count == 0 ? 0 : rows.Average(r => r.Mrr), 4));

    static RelevanceCalibration? Calibrate(List<(double Relevance, bool Answerable)> rows, double current)
    {
        var pos = rows.Where(r => r.Answerable).Select(r => r.Relevance).ToList();
        var neg = rows.Where(r => !r.Answerable).Select(r => r.Relevance).ToList();
        if (pos.Count == 0 || neg.Count == 0) return null;
        double best = current, bestScore = -1;
        for (double t = 0.2; t <= 0.8; t += 0.005)
        {
            double score = pos.Count(p => p >= t) / (double)pos.Count + neg.Count(x => x < t) / (double)neg.Count; // balanced accuracy ×2
            if (score > bestScore) { bestScore = score; best = t; }
        }
        var curve = new List<double[]>();
        for (double t = 0.30; t <= 0.6001; t += 0.025)
            curve.Add([Math.Round(t, 3), Math.Round(pos.Count(p => p >= t) / (double)pos.Count, 4), Math.Round(neg.Count(x => x < t) / (double)neg.Count, 4)]);
        return new RelevanceCalibration(current, Math.Round(best, 3),
            Math.Round(pos.Count(p => p >= current) / (double)pos.Count, 4), Math.Round(neg.Count(x => x < current) / (double)neg.Count, 4),
            Math.Round(pos.Count(p => p >= best) / (double)pos.Count, 4), Math.Round(neg.Count(x => x < best) / (double)neg.Count, 4)) { Curve = curve };
    }

    static double Percentile(List<double> sorted, double p)
        => sorted.Count == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)], 1);
}
