using System.Globalization;
using System.Text.RegularExpressions;
using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

public sealed partial class ExtractiveAnswerer
{
    /// <summary>"According to Outlet (12 March 2025):" — or the headline when the outlet is unknown.</summary>
    public static string Lead(SearchHit hit)
    {
        var who = !string.IsNullOrWhiteSpace(hit.Article.Outlet) ? hit.Article.Outlet : $"“{hit.Article.Title}”";
        var when = hit.Article.Published is { } d ? $" ({d.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)})" : "";
        return $"According to {who}{when}:";
    }

    /// <summary>"… were killed [1]." — the marker goes before the sentence's closing punctuation (and quotes).</summary>
    public static string WithMarker(string sentence, int n)
    {
        // an article's own reference marks ("… said so [3].") would read as citations of our numbered sources
        var s = OwnReference().Replace(sentence, "").Trim();
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

    /// <summary>Sentences shorter than this are quoted whole: cutting them saves too little to risk the answer.</summary>
    internal const int MinCutWords = 18;

    /// <summary>A kept run of clauses holds at least this many words.</summary>
    const int MinCutSpanWords = 6;

    /// <summary>A cut must save at least this many words, or the sentence is quoted whole.</summary>
    const int MinCutSaving = 5;

    /// <summary>Per word kept, what a clause span costs against one question term it matches (a long span must match more); chosen by <c>eval --fit-sentence-ranker</c>.</summary>
    public const double CutWordCost = 0.06;

    /// <summary>
    /// The part of a sentence that carries the answer, as verbatim source text with "…" where it was cut: the sentence is
    /// split at clause boundaries (a semicolon, a spaced dash, a colon, or a comma before a relative pronoun, a conjunction
    /// or an attribution such as ", which", ", but", ", said", ", according to"), and the contiguous run of clauses is kept
    /// that best holds the question's terms and — for a question asking for a number, date, person, place or body — an
    /// answer of that kind the question does not give, against the words it keeps. Short sentences, and cuts that would
    /// save little or leave the asked-for kind out, are quoted whole. Nothing is reworded or added but the "…" marks.
    /// </summary>
    /// <param name="sentence">A candidate sentence.</param>
    /// <param name="question">The question it is to answer.</param>
    /// <param name="wordCost">What each kept word costs against a matched question term (the fitter tries others; the answerer uses the default).</param>
    public static string Cut(string sentence, string question, double wordCost = CutWordCost)
    {
        var words = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (words < MinCutWords) return sentence;
        var bounds = new List<int> { 0 };
        foreach (Match m in ClauseBoundary().Matches(sentence))
        {
            int at = m.Index + m.Length;
            if (at > bounds[^1] && at < sentence.Length && !InsideBracketOrQuote(sentence, m.Index)) bounds.Add(at);
        }
        if (bounds.Count < 2) return sentence;
        bounds.Add(sentence.Length);
        var kind = Classify(question);
        var questionWords = QuestionWords(question);
        var qTerms = LexicalAnalyzer.QueryTerms(question).ToHashSet();
        bool wantsKind = kind != QuestionKind.Other;
        bool sentenceHasKind = wantsKind && AnswerTypeBonus(kind, sentence, questionWords) > 0;

        double bestValue = double.MinValue;
        (int From, int To) best = (0, bounds.Count - 1);
        for (int a = 0; a < bounds.Count - 1; a++)
            for (int b = a + 1; b < bounds.Count; b++)
            {
                var span = sentence[bounds[a]..bounds[b]];
                int spanWords = span.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                var terms = LexicalAnalyzer.DocumentTerms(span).ToHashSet();
                double value = qTerms.Count(terms.Contains) - wordCost * spanWords;
                if (sentenceHasKind)
                {
                    // the answer of the kind asked must survive the cut
                    if (AnswerTypeBonus(kind, span, questionWords) <= 0) continue;
                    value += 2;
                }
                if (spanWords < MinCutSpanWords) continue; // a fragment ("The group…") says nothing on its own
                if (value > bestValue) (bestValue, best) = (value, (a, b));
            }
        var kept = sentence[bounds[best.From]..bounds[best.To]].Trim();
        int keptWords = kept.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (words - keptWords < MinCutSaving) return sentence;
        bool cutStart = best.From > 0, cutEnd = best.To < bounds.Count - 1;
        if (cutEnd) kept = kept.TrimEnd(',', ';', ':', '—', '–', '-', ' ') + "…";
        if (cutStart) kept = "…" + kept;
        return kept;
    }

    /// <summary>Whether a position lies inside brackets or a quotation opened before it (a clause boundary there is not one of the sentence's).</summary>
    static bool InsideBracketOrQuote(string sentence, int at)
    {
        int brackets = 0, straight = 0, curly = 0;
        for (int i = 0; i < at; i++)
        {
            char c = sentence[i];
            if (c == '(' || c == '[') brackets++;
            else if ((c == ')' || c == ']') && brackets > 0) brackets--;
            else if (c == '"') straight ^= 1;
            else if (c == '“') curly++;
            else if (c == '”' && curly > 0) curly--;
        }
        return brackets > 0 || straight > 0 || curly > 0;
    }

    /// <summary>Where a clause ends: after a semicolon or colon, around a spaced dash, or before a comma that opens a relative, contrasting, temporal or reported clause.</summary>
    [GeneratedRegex(@"(?<=[;:])\s+|\s+[—–-]\s+|(?<=,)\s+(?=(?:which|who|whose|whom|where|while|whereas|but|although|though|because|after|before|when|as|since|adding|saying|according to|and|said|says|told|added|\p{Ll}+\s+said|\p{Ll}+\s+says|(?:the|a|an|its|his|her|their)\s+(?:\p{L}+\s+){0,3}(?:said|says|told|added))\b)")]
    private static partial Regex ClauseBoundary();

    [GeneratedRegex(@"\s?(?:\[|【)\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*(?:\]|】)")]
    private static partial Regex OwnReference();
}
