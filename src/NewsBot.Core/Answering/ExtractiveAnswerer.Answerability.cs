using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>Whether one sentence answers a question, and if not, what it lacks.</summary>
/// <param name="Answers">It covers the question's names and numbers, enough of its other key terms, and holds an answer of the expected type.</param>
/// <param name="Missing">The question's names that its article does not mention, and its figures that neither the sentence, the sentence before it nor the headline contains.</param>
/// <param name="HasExpected">It holds an answer of the type the question expects that the question does not already give (true when no type is expected).</param>
/// <param name="TermShare">The share of the question's other key terms found in the sentence, the sentence before it or the headline.</param>
/// <param name="Expected">What the question asks for, in words ("a number", "a date", "a person"…); null when nothing in particular.</param>
/// <param name="StatesRelation">It states the relation the question asks about (or its nominalisation) as a fact, not as something expected or possible (true when the question names none).</param>
/// <param name="OnlyWording">It fails only on wording: it holds the expected answer, states the relation, covers every figure and year asked, and at most one of the question's names is missing from its article, with another covered (a name given by a description or a nickname).</param>
/// <param name="MissingNames">How many of <paramref name="Missing"/> are the question's names (they come first); the rest are its figures and years.</param>
/// <param name="NameCount">How many names the question gives.</param>
public sealed record AnswerJudgement(bool Answers, IReadOnlyList<string> Missing, bool HasExpected, double TermShare, string? Expected, bool StatesRelation = true, bool OnlyWording = false, int MissingNames = 0, int NameCount = 0)
{
    public override string ToString() => $"answers={Answers} missing=[{string.Join("|", Missing)}] expected={HasExpected} share={TermShare:0.00} relation={StatesRelation} wording={OnlyWording}";
}

public sealed partial class ExtractiveAnswerer
{
    /// <summary>The share of the question's key terms besides names (the relation asked and its objects) a sentence must cover, with its context.</summary>
    public const double MinKeyTermShare = 0.15;

    /// <summary>The share of key terms a sentence must cover when the question names no relation (its verb is "give", "take", "be"…, or it has none).</summary>
    public const double MinKeyTermShareWithoutRelation = 0.3;

    /// <summary>The share of key terms from which a sentence without a form of the relation asked is taken to reword it (unless it anticipates it).</summary>
    public const double RewordedRelationShare = 0.5;

    /// <summary>The share of key terms a best-scoring sentence that fails only on wording (<see cref="AnswerJudgement.OnlyWording"/>) must still cover.</summary>
    public const double MinWordingShare = 0.1;

    /// <summary>
    /// The answerability judgement: a sentence answers a question only when (1) its article
    /// (<paramref name="articleText"/>, its headline and the sentence) mentions every name the question gives,
    /// with those carried over from an earlier turn (<paramref name="carried"/>) — a name of several words by
    /// its last word (the surname, the distinctive word: "Acme Foods" does not cover "Acme Motors"), a word by a clear
    /// variant ("Brazil" / "Brazilian", "Canada" / "Canadians") — every figure the question gives occurs in the
    /// sentence, the sentence before it or the headline, and so does every year it asks about (a sentence about
    /// another year's final does not answer); (2) at least <see cref="MinKeyTermShare"/> of the question's other key
    /// terms occur there, stemmed; (3) the sentence or its headline states the relation asked (won, paid, elected, or
    /// its nominalisation) as done, not as expected or possible ("will meet in the final", "could face") — for
    /// "how many / how much" and for places, where the relation is often reworded, only an anticipated one rules a sentence out;
    /// and (4) the sentence holds an answer of the expected type that the question does not already give: a person
    /// or body for "who", an amount of the thing asked for "how much / how many" (a count of it, money for a price,
    /// never a year), a date for "when", a place for "where / which city", a score for "what was the score".
    /// </summary>
    /// <param name="asked">The question as the user put it, with the time phrases retrieval took out of <paramref name="question"/> ("in 2006"): its years must be covered too.</param>
    /// <param name="published">The article's date: a year asked about is also covered by an article of that year (its "this year", or no year at all), or of the next year when the context says "last year".</param>
    public static AnswerJudgement Judge(string question, string sentence, string headline, string? previous = null, string? articleText = null, string? carried = null, string? asked = null, DateTimeOffset? published = null)
    {
        // "Another storm hit Eastvale this week. What was its name?": the statements around the question are its
        // background; what the answer must cover is what the question sentence asks (the years of all of it still count, below)
        var whole = question;
        question = QuestionSentences(question);
        var context = sentence + " " + headline + " " + (previous ?? "");
        var contextWords = WordTokenizer.Words(context).Select(m => Possessive().Replace(m.Value, "")).Where(w => w.Length > 0).ToList();
        var articleWords = articleText is null ? contextWords
            : WordTokenizer.Words(articleText + " " + context).Select(m => Possessive().Replace(m.Value, "")).ToList();

        var missing = new List<string>();
        // the names: the article the sentence comes from must mention each (the sentence itself often says "the firm")
        var names = NameGroups(carried is null ? question : question + " " + carried);
        foreach (var name in names)
            if (!articleWords.Any(c => IsNameVariant(name[^1], c)) && !(name.Count == 1 && CoversAcronym(name[0], articleWords))) missing.Add(string.Join(" ", name));
        int missingNames = missing.Count;
        // amounts and figures the question gives (years are checked against the whole article and its date, before)
        foreach (Match m in QuestionNumber().Matches(question))
            if (!context.Contains(m.Value, StringComparison.OrdinalIgnoreCase)) missing.Add(m.Value);
        // the year asked: a sentence about the same story in another year does not answer it
        foreach (var year in Years(whole + " " + asked))
            if (!context.Contains(year, StringComparison.Ordinal) && !DatedIn(year, published, context)) missing.Add(year);

        var nameTerms = Names(question).Select(n => PorterStemmer.Stem(LexicalAnalyzer.FoldDiacritics(n.ToLowerInvariant()))).ToHashSet();
        // the word that names the kind of answer ("which year", "what was the name of") is what the sentence answers with, not a term it repeats
        var answerWord = AnswerTypeNoun().Matches(question).Select(m => PorterStemmer.Stem(m.Groups["w"].Value.ToLowerInvariant())).ToHashSet();
        var keyTerms = LexicalAnalyzer.QueryTerms(question).Where(t => !nameTerms.Contains(t) && !t.Any(char.IsDigit) && !answerWord.Contains(t)).Distinct().ToList();
        var have = LexicalAnalyzer.DocumentTerms(context).ToHashSet();
        var uncovered = keyTerms.Where(t => !have.Contains(t) && !have.Any(h => SharedStem(h, t))).ToHashSet();
        // a key term reworded: a word of the question whose stem is uncovered, related in WordNet to a word of the context
        if (uncovered.Count > 0)
            foreach (Match m in WordTokenizer.Words(question))
            {
                var w = m.Value.ToLowerInvariant();
                var t = PorterStemmer.Stem(LexicalAnalyzer.FoldDiacritics(w));
                if (uncovered.Contains(t) && contextWords.Any(c => c.Length >= 3 && !StopWords.IsQueryNoise(c.ToLowerInvariant()) && Lexicon.Related(w, c))) uncovered.Remove(t);
            }
        double share = keyTerms.Count == 0 ? 1 : (keyTerms.Count - uncovered.Count) / (double)keyTerms.Count;

        var kind = Classify(question);
        var questionWords = QuestionWords(question);
        bool expected = ExpectedAnswer(kind, sentence, questionWords) && AmountOfTheThingAsked(question, sentence, questionWords) != false
            && (kind != QuestionKind.Quantity || FactualAmount(question, sentence, questionWords));
        // the relation asked, stated as done ("won"), not anticipated ("will meet in the final", "could face")
        // for an amount or a place the relation is often reworded ("up by 40%" for "grew", "similar to X's" for "modelled
        // on"): there only an anticipated one ("could face") rules a sentence out
        // elsewhere a sentence that covers at least half of the question's other key terms is about the same event, and
        // where it has no form of the relation it rewords it ("came second" for "finished second", "was discussed" for
        // "talked about") — when it says what was done: not with a marker of the future or of a possibility anywhere in it
        // ("will meet in the final" does not reword "won the final"), unless the question asks about the future too
        bool relation = StatesRelation(question, sentence + " " + headline, out var anticipated)
            || (kind is QuestionKind.Quantity or QuestionKind.Score or QuestionKind.Place or QuestionKind.Country && !anticipated)
            || (share >= RewordedRelationShare && !anticipated && (FutureMarker().IsMatch(question) || !FutureMarker().IsMatch(sentence)));
        // a question whose verb says nothing of its own ("what sentence did the court give") is constrained by its nouns alone
        double need = Relations(question).Count == 0 ? MinKeyTermShareWithoutRelation : MinKeyTermShare;
        bool answers = missing.Count == 0 && share >= need && expected && relation;
        bool onlyWording = !answers && expected && relation && missing.Count == missingNames && missingNames <= 1 && (missingNames == 0 || names.Count > 1) && share >= MinWordingShare;
        return new AnswerJudgement(answers, missing, expected, share, ExpectedWords(kind), relation, onlyWording, missingNames, names.Count);
    }

    /// <summary>
    /// Whether the question asks for an answer of a kind a sentence either holds or lacks, which the judgement checks by
    /// itself: an amount or a count ("how much", "how many"), a score, a date ("when") or a person ("who"). For a place,
    /// a body or an open question ("what did … say") the judgement rests on the question's wording alone, which a
    /// paraphrase defeats (BENCHMARKS.md §1.3.1, thirteenth pass).
    /// </summary>
    public static bool AsksTypedAnswer(string question)
        => Classify(QuestionSentences(question)) is QuestionKind.Quantity or QuestionKind.Score or QuestionKind.Time or QuestionKind.Person;

    /// <summary>
    /// Whether the words spell out an acronym the question gives ("AI", "TV", "EU"): words whose initials it is
    /// ("artificial intelligence"), or a word WordNet gives for it ("television").
    /// </summary>
    static bool CoversAcronym(string name, List<string> words)
    {
        if (name.Length is < 2 or > 5 || !name.All(char.IsUpper)) return false;
        for (int i = 0; i + name.Length <= words.Count; i++)
        {
            int j = 0;
            // each word of the expansion a content word, so that "at Iowa" does not spell "AI"
            while (j < name.Length && words[i + j].Length >= 3 && char.ToUpperInvariant(words[i + j][0]) == name[j] && !StopWords.IsQueryNoise(words[i + j].ToLowerInvariant())) j++;
            if (j == name.Length) return true;
        }
        return words.Any(w => w.Length > name.Length && Lexicon.Related(name, w));
    }

    /// <summary>The sentences of a question that ask (end in a question mark); the whole of it when none or all do.</summary>
    internal static string QuestionSentences(string question)
    {
        var sentences = SentenceSplitter.Split(question.Trim());
        if (sentences.Count < 2) return question;
        var asking = sentences.Where(x => x.TrimEnd().EndsWith('?')).ToList();
        return asking.Count == 0 || asking.Count == sentences.Count ? question : string.Join(" ", asking);
    }

    /// <summary>
    /// Whether an article's date stands for a year asked about: an article of that year that names no other year in the
    /// context (its events are "this year's"), or one of the next year whose context says "last year".
    /// </summary>
    static bool DatedIn(string year, DateTimeOffset? published, string context)
    {
        if (published is not { } d) return false;
        int y = int.Parse(year, System.Globalization.CultureInfo.InvariantCulture);
        if (d.Year == y) return !Years(context).Any();
        return d.Year == y + 1 && context.Contains("last year", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether the sentence holds what the kind of question asks for, not already given by the question.</summary>
    static bool ExpectedAnswer(QuestionKind kind, string sentence, HashSet<string> questionWords) => kind switch
    {
        QuestionKind.Score => ScoreLike().IsMatch(sentence),
        QuestionKind.Time => HasDate().Matches(sentence).Any(m => !questionWords.Contains(m.Value)),
        QuestionKind.Person => NewPersonName(sentence, questionWords) || NewName(sentence, questionWords, null),
        QuestionKind.Place => NewName(sentence, questionWords, null) || Locative().IsMatch(sentence),
        QuestionKind.Quantity => WordTokenizer.Words(sentence).Any(m => IsAmount(m.Value, questionWords)),
        _ => AnswerTypeBonus(kind, sentence, questionWords) >= 0,
    };

    static string? ExpectedWords(QuestionKind kind) => kind switch
    {
        QuestionKind.Quantity => "the amount or number asked for",
        QuestionKind.Time => "the date asked for",
        QuestionKind.Person => "who it was",
        QuestionKind.Entity => "which one it was",
        QuestionKind.Place or QuestionKind.Country => "the place asked for",
        QuestionKind.Score => "the score",
        _ => null,
    };

    /// <summary>The question's names: runs of capitalised words after the first word, stop words left out ("Kelly Holmes", "Glasgow").</summary>
    internal static List<List<string>> NameGroups(string question)
    {
        var groups = new List<List<string>>();
        List<string>? current = null;
        int lastEnd = -1;
        foreach (Match m in WordTokenizer.Words(question))
        {
            var w = Possessive().Replace(m.Value, "");
            bool isName = m.Index > 0 && w.Length >= 2 && char.IsUpper(w[0]) && !StopWords.IsQueryNoise(w.ToLowerInvariant()) && !Months.Contains(w);
            if (!isName) { current = null; continue; }
            bool adjacent = current is not null && question[lastEnd..m.Index].Trim().Length == 0;
            if (!adjacent) groups.Add(current = []);
            current!.Add(w);
            lastEnd = m.Index + m.Length;
        }
        return groups;
    }

    static readonly HashSet<string> Months = new(StringComparer.OrdinalIgnoreCase)
    {
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    };

    /// <summary>The same word, or one a clear variant of the other: a shared beginning of at least five letters, or four for short names ("Japan" / "Japanese").</summary>
    internal static bool IsVariant(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase)) return true;
        // an abbreviation with or without its full stops ("U.S" / "US", "U.K." / "UK")
        if ((a.Contains('.') || b.Contains('.')) && string.Equals(a.Replace(".", ""), b.Replace(".", ""), StringComparison.OrdinalIgnoreCase)) return true;
        var (x, y) = (LexicalAnalyzer.FoldDiacritics(a.ToLowerInvariant()), LexicalAnalyzer.FoldDiacritics(b.ToLowerInvariant()));
        int shorter = Math.Min(x.Length, y.Length);
        if (shorter < 4) return false;
        if (x.StartsWith(y, StringComparison.Ordinal) || y.StartsWith(x, StringComparison.Ordinal) || PorterStemmer.Stem(x) == PorterStemmer.Stem(y)) return true;
        // a country and its people ("Canada" / "Canadians"): a shared beginning of five letters or more, most of the shorter word
        int common = 0;
        while (common < shorter && x[common] == y[common]) common++;
        return common >= 5 && common >= 0.8 * shorter;
    }

    /// <summary>Whether the context covers one of the question's names: a clear variant (<see cref="IsVariant"/>), another name WordNet gives for it ("UK" for "Britain"), or a place and its adjective ("Belgium" / "Belgian-based", "Japan" / "Japanese"), each part of a hyphenated word tried.</summary>
    static bool IsNameVariant(string name, string word)
    {
        if (IsVariant(name, word)) return true;
        if (word.Length < 2 || !char.IsUpper(word[0])) return false;
        // another name of the same thing in WordNet ("Britain" / "UK")
        if (Lexicon.Related(name, word)) return true;
        return word.Length >= 4 && (PlacesOf(name).Any(p => IsVariant(p, word)) || PlacesOf(word).Any(p => IsVariant(p, name)));
    }

    static IEnumerable<string> PlacesOf(string word) => word.Split('-').SelectMany(Lexicon.PlacesOf);

    /// <summary>Stems one of which begins the other, the shorter of at least three letters ("elect" / "election", "pai" / "paid").</summary>
    static bool SharedStem(string a, string b) => Math.Min(a.Length, b.Length) >= 3 && (a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal));

    [GeneratedRegex(@"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+\.\d+(?:%|m|bn)?|\d+(?:%|m|bn))(?![\w.,])")]
    private static partial Regex QuestionNumber();

    /// <summary>A place told by a preposition ("on the market square", "at a depot"), for places without a proper name.</summary>
    [GeneratedRegex(@"\b(in|at|on|near|outside|inside|from) (the|a|an) \w+", RegexOptions.IgnoreCase)]
    private static partial Regex Locative();

    [GeneratedRegex(@"\b(?:which|what)\s+(?:(?:was|is|were|are)\s+the\s+)?(?<w>year|date|day|month|time|name|number|amount)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerTypeNoun();

    [GeneratedRegex(@"\b\d{1,3}\s?[-–]\s?\d{1,3}\b")]
    private static partial Regex ScoreLike();

    [GeneratedRegex(@"\b(what (was|is|were) the (final )?score|by what score|final score|what score)\b")]
    private static partial Regex ScoreQ();
}
