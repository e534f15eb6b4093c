using System.Globalization;
using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Coverage;

/// <summary>A sentence of one outlet's article about the story.</summary>
public sealed record CoverageSentence(string Outlet, string ArticleId, string Text);

/// <summary>A number a sentence gives about something ("12 injured", "a cost of €4 million").</summary>
/// <param name="Unit">"money", "pct" or "n" (a count).</param>
/// <param name="Things">What it may count, stemmed: the word after it ("injured"; "people|injured" after a general noun), else the words before it ("the cost of the repairs at").</param>
public sealed record Figure(CoverageSentence Sentence, string Value, double Amount, string Unit, IReadOnlyList<string> Things);

/// <summary>Outlets giving different numbers for the same thing ("n:injur", "money:cost"): one figure per outlet.</summary>
public sealed record Disagreement(string Key, IReadOnlyList<Figure> Sides);

/// <summary>What the outlets' accounts differ on: numbers, then sentences one outlet has and the others lack.</summary>
public sealed record CoverageDifferences(IReadOnlyList<Disagreement> Disagreements, IReadOnlyList<CoverageSentence> Exclusives);

/// <summary>
/// The offline comparison of a story's coverage, from the articles' own sentences (no text is invented):
/// numbers attached to the same noun that differ between outlets ("12 people were injured" against "about 20
/// people were injured"; "a cost of 4 million" against "will cost 6 million euros"), and sentences of one
/// outlet that have no counterpart (no sentence sharing half their content words) in the others.
/// </summary>
public static partial class CoverageComparison
{
    /// <param name="only">Compare this outlet's account against the others (or against <paramref name="against"/>); null = every outlet.</param>
    public static CoverageDifferences Compare(IReadOnlyList<CoverageSentence> sentences, string? only = null, string? against = null, int maxDisagreements = 4, int exclusivesPerOutlet = 2)
    {
        if (against is not null) sentences = sentences.Where(s => s.Outlet == only || s.Outlet == against).ToList();
        var figures = sentences.SelectMany(Figures).ToList();
        // figures about the same thing: the same unit and a word in common (the word after the number, else one before it)
        var groups = new List<(string Unit, IReadOnlyList<string> Things, List<Figure> Figures)>();
        foreach (var f in figures)
        {
            var g = groups.FirstOrDefault(g => g.Unit == f.Unit && f.Things.Any(g.Things.Contains));
            if (g.Figures is null) groups.Add((f.Unit, f.Things, [f]));
            else g.Figures.Add(f);
        }
        var disagreements = new List<Disagreement>();
        foreach (var (unit, things, group) in groups)
        {
            // the first figure each outlet gives for it, in the order the outlets come
            var sides = group.GroupBy(f => f.Sentence.Outlet).Select(g => g.First()).OrderBy(f => f.Sentence.Outlet != only).ToList();
            if (only is not null && !sides.Any(f => f.Sentence.Outlet == only)) continue;
            if (sides.Count < 2 || sides.All(f => SameAmount(f.Amount, sides[0].Amount))) continue;
            var shared = things.FirstOrDefault(t => group.Skip(1).All(f => f.Things.Contains(t))) ?? things[0];
            disagreements.Add(new Disagreement(unit + ":" + shared, sides));
        }
        disagreements = disagreements.OrderByDescending(d => d.Sides.Count).Take(maxDisagreements).ToList();

        var used = disagreements.SelectMany(d => d.Sides).Select(f => f.Sentence).ToHashSet();
        var terms = new Dictionary<CoverageSentence, HashSet<string>>();
        foreach (var s in sentences) terms.TryAdd(s, LexicalAnalyzer.DocumentTerms(s.Text).ToHashSet());
        var exclusives = new List<CoverageSentence>();
        foreach (var outlet in sentences.Select(s => s.Outlet).Distinct().Where(o => only is null || o == only))
        {
            var others = sentences.Where(s => s.Outlet != outlet).ToList();
            if (others.Count == 0) continue;
            var otherTerms = others.SelectMany(s => terms[s]).ToHashSet();
            var candidates = new List<(CoverageSentence Sentence, double Score, int Order)>();
            int order = 0;
            foreach (var s in sentences.Where(s => s.Outlet == outlet))
            {
                order++;
                var t = terms[s];
                if (t.Count < 4 || used.Contains(s) || s.Text.Split(' ').Length > 60) continue;
                // a counterpart: some sentence of another outlet holding half of this one's content words
                if (others.Any(o => terms[o].Count(t.Contains) >= t.Count * CounterpartShare)) continue;
                int novel = t.Count(w => !otherTerms.Contains(w));
                if (novel < 2) continue;
                double score = novel + (s.Text.Any(char.IsDigit) ? 1 : 0) + (MidSentenceName().IsMatch(s.Text) ? 0.5 : 0);
                candidates.Add((s, score, order));
            }
            exclusives.AddRange(candidates.OrderByDescending(c => c.Score).Take(exclusivesPerOutlet).OrderBy(c => c.Order).Select(c => c.Sentence));
        }
        return new CoverageDifferences(disagreements, exclusives);
    }

    /// <summary>The share of a sentence's content words another sentence must hold to be its counterpart.</summary>
    public const double CounterpartShare = 0.5;

    static bool SameAmount(double a, double b) => Math.Abs(a - b) <= 0.01 * Math.Max(Math.Abs(a), Math.Abs(b));

    /// <summary>The numbers a sentence gives about something: not years, dates, times of day or ordinals.</summary>
    public static IEnumerable<Figure> Figures(CoverageSentence sentence)
    {
        var text = sentence.Text;
        foreach (Match m in Number().Matches(text))
        {
            var raw = m.Groups["num"].Value;
            bool money = m.Groups["cur"].Success, percent = m.Groups["pct"].Success;
            double magnitude = m.Groups["mag"].Success ? Magnitude(m.Groups["mag"].Value) : 1;
            double amount;
            if (char.IsDigit(raw[0]))
            {
                if (!double.TryParse(raw.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out amount)) continue;
                bool yearLike = raw.Length == 4 && amount is >= 1900 and <= 2100 && !money && !percent && magnitude == 1;
                if (yearLike || NotACount(text, m)) continue;
            }
            else if (!NumberWords.TryGetValue(Spaces().Replace(raw.ToLowerInvariant(), " "), out amount)) continue;
            amount *= magnitude;

            var after = ContentWords(Clause(text[(m.Index + m.Length)..], forward: true)).ToList();
            if (after.Count > 0 && CurrencyWords.Contains(after[0])) { money = true; after.RemoveAt(0); }
            var before = ContentWords(Clause(text[..m.Index], forward: false)).TakeLast(3).ToList();
            string? head = after.FirstOrDefault();
            List<string> things = head is not null && !GenericWords.Contains(head) ? [head]
                : head is not null ? (after.Count > 1 ? [head + "|" + after[1]] : []) // "12 people were injured": people who were injured
                : before; // "a cost of 4 million", "put the cost of the repairs at €6 million"
            if (things.Count == 0) continue;
            // as the outlet puts it: "about 20", "twelve", "4 million euros"
            var hedge = Hedge().Match(text[..m.Index]);
            var value = (hedge.Success ? hedge.Value.Trim().ToLowerInvariant() + " " : "") + (char.IsDigit(raw[0]) ? m.Value.Trim() : m.Value.Trim().ToLowerInvariant())
                + (money && !m.Groups["cur"].Success && CurrencyAfter().Match(text[(m.Index + m.Length)..]) is { Success: true } c ? " " + c.Groups[1].Value : "");
            yield return new Figure(sentence, value, amount, money ? "money" : percent ? "pct" : "n", things.Select(Stem).ToList());
        }
    }

    static string Stem(string thing) => string.Join("|", thing.Split('|').Select(w => PorterStemmer.Stem(LexicalAnalyzer.FoldDiacritics(w))));

    /// <summary>A day of a month ("25 November", "November 25"), a time ("9 pm", "10:30"), an ordinal ("3rd") or a numbered name ("Route 9").</summary>
    static bool NotACount(string text, Match m)
    {
        var rest = text[(m.Index + m.Length)..];
        var lead = text[..m.Index];
        return DateAfter().IsMatch(rest) || DateBefore().IsMatch(lead) || TimeAfter().IsMatch(rest) || NumberedName().IsMatch(lead);
    }

    /// <summary>The text up to (or back to) the nearest clause break.</summary>
    static string Clause(string text, bool forward)
    {
        if (forward)
        {
            int end = text.IndexOfAny([',', ';', ':', '.', '(', '—', '–']);
            return end < 0 ? text : text[..end];
        }
        int start = text.LastIndexOfAny([',', ';', ':', '(', '—', '–']);
        return start < 0 ? text : text[(start + 1)..];
    }

    /// <summary>Lower-case words that are not stop words, hedges ("about", "nearly") or units of magnitude.</summary>
    static IEnumerable<string> ContentWords(string text)
        => LexicalAnalyzer.Words(text).Where(w => w.Length > 1 && !w.Any(char.IsDigit) && !StopWords.IsStopWord(w) && !Hedges.Contains(w) && !Magnitudes.Contains(w) && !NumberWords.ContainsKey(w));

    static double Magnitude(string word) => word.ToLowerInvariant() switch
    {
        "thousand" or "k" => 1e3,
        "million" or "m" or "mn" => 1e6,
        "billion" or "bn" => 1e9,
        "trillion" or "tn" => 1e12,
        "hundred" => 100,
        "dozen" => 12,
        _ => 1,
    };

    static readonly HashSet<string> Magnitudes = ["thousand", "million", "billion", "trillion", "hundred", "dozen", "mn", "bn", "tn", "per", "cent", "percent"];

    static readonly HashSet<string> Hedges = ["about", "around", "roughly", "nearly", "almost", "some", "approximately", "estimated", "least", "up", "than", "fewer", "less", "more", "over", "under", "just", "only", "another", "further", "total", "extra", "additional"];

    static readonly HashSet<string> CurrencyWords = ["pounds", "pound", "euros", "euro", "dollars", "dollar", "francs", "franc", "crowns", "kronor", "krona", "zloty", "yen", "yuan", "rupees", "roubles", "rubles", "hryvnias", "lira", "usd", "eur", "gbp", "chf"];

    /// <summary>Nouns too general to say what a number counts on their own: the word after them does ("people injured").</summary>
    static readonly HashSet<string> GenericWords = ["people", "persons", "person", "men", "women", "children", "others", "times", "cases", "units", "members", "individuals"];

    static readonly Dictionary<string, double> NumberWords = new(StringComparer.Ordinal)
    {
        ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8, ["nine"] = 9, ["ten"] = 10,
        ["eleven"] = 11, ["twelve"] = 12, ["thirteen"] = 13, ["fourteen"] = 14, ["fifteen"] = 15, ["sixteen"] = 16, ["seventeen"] = 17,
        ["eighteen"] = 18, ["nineteen"] = 19, ["twenty"] = 20, ["thirty"] = 30, ["forty"] = 40, ["fifty"] = 50, ["sixty"] = 60,
        ["seventy"] = 70, ["eighty"] = 80, ["ninety"] = 90, ["hundred"] = 100, ["dozen"] = 12, ["dozens"] = 24, ["hundreds"] = 200, ["a dozen"] = 12,
    };

    [GeneratedRegex(@"(?<![\p{L}\p{N}.,])(?:(?<cur>[£$€¥]|US\$)\s?)?(?<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?i:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a\s+dozen|dozens|hundreds)(?![\p{L}\-]))(?:\s?(?<mag>(?i:thousand|million|billion|trillion|mn|bn|tn)\b|[mk]\b))?(?<pct>\s?(?:%|(?i:per\s?cent|percent)\b))?")]
    private static partial Regex Number();

    [GeneratedRegex(@"^\s*(?:st|nd|rd|th)?\s*(?:of\s+)?(?i:jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|^(?:st|nd|rd|th)\b|^[:.]\d")]
    private static partial Regex DateAfter();

    [GeneratedRegex(@"(?i:jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+$")]
    private static partial Regex DateBefore();

    [GeneratedRegex(@"^\s?(?i:am|pm|a\.m\.|p\.m\.|o['’]clock|gmt|utc|cet|bst)\b")]
    private static partial Regex TimeAfter();

    [GeneratedRegex(@"(?:\b(?i:no|number|route|line|platform|gate|terminal|flight|section|article|chapter|room|page|level|grade|phase|stage|round|week|day|year|season)\.?|#)\s*$")]
    private static partial Regex NumberedName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\b(?:about|around|roughly|nearly|almost|some|approximately|an estimated|at least|more than|over|up to|fewer than|less than|as many as)\s+$", RegexOptions.IgnoreCase)]
    private static partial Regex Hedge();

    [GeneratedRegex(@"^\s*(\p{L}+)")]
    private static partial Regex CurrencyAfter();

    [GeneratedRegex(@"(?<=\S\s+)\p{Lu}\p{Ll}+")]
    private static partial Regex MidSentenceName();
}
