using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

// The parts of the answerability judgement that tie a sentence to what the question asks beyond its names: the
// relation asked (won, paid, sentenced … or its nominalisation), stated as a fact rather than anticipated, the
// year asked, and for "how many / how much" an amount of the thing asked.
public sealed partial class ExtractiveAnswerer
{
    /// <summary>
    /// The verbs a question asks about (its relation): words in a past form (-ed, or the past of a common irregular
    /// verb), or any form of a common irregular verb, each given by its stem and the other forms of that verb. Names
    /// and the question's own auxiliaries are not relations.
    /// </summary>
    internal static List<HashSet<string>> Relations(string question)
    {
        var relations = new List<HashSet<string>>();
        var words = WordTokenizer.Words(question).ToList();
        for (int i = 0; i < words.Count; i++)
        {
            var w = words[i].Value.ToLowerInvariant();
            if (i > 0 && char.IsUpper(words[i].Value[0])) continue; // a name
            // "did / does / will … SUBJECT VERB": the verb after the subject ("how many trains did the strike cancel"); checked
            // before the light verbs, among which "did" and "does" are
            if (DoSupport.Contains(w))
            {
                if (DoSupportVerb(words, i + 1) is { } verb && !LightVerbs.Contains(verb))
                    relations.Add(IrregularForms.TryGetValue(verb, out var verbForms) ? verbForms : [verb, PorterStemmer.Stem(verb)]);
                continue;
            }
            if (LightVerbs.Contains(w)) continue; // "take", "get", "make": the relation lies in their object
            if (IrregularForms.TryGetValue(w, out var forms)) relations.Add(forms);
            else if (w.Length >= 5 && w.EndsWith("ed", StringComparison.Ordinal) && !NotVerbsInEd.Contains(w)) relations.Add([w, PorterStemmer.Stem(w)]);
        }
        return relations;
    }

    /// <summary>Whether a word of the sentence is a form of the relation, or a word sharing its stem (its nominalisation: "elected" / "election", "paid" / "payment").</summary>
    static bool IsRelationWord(string word, HashSet<string> relation)
    {
        var w = LexicalAnalyzer.FoldDiacritics(word.ToLowerInvariant());
        if (relation.Contains(w)) return true;
        var stem = PorterStemmer.Stem(w);
        foreach (var r in relation)
        {
            var rs = PorterStemmer.Stem(r);
            if (stem == rs) return true;
            if (rs.Length >= 4 && (w.StartsWith(rs, StringComparison.Ordinal) || rs.StartsWith(stem, StringComparison.Ordinal) && stem.Length >= 4)) return true;
        }
        // reworded: a synonym or a word derived from one, by the WordNet lexicon ("purchased" for "bought", "liberated" for "released")
        return w.Length >= 3 && !StopWords.IsQueryNoise(w) && relation.Any(r => Lexicon.Related(r, w));
    }

    /// <summary>The base form of an irregular verb form the answerer knows ("paid" → "pay", "won" → "win"); null for other words.</summary>
    internal static string? BaseFormOfIrregular(string word) => IrregularBase.GetValueOrDefault(word);

    /// <summary>
    /// Whether the sentence states one of the question's relations as a fact: it holds a form of the relation (or its
    /// nominalisation) that no marker of a future, a wish or a possibility governs ("will meet", "could face",
    /// "is expected to", "hopes to win") — unless the question itself asks about such a future. True when the
    /// question names no relation; <paramref name="anticipated"/> tells a relation found only under such a marker.
    /// </summary>
    internal static bool StatesRelation(string question, string sentence, out bool anticipated)
    {
        anticipated = false;
        var relations = Relations(question);
        if (relations.Count == 0) return true;
        bool askingFuture = FutureMarker().IsMatch(question);
        var words = WordTokenizer.Words(sentence).Select(m => m.Value).ToList();
        for (int i = 0; i < words.Count; i++)
        {
            if (!relations.Any(r => IsRelationWord(words[i], r))) continue;
            if (askingFuture) return true;
            var before = string.Join(" ", words.Skip(Math.Max(0, i - ModalWindowWords)).Take(Math.Min(i, ModalWindowWords)));
            if (!FutureMarker().IsMatch(before)) return true;
            anticipated = true;
        }
        return false;
    }

    /// <summary>
    /// In "did / will / can SUBJECT VERB …" the verb is the last word of the run after the auxiliary that ends at the
    /// first preposition, article or figure (the subject's names, articles and adverbs skipped): "did the jury reach in …".
    /// </summary>
    static string? DoSupportVerb(List<Match> words, int start)
    {
        string? verb = null;
        for (int j = start; j < words.Count; j++)
        {
            var w = words[j].Value;
            var lower = w.ToLowerInvariant();
            bool leading = verb is null && Articles.Contains(lower);
            if (!leading && (RunEnd.Contains(lower) || w.Any(char.IsDigit))) break;
            if (leading || char.IsUpper(w[0]) || lower.EndsWith("ly", StringComparison.Ordinal) || w.EndsWith("'s", StringComparison.Ordinal) || w.EndsWith("’s", StringComparison.Ordinal)) continue;
            verb = lower;
        }
        return verb;
    }

    static readonly HashSet<string> DoSupport = new(StringComparer.Ordinal) { "did", "does", "do", "will", "would", "can", "could" };

    static readonly HashSet<string> Articles = new(StringComparer.Ordinal) { "the", "a", "an", "his", "her", "its", "their", "this", "that", "these", "those", "it", "they", "he", "she", "we", "you" };

    static readonly HashSet<string> RunEnd = new(StringComparer.Ordinal)
    {
        "in", "at", "on", "for", "from", "to", "with", "by", "of", "over", "during", "after", "before", "about", "into", "against", "as", "than",
        "when", "while", "if", "because", "the", "a", "an", "his", "her", "its", "their", "and", "or", "up", "down", "out", "off", "back", "under",
        "last", "next", "this", "each", "every", "so", "ago", "now", "then", "today", "yesterday",
    };

    /// <summary>
    /// Verbs whose meaning lies in their object ("take part", "make a profit", "get approval"), and verbs that stand for
    /// any event ("what happened", "what occurred", "what was done"): not the relation asked.
    /// </summary>
    static readonly HashSet<string> LightVerbs = new(StringComparer.Ordinal)
    {
        "happen", "happened", "happens", "occur", "occurred", "occurs", "done",
        "take", "took", "taken", "takes", "get", "got", "gets", "make", "made", "makes", "have", "has", "had", "do", "does", "did", "go", "went", "gone",
        "come", "came", "give", "gave", "given", "be", "been", "is", "was", "were", "are", "say", "said", "expect", "expected", "mean", "meant",
    };

    /// <summary>How many words before the relation a marker of the future or a possibility governs it.</summary>
    const int ModalWindowWords = 6;

    /// <summary>The years (1900–2099) a question asks about: the sentence, the one before it or the headline must name each.</summary>
    internal static IEnumerable<string> Years(string question) => YearRegex().Matches(question).Select(m => m.Value).Distinct();

    /// <summary>
    /// For "how many N …": the sentence holds a number (not a year) that counts N (a word of the noun phrase within
    /// three words after it, by a clear variant) or talks about N elsewhere; for "how much" about money (paid, cost,
    /// earned, a price, a fine …): an amount of money. Null when the question asks neither.
    /// </summary>
    internal static bool? AmountOfTheThingAsked(string question, string sentence, HashSet<string> questionWords)
    {
        var q = question.ToLowerInvariant();
        var words = WordTokenizer.Words(sentence).Select(m => m.Value).ToList();
        var many = HowMany().Match(q);
        if (many.Success)
        {
            // the noun phrase counted ends at its first plural noun ("full-page newspaper adverts", "people"), at most four words
            var phrase = new List<string>();
            foreach (var w in many.Groups["np"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4))
            {
                bool head = (w.Length > 3 && w.EndsWith('s')) || IrregularPlurals.Contains(w);
                if (head || !StopWords.IsQueryNoise(w)) phrase.Add(w);
                if (head) break;
            }
            if (phrase.Count == 0) return null;
            // the thing counted, or the relation's own noun ("how many fans have booked" → "12,000 bookings")
            var relations = Relations(question);
            bool Counts(string w) => w.Equals("people", StringComparison.OrdinalIgnoreCase) || phrase.Any(p => IsVariant(p, w) || SharedStem(PorterStemmer.Stem(p), PorterStemmer.Stem(w.ToLowerInvariant())))
                || relations.Any(r => IsRelationWord(w, r))
                // the thing counted in other words ("homes" / "households", "queries" / "enquiries"); a unit of time is not another's synonym
                || (w.Length >= 3 && phrase.Any(p => !StopWords.IsQueryNoise(p) && !TimeUnits.Contains(p) && !TimeUnits.Contains(w.ToLowerInvariant()) && Lexicon.Related(p, w)));
            for (int i = 0; i < words.Count; i++)
            {
                if (!IsAmount(words[i], questionWords)) continue;
                if (words.Skip(i + 1).Take(3).Any(Counts)) return true;
                // the relation just before the number counts what it acts on ("cancelling about 1,400 services" for "how many trains
                // were cancelled"), unless the number or the question measures time: "spent two days" does not answer "how many years"
                bool time = phrase.Any(TimeUnits.Contains) || (i + 1 < words.Count && TimeUnits.Contains(words[i + 1].ToLowerInvariant()));
                if (!time && words.Skip(Math.Max(0, i - 3)).Take(Math.Min(i, 3)).Any(w => relations.Any(r => IsRelationWord(w, r)))) return true;
            }
            return false;
        }
        if (q.Contains("how much", StringComparison.Ordinal) && MoneyQuestion().IsMatch(q))
            return MoneyAmount().Matches(sentence).Any(m => !questionWords.Contains(m.Value.Trim()));
        return null;
    }

    /// <summary>A number the question does not give that is not a year ("340", "1.5m", "five").</summary>
    static bool IsAmount(string word, HashSet<string> questionWords)
    {
        if (!word.Any(char.IsDigit) && !NumberWord().IsMatch(word)) return false;
        if (YearRegex().IsMatch(word) && word.Length == 4) return false;
        return !questionWords.Contains(word) && !questionWords.Contains(word.Trim('.', ','));
    }

    /// <summary>
    /// Common irregular verbs of news reports, each form mapped to all its forms and its usual nominalisation: the
    /// regular ones are told by their -ed ending instead. A grammar fact, not a choice about any question.
    /// </summary>
    static readonly string[] IrregularFamilies =
    [
        "win won wins winning winner", "pay paid pays payment", "buy bought buys buyer", "sell sold sells sale", "lose lost loses loss loser",
        "beat beats beaten", "lead led leads leader", "take took taken takes takeover", "give gave given gives", "make made makes",
        "become became becomes", "leave left leaves", "begin began begun begins", "choose chose chosen chooses choice", "tell told tells",
        "hold held holds", "set sets", "run ran runs", "rise rose risen rises", "fall fell fallen falls", "grow grew grown grows growth",
        "meet met meets meeting", "find found finds finding", "bring brought brings", "keep kept keeps", "spend spent spends spending",
        "strike struck strikes", "steal stole stolen steals theft", "shoot shot shoots shooting", "fight fought fights", "write wrote written writes writer",
        "break broke broken breaks", "send sent sends", "build built builds", "hit hits", "cut cuts", "quit quits", "sing sang sung sings singer",
        "die died dies death dead", "kill killed kills killing", "say said says", "get got gets", "go went gone goes", "come came comes",
        "raise raised raises", "earn earned earns earnings", "cost costs", "bid bids bidder", "sign signed signs signing", "elect elected elects election",
        "score scored scores", "draw drew drawn draws", "throw threw thrown throws", "drive drove driven drives", "fly flew flown flies flight",
        "wear wore worn wears", "sink sank sunk sinks", "swim swam swum swims", "freeze froze frozen freezes", "forgive forgave forgiven",
    ];

    static readonly Dictionary<string, HashSet<string>> IrregularForms = BuildIrregular(IrregularFamilies);

    static Dictionary<string, HashSet<string>> BuildIrregular(params string[] families)
    {
        var map = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var f in families)
        {
            var forms = f.Split(' ').ToHashSet(StringComparer.Ordinal);
            foreach (var w in forms) map[w] = forms;
        }
        return map;
    }

    /// <summary>Each irregular form → its family's first word, the base form ("paid" → "pay").</summary>
    static readonly Dictionary<string, string> IrregularBase = IrregularFamilies.SelectMany(f => f.Split(' ').Select(w => (w, Base: f.Split(' ')[0])))
        .GroupBy(p => p.w).ToDictionary(g => g.Key, g => g.First().Base, StringComparer.Ordinal);

    static readonly HashSet<string> TimeUnits = new(StringComparer.Ordinal)
    {
        "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years", "decade", "decades",
    };

    static readonly HashSet<string> IrregularPlurals = new(StringComparer.Ordinal) { "people", "men", "women", "children", "staff", "police", "cattle", "sheep", "fish", "mice", "geese", "teeth", "feet" };

    /// <summary>Common words ending in -ed that are not verbs ("need", "speed", "hundred").</summary>
    static readonly HashSet<string> NotVerbsInEd = new(StringComparer.Ordinal) { "hundred", "indeed", "speed", "breed", "greed", "steed", "creed", "seed", "need", "feed", "bed", "red", "shed", "sacred", "naked", "wicked" };

    [GeneratedRegex(@"\b(will|would|could|might|may|shall|should|'ll|expect(s|ed)? to|set to|due to|likely to|plan(s|ned|ning)? to|hop(e|es|ed|ing) to|aim(s|ed|ing)? to|bid(ding)? to|seek(s|ing)? to|want(s|ed)? to|if|whether|intend(s|ed)? to|going to|ready to|poised to|prepared to|considering|in talks|faces?|facing|look(s|ed|ing)? forward to|(wants?|wanted|urges?|urged|asks?|asked|calls? on|called on)( \w+){1,3} to)\b", RegexOptions.IgnoreCase)]
    private static partial Regex FutureMarker();

    [GeneratedRegex(@"(?<!\d)(19|20)\d\d(?!\d)")]
    private static partial Regex YearRegex();

    [GeneratedRegex(@"\bhow many (?<np>[\w\-' ]+?)(?= (did|does|do|was|were|is|are|has|have|had|will|would|can|could|in|of|at|on|for|from|to|during|after|before|by)\b|[?,.]|$)")]
    private static partial Regex HowMany();

    [GeneratedRegex(@"\b(pay|paid|pays|cost|costs|earn|earned|earns|price|priced|worth|fine|fined|damages|bail|salary|fee|fees|spend|spent|raise|raised|sell|sold|buy|bought|bid|offer|offered|revenue|revenues|profit|profits|loss|losses|debt|deal|settle|settled|settlement|compensation|award|awarded|charge|charged|budget|value|valued)\b")]
    private static partial Regex MoneyQuestion();

    [GeneratedRegex(@"(?:[$£€¥]\s?\d[\d,.]*\s?(?:bn|m|k|billion|million|trillion)?|\d[\d,.]*\s?(?:bn|m|billion|million|trillion)?\s?(?:dollars|pounds|euros|yen|roubles|rupees|francs|pence|cents|p\b))", RegexOptions.IgnoreCase)]
    private static partial Regex MoneyAmount();
}
