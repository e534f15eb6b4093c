using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Coverage;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>
/// One question, one straight path: conversation (a follow-up becomes a standalone question) →
/// filters from the question (from:OUTLET, time phrases) → hybrid retrieval (preferring the articles the
/// previous answer cited) → relevance check (refuse when nothing is relevant enough) → answer (language
/// model when configured, else extractive; extractive again when the model fails or cites nothing valid)
/// → citation check → the turn is saved. Article text is only ever data for the answerer.
/// </summary>
public sealed partial class AnswerService(
    Retriever retriever,
    ExtractiveAnswerer extractive,
    IConversationStore conversations,
    AnsweringOptions options,
    TimeProvider time,
    ILogger<AnswerService> logger,
    ILlmAnswerer? llm = null,
    IArticleStore? articles = null,
    CoverageAnswerer? coverage = null) : IAnswerService
{
    readonly TimeZoneInfo _zone = options.ResolveTimeZone();

    public bool HasLlm => llm is not null;

    public async Task<AnswerResult> AnswerAsync(AnswerRequest request, CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>();
        var question = QuestionText.Clean(request.Question).Trim();
        var lang = Language.Detect(question);
        var now = time.GetUtcNow();

        // 1. conversation
        var history = request.ConversationId is { } cid
            ? await conversations.GetRecentAsync(cid, options.HistoryTurns, ct).ConfigureAwait(false)
            : [];
        var rewrite = FollowUpRewriter.Rewrite(question, history);
        var standalone = rewrite.Standalone;
        if (llm is not null && history.Count > 0 && rewrite.IsFollowUp)
        {
            var sw = Stopwatch.StartNew();
            try
            {
                var condensed = (await llm.CondenseAsync(question, history, ct).ConfigureAwait(false)).Trim();
                if (condensed.Length is > 0 and < 1000) standalone = condensed;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning("Condensing the follow-up with the language model failed ({Error}); using the offline rewrite", ex.Message);
            }
            timings["condense"] = sw.Elapsed.TotalMilliseconds;
        }

        // coverage questions ("which outlets reported it?", "who had it first?") are answered from the story, when there is one
        if (coverage is not null && CoverageQuestions.Parse(question) is { } cq && await coverage.AnswerAsync(cq, question, standalone,
                history.LastOrDefault(t => !t.Refused)?.CitedArticleIds ?? [], llm is null ? options.RelevanceThreshold : options.MinRelevanceWithLlm, now, ct).ConfigureAwait(false) is { } covered)
        {
            timings["total"] = total.Elapsed.TotalMilliseconds;
            return await SaveTurnAsync(request, covered with { TimingsMs = timings }, now, ct).ConfigureAwait(false);
        }

        // 2. filters from the question
        var parsed = QueryParser.Parse(standalone, now, _zone);
        var filter = (request.Filter ?? SearchFilter.None) with
        {
            Outlets = parsed.Outlets.Count > 0 ? parsed.Outlets : request.Filter?.Outlets,
            PublishedAfter = parsed.Window?.After ?? request.Filter?.PublishedAfter,
            PublishedBefore = parsed.Window?.Before ?? request.Filter?.PublishedBefore,
            IncludeUndated = true,
        };
        double? recency = parsed.WantsLatest ? retriever.Options.LatestRecencyWeight : null;

        // 3. retrieval, preferring what the conversation already cited: a follow-up stays with the story unless the
        // rest of the news answers clearly better; any other question in a conversation ("how much did the Dutch
        // firm's profit rise?") stays with it when it answers nearly as well as the rest of the news
        var preferredIds = rewrite.PreferredArticleIds.Count > 0 ? rewrite.PreferredArticleIds
            : history.Count > 0 && !history[^1].Refused ? history[^1].CitedArticleIds : [];
        double margin = rewrite.IsFollowUp ? FollowUpMargin : ConversationMargin;
        RetrievalResult retrieval;
        IReadOnlyList<SearchHit> hits;
        double relevance;
        if (preferredIds.Count > 0)
        {
            var preferred = await retriever.SearchAsync(new RetrievalRequest
            {
                Query = parsed.SearchText, Top = options.RetrievalTop, Filter = filter with { ArticleIds = preferredIds }, RecencyWeight = recency,
            }, ct).ConfigureAwait(false);
            var global = await retriever.SearchAsync(new RetrievalRequest
            {
                Query = parsed.SearchText, Top = options.RetrievalTop, Filter = filter, RecencyWeight = recency, QueryVector = preferred.QueryVector,
            }, ct).ConfigureAwait(false);
            var prefRel = Relevance(preferred.Hits, parsed.SearchText, global.TermStats);
            var globalRel = Relevance(global.Hits, parsed.SearchText, global.TermStats);
            if (preferred.Hits.Count > 0 && prefRel >= (llm is null ? options.RelevanceThreshold : options.MinRelevanceWithLlm) && prefRel + margin >= globalRel)
            {
                retrieval = preferred;
                hits = preferred.Hits.Concat(global.Hits.Where(g => !preferred.Hits.Any(p => p.Article.Id == g.Article.Id && p.Position == g.Position))).Take(options.RetrievalTop).ToList();
                relevance = prefRel;
            }
            else
            {
                retrieval = global;
                hits = global.Hits;
                relevance = globalRel;
            }
            timings["retrieval"] = preferred.EmbeddingMs + preferred.SearchMs + global.EmbeddingMs + global.SearchMs;
        }
        else
        {
            retrieval = await retriever.SearchAsync(new RetrievalRequest { Query = parsed.SearchText, Top = options.RetrievalTop, Filter = filter, RecencyWeight = recency }, ct).ConfigureAwait(false);
            hits = retrieval.Hits;
            relevance = Relevance(hits, parsed.SearchText, retrieval.TermStats);
            timings["query_embedding"] = retrieval.EmbeddingMs;
            timings["search"] = retrieval.SearchMs;
        }

        AnswerResult result;
        var threshold = llm is null ? options.RelevanceThreshold : options.MinRelevanceWithLlm;
        if (hits.Count == 0 || relevance < threshold)
        {
            result = Refusal(question, standalone, hits, lang, await RefusalInQuestionLanguageAsync(question, now, ct).ConfigureAwait(false));
            logger.LogInformation("Refused {Question}: relevance {Relevance:0.000} below {Threshold}", question, relevance, threshold);
        }
        else
        {
            var sw = Stopwatch.StartNew();
            result = await ComposeAsync(new AnswerComposition(question, standalone, parsed.SearchText, retrieval.QueryVector, hits, lang, now)
            {
                Focus = rewrite.IsFollowUp ? rewrite.Focus : null, PreviousAnswer = rewrite.IsFollowUp ? history[^1].Answer : null,
            }, ct).ConfigureAwait(false);
            timings["answer"] = sw.Elapsed.TotalMilliseconds;
        }
        timings["total"] = total.Elapsed.TotalMilliseconds;
        result = result with { TimingsMs = timings, Relevance = Math.Round(relevance, 4) };
        return await SaveTurnAsync(request, result, now, ct).ConfigureAwait(false);
    }

    async Task<AnswerResult> SaveTurnAsync(AnswerRequest request, AnswerResult result, DateTimeOffset now, CancellationToken ct)
    {
        if (request.ConversationId is { } id)
        {
            await conversations.AppendAsync(new ConversationTurn
            {
                ConversationId = id,
                Question = result.Question,
                StandaloneQuery = result.StandaloneQuery,
                Answer = result.Answer,
                CitedArticleIds = result.Citations.Select(c => c.Article.Id).Distinct().ToList(),
                Refused = result.Refused,
                At = now,
            }, options.MaxStoredTurns, ct).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>How much less relevant the articles a follow-up's conversation cited may be than the best of the rest and still be preferred.</summary>
    public const double FollowUpMargin = 0.1;

    /// <summary>The same for any other question asked in a conversation: the story under discussion wins near ties.</summary>
    public const double ConversationMargin = 0.05;

    public Task ResetConversationAsync(string conversationId, CancellationToken ct = default) => conversations.ClearAsync(conversationId, ct);

    async Task<AnswerResult> ComposeAsync(AnswerComposition c, CancellationToken ct)
    {
        string? note = null;
        if (llm is not null)
        {
            (var answered, note) = await ComposeWithLlmAsync(llm, c, ct).ConfigureAwait(false);
            if (answered is not null) return answered;
        }
        return await ComposeExtractivelyAsync(c, note, ct).ConfigureAwait(false);
    }

    /// <summary>The language model's answer, or null and the note that says why the answer is extractive.</summary>
    async Task<(AnswerResult? Answer, string? Note)> ComposeWithLlmAsync(ILlmAnswerer model, AnswerComposition c, CancellationToken ct)
    {
        var (question, standalone, hits, lang, now) = (c.Question, c.Standalone, c.Hits, c.Lang, c.Now);
        var sources = BuildSources(hits);
        try
        {
            // the model is told the local date, the one "today" and "yesterday" were filtered by
            var raw = (await model.AnswerAsync(standalone, sources.Select(s => s.Prompt).ToList(), TimeZoneInfo.ConvertTime(now, _zone), ct).ConfigureAwait(false)).Trim();
            // a citation whose source does not hold the cited sentence's names and numbers is removed
            var (supported, unsupported) = CitationSupport.Prune(raw, sources.Select(s => s.Prompt.Article.Title + "\n" + s.Prompt.Text).ToList());
            if (unsupported > 0) logger.LogInformation("Removed {Count} citations whose source does not support the sentence", unsupported);
            var check = Citations.Check(supported, sources.Count);
            // "NO_ANSWER: …" as asked, or dressed up ("**NO_ANSWER:** …", "I'm sorry. NO_ANSWER: …") without a citation
            if (NoAnswerMessage(raw, startOnly: check.CitedSources.Count > 0) is { } message)
                return (Refusal(question, standalone, hits, lang, message.Length > 0 ? message : null, AnswerMode.Llm), null);
            if (check.CitedSources.Count > 0)
            {
                if (check.Dropped > 0) logger.LogInformation("Dropped {Count} citation markers that pointed at no source", check.Dropped);
                var citations = check.CitedSources.Select((orig, i) => ToCitation(i + 1, sources[orig - 1].Hits)).ToList();
                return (new AnswerResult
                {
                    Question = question, StandaloneQuery = standalone, Answer = check.Text, Refused = false, Mode = AnswerMode.Llm, Citations = citations,
                }, null);
            }
            logger.LogWarning("The language model's answer cited no valid source; answering extractively instead");
            return (null, Language.UncitedNote(lang));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("The language model failed ({Error}); answering extractively instead", ex.Message);
            return (null, Language.FallbackNote(lang));
        }
    }

    /// <summary>The extractive answer (after a language model's failure, with its <paramref name="note"/>), or a refusal.</summary>
    async Task<AnswerResult> ComposeExtractivelyAsync(AnswerComposition c, string? note, CancellationToken ct)
    {
        var (question, standalone, searchText, queryVector, hits, lang) = (c.Question, c.Standalone, c.SearchText, c.QueryVector, c.Hits, c.Lang);

        // a year or model number the question asks about ("the 2031 census", "the Model 9 phone"): sources that never
        // mention it are about something else, however close their words
        var asked = AskedNumbers(searchText);
        if (asked.Count > 0)
        {
            hits = await MentioningAsync(hits, asked, ct).ConfigureAwait(false);
            if (hits.Count == 0)
            {
                logger.LogInformation("Refused {Question}: no source mentions {Numbers}", question, string.Join(", ", asked));
                return Refusal(question, standalone, [], lang) with { Note = note };
            }
        }
        // the answer may sit in a passage of a well-ranked article that ranked below the cut (a detail deep in a long column)
        if (options.ReadWholeArticles > 0) hits = await WithRestOfTopArticlesAsync(searchText, queryVector, hits, options.ReadWholeArticles, ct).ConfigureAwait(false);
        // the answerability judgement for every question (JudgeAnswerability), or by default for those asking for an amount, a
        // score, a date or a person: there the usual choice of sentences stands when one of them answers, and the judgement
        // otherwise quotes the best sentence that does, or refuses
        bool judge = options.JudgeAnswerability || (options.JudgeTypedQuestions && ExtractiveAnswerer.AsksTypedAnswer(c.Focus ?? searchText));
        var bodies = judge || options.SentenceModel || options.SentenceRanker || options.AnswerabilityModel || extractive.WantsArticleBodies ? await ArticleBodiesAsync(hits, ct).ConfigureAwait(false) : null;
        var answer = await extractive.AnswerAsync(searchText, queryVector, hits, options.MaxSentences, c.Focus, c.PreviousAnswer, ct, judge, QueryParser.WithoutOutletFilters(standalone), bodies, options.SentenceModel, options.SentenceRanker,
            options.CutQuotes ? options.CutQuoteWords : 0, options.AnswerabilityModel, keepAnsweringDefault: !options.JudgeAnswerability).ConfigureAwait(false);
        // no sentence answers the question (ExtractiveAnswerer.Judge): refuse, listing the closest headlines; when the
        // best source covers every name the question gives, say what it covers and what it lacks, citing it
        if (answer is { Shortfall: var (gap, source) }) return ShortfallRefusal(question, standalone, hits, lang, gap, source) with { Note = note, SentenceScore = answer.BestScore };
        // a "how many" or "when" question whose best source gives no number or date is not answered by it
        if (answer is { HoldsAskedKind: false })
        {
            logger.LogInformation("Refused {Question}: the best source gives no number or date, which the question asks for", question);
            return Refusal(question, standalone, hits, lang) with { Note = note, SentenceScore = answer.BestScore };
        }
        // the learned scorer's probability and the ranker's answerability have their own thresholds, applied by the answerer (a Shortfall above)
        if (answer is null || (!options.SentenceModel && !options.SentenceRanker && answer.BestScore < options.MinSentenceScore))
            return Refusal(question, standalone, hits, lang) with { Note = note, SentenceScore = answer?.BestScore };
        var cites = answer.Sources.Select((h, i) => ToCitation(i + 1, [h]) with
        {
            Snippet = string.Join(" ", answer.Sentences.Where(s => s.Source.Article.Id == h.Article.Id).Select(s => s.Text)),
        }).ToList();
        return new AnswerResult
        {
            Question = question, StandaloneQuery = standalone, Answer = answer.Text, Refused = false, Mode = AnswerMode.Extractive, Citations = cites, Note = note,
            SentenceScore = Math.Round(answer.BestScore, 4),
        };
    }

    /// <summary>The headline and whole text of each hit's article, where the store is at hand (null otherwise).</summary>
    async Task<IReadOnlyDictionary<string, string>?> ArticleBodiesAsync(IReadOnlyList<SearchHit> hits, CancellationToken ct)
    {
        if (articles is null) return null;
        var found = await articles.GetArticlesAsync(hits.Select(h => h.Article.Id).Distinct().ToList(), ct).ConfigureAwait(false);
        return found.ToDictionary(a => a.Id, a => a.Article.Title + "\n" + a.Body);
    }

    /// <summary>The hits, then the other passages of the first <paramref name="articleCount"/> articles among them, best first.</summary>
    async Task<IReadOnlyList<SearchHit>> WithRestOfTopArticlesAsync(string query, float[] queryVector, IReadOnlyList<SearchHit> hits, int articleCount, CancellationToken ct)
    {
        var top = hits.Select(h => h.Article.Id).Distinct().Take(articleCount).ToList();
        if (top.Count == 0) return hits;
        var rest = await retriever.SearchAsync(new RetrievalRequest
        {
            Query = query, QueryVector = queryVector, Top = top.Count * PassagesPerArticle, Filter = SearchFilter.None with { ArticleIds = top, IncludeUndated = true },
        }, ct).ConfigureAwait(false);
        var have = hits.Select(h => (h.Article.Id, h.Position)).ToHashSet();
        return [.. hits, .. rest.Hits.Where(h => have.Add((h.Article.Id, h.Position)))];
    }

    /// <summary>How many passages of each article <see cref="WithRestOfTopArticlesAsync"/> reads at most.</summary>
    const int PassagesPerArticle = 6;

    /// <summary>The years (1900–2099) and the numbers that follow a name ("Model 9", "Airbus A380") in a question.</summary>
    public static IReadOnlyList<string> AskedNumbers(string question)
        => AskedNumber().Matches(question).Select(m => m.Groups["n"].Value).Distinct().ToList();

    /// <summary>
    /// The message of the model's "not covered" line (<see cref="ILlmAnswerer.NoAnswerPrefix"/>), "" when it gives
    /// none, null when there is no such line (or, with <paramref name="startOnly"/>, when it does not open the reply).
    /// </summary>
    static string? NoAnswerMessage(string raw, bool startOnly)
        => NoAnswer().Match(raw) is { Success: true } no && (no.Index == 0 || !startOnly)
            ? no.Groups["message"].Value.Trim(' ', '*', '_', '\n', '\r', '\t')
            : null;

    /// <summary>The model's "not covered" line, possibly in Markdown or after an apology.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"[\s*_#>""'`]*NO[_ ]ANSWER\b[*_]*\s*:?[*_]*(?<message>.*)", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex NoAnswer();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\d.,])(?:(?<n>(?:19|20)\d\d)|(?<=\b\p{Lu}[\p{L}\-]+ )(?<n>\d{1,4}))(?![\d.,]\d|[\p{L}%])")]
    private static partial System.Text.RegularExpressions.Regex AskedNumber();

    /// <summary>The hits whose article (the whole article when the store is at hand) mentions every asked number; a year is also covered by the article's date when it is that year or later.</summary>
    async Task<IReadOnlyList<SearchHit>> MentioningAsync(IReadOnlyList<SearchHit> hits, IReadOnlyList<string> numbers, CancellationToken ct)
    {
        var ids = hits.Select(h => h.Article.Id).Distinct().ToList();
        var bodies = new Dictionary<string, string>();
        if (articles is not null)
            foreach (var a in await articles.GetArticlesAsync(ids, ct).ConfigureAwait(false)) bodies[a.Id] = a.Article.Title + "\n" + a.Body;
        var keep = new HashSet<string>();
        foreach (var id in ids)
        {
            var ofArticle = hits.Where(h => h.Article.Id == id).ToList();
            var text = bodies.GetValueOrDefault(id) ?? ofArticle[0].Article.Title + "\n" + string.Join("\n", ofArticle.Select(h => h.Text));
            var words = LexicalAnalyzer.Words(text).ToHashSet();
            int? published = ofArticle[0].Article.Published?.Year;
            // a year is also covered by an article from that year or later ("last year's returns"), never by an older or undated one that does not name it
            if (numbers.All(n => words.Contains(n) || (n.Length == 4 && published is { } y && y >= int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)))) keep.Add(id);
        }
        return hits.Where(h => keep.Contains(h.Article.Id)).ToList();
    }

    sealed record SourceGroup(PromptSource Prompt, List<SearchHit> Hits);

    /// <summary>Numbered sources for the prompt: one per article, its best passages joined, in retrieval order.</summary>
    List<SourceGroup> BuildSources(IReadOnlyList<SearchHit> hits)
    {
        var groups = new List<SourceGroup>();
        foreach (var h in hits)
        {
            var g = groups.FirstOrDefault(x => x.Hits[0].Article.Id == h.Article.Id);
            if (g is null)
            {
                if (groups.Count >= options.MaxSources) continue;
                groups.Add(new SourceGroup(null!, [h]));
            }
            else if (g.Hits.Count < 3) g.Hits.Add(h);
        }
        return groups.Select((g, i) =>
        {
            var first = g.Hits[0];
            var text = string.Join("\n…\n", g.Hits.OrderBy(h => h.Position).Select(h => h.Text));
            return g with { Prompt = new PromptSource(i + 1, first.Article, text) };
        }).ToList();
    }

    static Citation ToCitation(int n, List<SearchHit> hits) => new()
    {
        N = n,
        Article = hits[0].Article,
        Snippet = TextNormalizer.Truncate(hits[0].Text.Replace("\n\n", " "), 400),
    };

    /// <summary>
    /// A question in a language NewsBot has no refusal text for (Polish, Japanese, …) is refused in that language
    /// when a model is configured: asked with no sources, the Answer prompt can only reply NO_ANSWER, in the
    /// question's language. Null (the built-in text) without a model, for the built-in languages, or when the
    /// model fails or replies anything else.
    /// </summary>
    async Task<string?> RefusalInQuestionLanguageAsync(string question, DateTimeOffset now, CancellationToken ct)
    {
        if (llm is null || Language.HasMessages(question)) return null;
        try
        {
            var raw = (await llm.AnswerAsync(question, [], TimeZoneInfo.ConvertTime(now, _zone), ct).ConfigureAwait(false)).Trim();
            if (NoAnswerMessage(raw, startOnly: false) is { Length: > 0 and <= 300 } message) return message;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("The language model could not phrase the refusal ({Error}); using the built-in text", ex.Message);
        }
        return null;
    }
}
