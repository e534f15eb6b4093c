using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;

namespace NewsBot.Core.Coverage;

/// <summary>The story a coverage answer is about (the optional <c>story</c> of <c>ask --json</c>).</summary>
public sealed record StoryCoverage(string StoryId, string Title, CoverageKind Kind, IReadOnlyList<string> Outlets);

/// <summary>
/// Answers coverage questions from a story: finds it (the story of the best-matching article for the question's
/// topic, or of the articles the conversation's previous answer cited when the question leans on it), then lists
/// every outlet that covered it, says who had it first by publication time, or sets the outlets' accounts side by
/// side — with the language model's <c>CompareCoverage</c> prompt when there is one, else from the articles' own
/// sentences (<see cref="CoverageComparison"/>). Every outlet named is cited with its own article, and only the
/// story's articles are cited. Null when there is no story to answer from: the question is then answered as usual.
/// </summary>
public sealed partial class CoverageAnswerer(
    Retriever retriever,
    IStoryStore stories,
    IArticleStore articles,
    AnsweringOptions options,
    ILogger<CoverageAnswerer> logger,
    ICoverageComparer? comparer = null)
{
    readonly TimeZoneInfo _zone = options.ResolveTimeZone();

    /// <summary>At most this many of a story's articles are read (the earliest).</summary>
    public const int MaxArticles = 60;

    /// <summary>The outlets list shows at most this many articles of one outlet.</summary>
    const int ArticlesPerOutlet = 3;

    /// <summary>How many articles of each outlet the comparison reads.</summary>
    const int ComparedPerOutlet = 2;

    /// <param name="conversationArticleIds">The articles the conversation's previous answer cited ("it", "their" refer to their story).</param>
    /// <param name="threshold">The relevance below which the question's topic matches no story.</param>
    public async Task<AnswerResult?> AnswerAsync(CoverageQuestion q, string question, string standalone, IReadOnlyList<string> conversationArticleIds,
        double threshold, DateTimeOffset now, CancellationToken ct = default)
    {
        // outlets the question names must be outlets NewsBot knows ("when did the ministry first report it?" is no coverage question)
        var known = (await articles.GetOutletsAsync(ct).ConfigureAwait(false)).Select(o => o.Outlet).ToList();
        var named = new List<string>();
        foreach (var name in q.OutletNames)
        {
            if (OutletMatch(name, known) is not { } outlet) return null;
            named.Add(outlet);
        }

        var (story, relevance) = await FindStoryAsync(q, standalone, named, conversationArticleIds, threshold, now, ct).ConfigureAwait(false);
        if (story is null || story.Articles.Count == 0) return null;
        var refs = story.Articles.Take(MaxArticles).ToList();
        var records = (await articles.GetArticlesAsync(refs.Select(a => a.Id).ToList(), ct).ConfigureAwait(false)).ToDictionary(r => r.Id);
        var outlets = refs.GroupBy(Label).Select(g => (Outlet: g.Key, Articles: g.ToList())).ToList();
        var sources = new Sources(records);
        var mode = AnswerMode.Extractive;
        string? note = null;
        string text;
        switch (q.Kind)
        {
            case CoverageKind.Outlets:
                text = OutletsAnswer(story, outlets, sources);
                break;
            case CoverageKind.First:
                text = named.Count > 0 ? WhenOutletFirst(named[0], refs, outlets, sources) : WhoFirst(refs, outlets, sources);
                break;
            default:
                var compare = named.Count > 0 ? named[0] : null;
                var against = named.Count > 1 ? named[1] : null;
                var missing = named.FirstOrDefault(n => !outlets.Any(o => o.Outlet == n));
                if (missing is not null) text = NotCovered(missing, outlets, sources);
                else if (outlets.Count == 1) text = $"Only {outlets[0].Outlet} covered this story, so there are no other accounts to compare: {Headline(outlets[0].Articles[0], sources)}.";
                else
                {
                    (text, mode, note) = await CompareWithModelAsync(question, standalone, outlets, compare, against, sources, now, ct).ConfigureAwait(false);
                    if (mode != AnswerMode.Llm) text = DifferencesAnswer(story, outlets, compare, against, records, sources);
                }
                break;
        }

        var check = Citations.Check(text, sources.Count);
        var citations = check.CitedSources.Select((orig, i) => sources.Citation(orig, i + 1)).ToList();
        logger.LogInformation("Coverage question ({Kind}) answered from story {Story} ({Outlets} outlets)", q.Kind, story.Id, outlets.Count);
        return new AnswerResult
        {
            Question = question,
            StandaloneQuery = standalone,
            Answer = check.Text,
            Refused = false,
            Mode = mode,
            Citations = citations,
            Note = note,
            Relevance = relevance is { } r ? Math.Round(r, 4) : null,
            Story = new StoryCoverage(story.Id, story.Title, q.Kind, outlets.Select(o => o.Outlet).ToList()),
        };
    }

    async Task<(Story? Story, double? Relevance)> FindStoryAsync(CoverageQuestion q, string standalone, List<string> named, IReadOnlyList<string> conversationArticleIds,
        double threshold, DateTimeOffset now, CancellationToken ct)
    {
        // "who had it first?", "how do their accounts differ?": the story of the previous answer's articles
        if (!q.HasTopic && conversationArticleIds.Count > 0)
        {
            var found = new List<Story>();
            foreach (var id in conversationArticleIds.Take(5))
                if (await stories.GetStoryOfArticleAsync(id, ct).ConfigureAwait(false) is { } s) found.Add(s);
            // the story most of them belong to; the first cited one's on a tie
            if (found.Count > 0) return (found.GroupBy(s => s.Id).OrderByDescending(g => g.Count()).First().First(), null);
        }

        // the topic as the standalone question gives it (a follow-up's rewrite carries the conversation's topic)
        var topic = CoverageQuestions.Parse(standalone)?.Topic ?? standalone;
        foreach (var outlet in named) topic = topic.Replace(outlet, " ", StringComparison.OrdinalIgnoreCase);
        var parsed = QueryParser.Parse(topic, now, _zone);
        if (LexicalAnalyzer.QueryTerms(parsed.SearchText).Count == 0) return (null, null);
        var filter = SearchFilter.None with { PublishedAfter = parsed.Window?.After, PublishedBefore = parsed.Window?.Before, IncludeUndated = true };
        var retrieval = await retriever.SearchAsync(new RetrievalRequest { Query = parsed.SearchText, Top = options.RetrievalTop, Filter = filter }, ct).ConfigureAwait(false);
        var relevance = AnswerService.Relevance(retrieval.Hits, parsed.SearchText, retrieval.TermStats);
        if (retrieval.Hits.Count == 0 || relevance < threshold)
        {
            logger.LogInformation("Coverage question: no story matches {Topic} well enough (relevance {Relevance:0.000})", parsed.SearchText, relevance);
            return (null, relevance);
        }
        // the story of the best-matching article (of the next ones when it has none yet)
        foreach (var id in retrieval.Hits.Select(h => h.Article.Id).Distinct().Take(3))
            if (await stories.GetStoryOfArticleAsync(id, ct).ConfigureAwait(false) is { } story) return (story, relevance);
        return (null, relevance);
    }

    string OutletsAnswer(Story story, List<(string Outlet, List<ArticleRef> Articles)> outlets, Sources sources)
    {
        string Line((string Outlet, List<ArticleRef> Articles) o)
        {
            var shown = string.Join("; ", o.Articles.Take(ArticlesPerOutlet).Select(a => Headline(a, sources)));
            return o.Articles.Count > ArticlesPerOutlet ? $"{shown} (and {o.Articles.Count - ArticlesPerOutlet} more)" : shown;
        }
        if (outlets.Count == 1) return $"Only {outlets[0].Outlet} covered this story: {Line(outlets[0])}.";
        var sb = new StringBuilder($"{outlets.Count} outlets covered this story (“{TextNormalizer.CleanInline(story.Title)}”):");
        foreach (var o in outlets) sb.Append("\n- ").Append(o.Outlet).Append(": ").Append(Line(o));
        return sb.ToString();
    }

    string WhoFirst(List<ArticleRef> refs, List<(string Outlet, List<ArticleRef> Articles)> outlets, Sources sources)
    {
        var dated = refs.Where(a => a.Published is not null).OrderBy(a => a.Published).ToList();
        if (dated.Count == 0)
            return $"None of the articles about this story is dated, so I can't tell who had it first. It was covered by {Listing(outlets.Select(o => o.Articles[0]), sources)}.";
        var first = dated[0];
        if (outlets.Count == 1) return $"Only {Label(first)} covered this story; it first reported it {On(first)} {Cite(first, sources)} (“{TextNormalizer.CleanInline(first.Title)}”).";
        var sb = new StringBuilder($"{Label(first)} reported it first, {On(first)} {Cite(first, sources)} (“{TextNormalizer.CleanInline(first.Title)}”).");
        // each other outlet's first article, dated ones in order, then the undated
        var rest = outlets.Where(o => o.Outlet != Label(first))
            .Select(o => o.Articles.Where(a => a.Published is not null).OrderBy(a => a.Published).FirstOrDefault() ?? o.Articles[0])
            .OrderBy(a => a.Published is null).ThenBy(a => a.Published).ToList();
        var tied = rest.Where(a => a.Published == first.Published).ToList();
        if (tied.Count > 0) sb.Append(' ').Append(string.Join(" and ", tied.Select(a => $"{Label(a)} {Cite(a, sources)}"))).Append(" published at the same time.");
        var later = rest.Except(tied).ToList();
        if (later.Count > 0) sb.Append(" Then: ").Append(string.Join("; ", later.Select(a => $"{Label(a)} {On(a)} {Cite(a, sources)}"))).Append('.');
        return sb.ToString();
    }

    string WhenOutletFirst(string outlet, List<ArticleRef> refs, List<(string Outlet, List<ArticleRef> Articles)> outlets, Sources sources)
    {
        var own = outlets.FirstOrDefault(o => o.Outlet == outlet).Articles;
        if (own is null) return NotCovered(outlet, outlets, sources);
        var mine = own.Where(a => a.Published is not null).OrderBy(a => a.Published).FirstOrDefault() ?? own[0];
        var sb = new StringBuilder($"{outlet} first reported it {On(mine)} {Cite(mine, sources)} (“{TextNormalizer.CleanInline(mine.Title)}”).");
        var earlier = refs.Where(a => Label(a) != outlet && a.Published is not null && mine.Published is not null && a.Published < mine.Published).OrderBy(a => a.Published).FirstOrDefault();
        if (earlier is not null) sb.Append($" {Label(earlier)} had it first, {On(earlier)} {Cite(earlier, sources)}.");
        else if (outlets.Count == 1) sb.Append(" No other outlet covered it.");
        else if (mine.Published is not null) sb.Append($" No other outlet had it earlier; {outlets.Count - 1} other {(outlets.Count == 2 ? "outlet" : "outlets")} covered it too.");
        return sb.ToString();
    }

    string NotCovered(string outlet, List<(string Outlet, List<ArticleRef> Articles)> outlets, Sources sources)
        => $"{outlet} did not cover this story in my sources. It was covered by {Listing(outlets.Select(o => o.Articles[0]), sources)}.";

    /// <summary>The differences from the articles' own sentences: differing figures, then what only one outlet reports.</summary>
    string DifferencesAnswer(Story story, List<(string Outlet, List<ArticleRef> Articles)> outlets, string? compare, string? against, Dictionary<string, ArticleRecord> records, Sources sources)
    {
        var sentences = new List<CoverageSentence>();
        foreach (var (outlet, list) in outlets)
            foreach (var a in list.Take(ComparedPerOutlet))
            {
                if (!records.TryGetValue(a.Id, out var record)) continue;
                foreach (var paragraph in record.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                    foreach (var s in SentenceSplitter.Split(paragraph)) sentences.Add(new CoverageSentence(outlet, a.Id, s.Trim()));
            }
        var diff = CoverageComparison.Compare(sentences, compare, against);
        var byId = outlets.SelectMany(o => o.Articles).ToDictionary(a => a.Id);
        string Quote(CoverageSentence s)
        {
            // an article's own bracketed numbers ("… said so [3].") would read as citations of the answer's sources
            var clean = OwnReference().Replace(s.Text, "").Trim();
            sources.Quote(byId[s.ArticleId], clean);
            return $"“{TextNormalizer.Truncate(clean, 300)}” {Cite(byId[s.ArticleId], sources)}";
        }

        var sb = new StringBuilder(compare is null
            ? $"How the {outlets.Count} outlets' accounts of “{TextNormalizer.CleanInline(story.Title)}” differ:"
            : $"What {compare} reports that {against ?? "the other outlets"} {(against is null ? "do" : "does")} not:");
        if (diff.Disagreements.Count > 0)
        {
            sb.Append("\n\nFigures that differ:");
            foreach (var d in diff.Disagreements)
                sb.Append("\n- ").Append(string.Join(" — ", d.Sides.Select(f => $"{f.Sentence.Outlet} says {f.Value}: {Quote(f.Sentence)}")));
        }
        foreach (var group in diff.Exclusives.GroupBy(s => s.Outlet))
            sb.Append($"\n\nOnly {group.Key} reports: ").Append(string.Join(" ", group.Select(Quote)));
        if (diff.Disagreements.Count == 0 && diff.Exclusives.Count == 0)
        {
            var compared = outlets.Where(o => compare is null || o.Outlet == compare || against is null || o.Outlet == against).Select(o => o.Articles[0]);
            sb.Clear().Append($"I found no figures that differ and nothing one outlet reports that the others lack in the accounts of {Listing(compared, sources)}.");
        }
        return sb.ToString();
    }

    /// <summary>The model's comparison (mode Llm), or the reason to build it offline (mode Extractive, with a note when the model failed).</summary>
    async Task<(string Text, AnswerMode Mode, string? Note)> CompareWithModelAsync(string question, string standalone, List<(string Outlet, List<ArticleRef> Articles)> outlets,
        string? compare, string? against, Sources sources, DateTimeOffset now, CancellationToken ct)
    {
        if (comparer is null) return ("", AnswerMode.Extractive, null);
        var chosen = outlets.Where(o => compare is null || o.Outlet == compare || against is null || o.Outlet == against)
            .SelectMany(o => o.Articles.Take(ComparedPerOutlet)).ToList();
        var prompt = chosen.Select((a, i) => new PromptSource(i + 1, a with { Outlet = Label(a) }, TextNormalizer.Truncate(sources.Body(a.Id), PromptChars))).ToList();
        var lang = Language.Detect(question);
        try
        {
            var raw = (await comparer.CompareCoverageAsync(standalone, prompt, TimeZoneInfo.ConvertTime(now, _zone), ct).ConfigureAwait(false)).Trim();
            var check = Citations.Check(raw, prompt.Count);
            if (check.CitedSources.Count > 0 && !raw.StartsWith(ILlmAnswerer.NoAnswerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                // the model's numbers, turned into the answer's: each cited source maps to its article
                var text = Marker().Replace(check.Text, m => Cite(chosen[check.CitedSources[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1] - 1], sources));
                return (text, AnswerMode.Llm, null);
            }
            logger.LogWarning("The language model's coverage comparison cited no valid source; comparing offline instead");
            return ("", AnswerMode.Extractive, Language.UncitedNote(lang));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("The language model failed to compare the coverage ({Error}); comparing offline instead", ex.Message);
            return ("", AnswerMode.Extractive, Language.FallbackNote(lang));
        }
    }

    /// <summary>How much of each article the CompareCoverage prompt gets.</summary>
    const int PromptChars = 3000;

    /// <summary>"“Headline” (25 November 2026) [n]".</summary>
    string Headline(ArticleRef a, Sources sources) => $"“{TextNormalizer.CleanInline(a.Title)}” ({When(a)}) {Cite(a, sources)}";

    /// <summary>"Northern Ledger [1], Valley Wire [2] and Town Crier [3]".</summary>
    static string Listing(IEnumerable<ArticleRef> firsts, Sources sources)
    {
        var items = firsts.Select(a => $"{Label(a)} {Cite(a, sources)}").ToList();
        return items.Count <= 1 ? string.Concat(items) : string.Join(", ", items[..^1]) + " and " + items[^1];
    }

    static string Cite(ArticleRef a, Sources sources) => $"[{sources.Number(a)}]";

    string On(ArticleRef a) => a.Published is null ? "(date unknown)" : "on " + When(a);

    /// <summary>The local date, with the time of day when the article gives one.</summary>
    string When(ArticleRef a)
    {
        if (a.Published is not { } d) return "date unknown";
        var local = TimeZoneInfo.ConvertTime(d, _zone);
        var date = local.ToString("d MMMM yyyy", CultureInfo.InvariantCulture);
        return local.TimeOfDay == TimeSpan.Zero ? date : date + " at " + local.ToString("HH:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>The outlet an article counts for: its outlet, else its site, else its headline.</summary>
    public static string Label(ArticleRef a)
    {
        if (!string.IsNullOrWhiteSpace(a.Outlet)) return a.Outlet.Trim();
        if (Uri.TryCreate(a.Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri.Host.StartsWith("www.", StringComparison.Ordinal) ? uri.Host[4..] : uri.Host;
        return $"“{TextNormalizer.CleanInline(a.Title)}”";
    }

    /// <summary>The known outlet a name in a question stands for: the same name (without "the", any case), else the one it is part of or that is part of it.</summary>
    public static string? OutletMatch(string name, IReadOnlyList<string> outlets)
    {
        static string Norm(string s) => string.Join(' ', LexicalAnalyzer.Words(s).SkipWhile(w => w == "the"));
        var n = Norm(name);
        if (n.Length == 0) return null;
        return outlets.FirstOrDefault(o => Norm(o) == n)
            ?? outlets.FirstOrDefault(o => (" " + Norm(o) + " ").Contains(" " + n + " ", StringComparison.Ordinal))
            ?? outlets.FirstOrDefault(o => Norm(o).Length >= 3 && (" " + n + " ").Contains(" " + Norm(o) + " ", StringComparison.Ordinal));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\s?(?:\[|【)[^\]】\n]{0,20}(?:\]|】)")]
    private static partial System.Text.RegularExpressions.Regex OwnReference();

    [System.Text.RegularExpressions.GeneratedRegex(@"\[(\d+)\]")]
    private static partial System.Text.RegularExpressions.Regex Marker();

    /// <summary>The articles an answer cites, numbered in order of first citation, with the passage that supports each.</summary>
    sealed class Sources(Dictionary<string, ArticleRecord> records)
    {
        readonly List<ArticleRef> _cited = [];
        readonly Dictionary<string, List<string>> _quotes = [];

        public int Count => _cited.Count;

        public int Number(ArticleRef a)
        {
            int i = _cited.FindIndex(c => c.Id == a.Id);
            if (i >= 0) return i + 1;
            _cited.Add(a);
            return _cited.Count;
        }

        public void Quote(ArticleRef a, string sentence)
        {
            if (!_quotes.TryGetValue(a.Id, out var list)) _quotes[a.Id] = list = [];
            if (!list.Contains(sentence)) list.Add(sentence);
        }

        public string Body(string id) => records.TryGetValue(id, out var r) ? r.Body : "";

        /// <summary>Source <paramref name="original"/> as citation [<paramref name="n"/>]: its quoted sentences, else its opening.</summary>
        public Citation Citation(int original, int n)
        {
            var a = _cited[original - 1];
            var snippet = _quotes.TryGetValue(a.Id, out var q) ? string.Join(" ", q) : Body(a.Id).Split("\n\n", 2)[0];
            return new Citation
            {
                N = n, Article = a,
                Snippet = TextNormalizer.Truncate(snippet.Replace("\n", " "), 400),
            };
        }
    }
}
