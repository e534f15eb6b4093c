using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>A sentence chosen from a source, with the source it came from.</summary>
public sealed record QuotedSentence(string Text, SearchHit Source, double Score);

/// <summary>The extractive answer: quoted sentences grouped by source, each cited.</summary>
public sealed record ExtractiveAnswer(string Text, IReadOnlyList<SearchHit> Sources, IReadOnlyList<QuotedSentence> Sentences, double BestScore);

/// <summary>
/// Answers without a language model, and never invents text: it splits the retrieved passages into
/// sentences, scores each against the question (embedding similarity, how many of the question's
/// rarer words it contains, whether it holds the kind of thing asked for — a number for "how many",
/// a date for "when", a name for "who" — and how well its passage ranked), keeps the best few that
/// do not repeat each other, and writes them grouped by source, each with its [n] and the source's date.
/// </summary>
public sealed partial class ExtractiveAnswerer(Embedder embedder)
{
    /// <param name="question">The standalone question (with a follow-up's carried topic).</param>
    /// <param name="focus">For a follow-up: what the user asked this time ("what about NATO?"); its words weigh more than the carried topic.</param>
    /// <param name="alreadySaid">The previous answer in the conversation: sentences it quoted are not repeated.</param>
    public async Task<ExtractiveAnswer?> AnswerAsync(string question, float[] queryVector, IReadOnlyList<SearchHit> hits, int maxSentences, string? focus = null, string? alreadySaid = null, CancellationToken ct = default)
    {
        var said = alreadySaid is null ? "" : TextNormalizer.Canonical(alreadySaid);
        var candidates = new List<(string Text, SearchHit Hit, int Rank, int Order)>();
        var previous = new Dictionary<int, string>(); // candidate index → the sentence before it in its passage
        // articles ranked by their best passage: the answer should come from the best-ranked article unless another clearly answers better
        var articleRank = new Dictionary<string, int>();
        foreach (var h in hits) articleRank.TryAdd(h.ArticleId, articleRank.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int rank = 0; rank < hits.Count; rank++)
        {
            int order = 0;
            string? before = null;
            foreach (var paragraph in hits[rank].Text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var s in SentenceSplitter.Split(paragraph))
                {
                    order++;
                    var prior = before;
                    before = s;
                    var words = s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                    if (words < 4 || words > 90) continue;
                    var canonical = TextNormalizer.Canonical(s);
                    if (!seen.Add(hits[rank].ArticleId + "|" + canonical)) continue;
                    if (said.Length > 0 && canonical.Length > 20 && said.Contains(canonical, StringComparison.Ordinal)) continue;
                    if (prior is not null) previous[candidates.Count] = prior;
                    candidates.Add((s, hits[rank], rank, hits[rank].Position * 1000 + order));
                }
            }
        }
        if (candidates.Count == 0) return null;

        var qTerms = LexicalAnalyzer.QueryTerms(question).Distinct().ToList();
        var focusTerms = focus is null ? [] : LexicalAnalyzer.QueryTerms(focus).Distinct().ToHashSet();
        float[]? focusVector = focusTerms.Count > 0 ? await embedder.EmbedQueryAsync(focus!, ct).ConfigureAwait(false) : null;
        double Weight(string t) => focusTerms.Count == 0 || focusTerms.Contains(t) ? 1.0 : 0.35;
        var sentenceTerms = candidates.Select(c => LexicalAnalyzer.DocumentTerms(c.Text).ToHashSet()).ToList();
        var titleTerms = candidates.Select(c => LexicalAnalyzer.DocumentTerms(c.Hit.Title).ToHashSet()).ToList();
        // local IDF over the candidate sentences: rarer words weigh more
        var idf = qTerms.ToDictionary(t => t, t => Weight(t) * Math.Log(1 + candidates.Count / (1.0 + sentenceTerms.Count(s => s.Contains(t)))));
        double idfTotal = idf.Values.Sum();
        var kind = Classify(question);

        var vectors = await embedder.EmbedPassagesAsync(candidates.Select(c => c.Text).ToList(), ct).ConfigureAwait(false);
        var scored = new List<(int Index, double Score)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            double dense = VectorMath.Dot(vectors[i], queryVector);
            if (focusVector is not null) dense = 0.4 * dense + 0.6 * VectorMath.Dot(vectors[i], focusVector);
            double coverage = 0;
            if (idfTotal > 0)
            {
                foreach (var t in qTerms)
                {
                    if (sentenceTerms[i].Contains(t)) coverage += idf[t];
                    else if (titleTerms[i].Contains(t)) coverage += 0.35 * idf[t]; // the headline gives the sentence its topic
                }
                coverage /= idfTotal;
            }
            double bonus = AnswerTypeBonus(kind, candidates[i].Text, question);
            double prior = ArticlePrior / (1 + articleRank[candidates[i].Hit.ArticleId]) + 0.02 / (1 + candidates[i].Rank);
            scored.Add((i, 0.5 * dense + 0.4 * coverage + bonus + prior));
        }
        scored.Sort((a, b) => b.Score.CompareTo(a.Score));

        var chosen = new List<int>();
        double best = scored[0].Score;
        int totalWords = 0;
        foreach (var (i, score) in scored)
        {
            if (chosen.Count >= maxSentences) break;
            if (chosen.Count > 0 && score < best * 0.8) break;
            var words = candidates[i].Text.Split(' ').Length;
            if (chosen.Count > 0 && totalWords + words > 120) continue;
            if (chosen.Any(j => Jaccard(sentenceTerms[i], sentenceTerms[j]) > 0.5)) continue;
            chosen.Add(i);
            totalWords += words;
        }

        // a sentence that opens with "He", "It", "They"… gets the sentence before it, so the quote says who
        string WithContext(int i)
        {
            var text = candidates[i].Text;
            var first = text.Split(' ', 2)[0].Trim('“', '"', '‘', '\'');
            if (!Anaphora.Contains(first) || !previous.TryGetValue(i, out var before)) return text;
            if (chosen.Any(j => candidates[j].Text == before) || before.Split(' ').Length > 45) return text;
            return before + " " + text;
        }

        // group by source in order of first use; within a source, in article order
        var sourceOrder = new List<string>();
        foreach (var i in chosen)
            if (!sourceOrder.Contains(candidates[i].Hit.ArticleId)) sourceOrder.Add(candidates[i].Hit.ArticleId);
        var sources = new List<SearchHit>();
        var quoted = new List<QuotedSentence>();
        var sb = new StringBuilder();
        foreach (var articleId in sourceOrder)
        {
            var group = chosen.Where(i => candidates[i].Hit.ArticleId == articleId).OrderBy(i => candidates[i].Order).ToList();
            var hit = candidates[group[0]].Hit;
            sources.Add(hit);
            int n = sources.Count;
            if (sb.Length > 0) sb.Append("\n\n");
            sb.Append(Lead(hit)).Append(' ');
            sb.Append(string.Join(" ", group.Select(i => WithMarker(WithContext(i), n))));
            quoted.AddRange(group.Select(i => new QuotedSentence(candidates[i].Text, hit, scored.First(s => s.Index == i).Score)));
        }
        return new ExtractiveAnswer(sb.ToString(), sources, quoted, best);
    }

    static readonly HashSet<string> Anaphora = new(StringComparer.Ordinal) { "He", "She", "They", "It", "This", "That", "These", "Those", "His", "Her", "Their", "Its", "Such" };

    /// <summary>How much being retrieved first counts for an article's sentences (halved for the second article, …).</summary>
    public const double ArticlePrior = 0.04;

    /// <summary>"According to Outlet (12 March 2025):" — or the headline when the outlet is unknown.</summary>
    public static string Lead(SearchHit hit)
    {
        var who = !string.IsNullOrWhiteSpace(hit.Outlet) ? hit.Outlet : $"“{hit.Title}”";
        var when = hit.Published is { } d ? $" ({d.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)})" : "";
        return $"According to {who}{when}:";
    }

    /// <summary>"… were killed [1]." — the marker goes before the sentence's closing punctuation (and quotes).</summary>
    public static string WithMarker(string sentence, int n)
    {
        var s = sentence.Trim();
        int end = s.Length;
        while (end > 0 && "\"”’'»)".Contains(s[end - 1])) end--;
        bool quoteClosed = end < s.Length;
        if (end > 0 && ".!?…".Contains(s[end - 1]) && !quoteClosed)
        {
            int p = end - 1;
            while (p > 0 && ".!?…".Contains(s[p - 1])) p--;
            return s[..p] + $" [{n}]" + s[p..];
        }
        if (quoteClosed) return s + $" [{n}]";
        return s + $" [{n}].";
    }

    static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        int inter = a.Count(b.Contains);
        return inter / (double)(a.Count + b.Count - inter);
    }

    internal enum QuestionKind { Other, Quantity, Time, Person, Place }

    internal static QuestionKind Classify(string q)
    {
        var s = q.ToLowerInvariant();
        if (QuantityQ().IsMatch(s)) return QuestionKind.Quantity;
        if (TimeQ().IsMatch(s)) return QuestionKind.Time;
        if (PersonQ().IsMatch(s)) return QuestionKind.Person;
        if (PlaceQ().IsMatch(s)) return QuestionKind.Place;
        return QuestionKind.Other;
    }

    static double AnswerTypeBonus(QuestionKind kind, string sentence, string question) => kind switch
    {
        QuestionKind.Quantity => HasNumber().IsMatch(sentence) ? 0.08 : -0.04,
        QuestionKind.Time => HasDate().IsMatch(sentence) ? 0.08 : -0.02,
        QuestionKind.Person => HasName().Matches(sentence).Count > 0 ? 0.04 : 0,
        QuestionKind.Place => HasPlace().IsMatch(sentence) ? 0.04 : 0,
        _ => 0,
    };

    [GeneratedRegex(@"\b(how (many|much|often|far|long|old|big|large|high|tall)|what (number|percentage|share|proportion|amount|sum|price|figure|total)|how much)\b")]
    private static partial Regex QuantityQ();

    [GeneratedRegex(@"\b(when|what (year|date|day|month|time)|which (year|day|month)|since when|how long ago)\b")]
    private static partial Regex TimeQ();

    [GeneratedRegex(@"\b(who|whom|whose|which (person|man|woman|player|team|company|firm|minister|president|leader))\b")]
    private static partial Regex PersonQ();

    [GeneratedRegex(@"\b(where|which (country|city|town|region|state|place))\b")]
    private static partial Regex PlaceQ();

    [GeneratedRegex(@"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|hundreds?|thousands?|millions?|billions?|half|quarter)\b", RegexOptions.IgnoreCase)]
    private static partial Regex HasNumber();

    [GeneratedRegex(@"\b(\d{4}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|yesterday|today|last (week|month|year)|this (week|month|year)|on \w+day)\b", RegexOptions.IgnoreCase)]
    private static partial Regex HasDate();

    [GeneratedRegex(@"(?<!^)(?<![.!?]\s)\b\p{Lu}\p{Ll}+(?:\s+\p{Lu}\.?)*\s+\p{Lu}\p{Ll}+")]
    private static partial Regex HasName();

    [GeneratedRegex(@"\b(in|at|from|near|across)\s+(the\s+)?\p{Lu}")]
    private static partial Regex HasPlace();
}
