using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

// The kinds of answer a question asks for (a number, a date, a person, a body, a place, a country, a score) and
// whether a sentence holds one the question does not already give: the answer-type part of the sentence score and
// of the answerability judgement.
public sealed partial class ExtractiveAnswerer
{
    internal enum QuestionKind { Other, Quantity, Time, Person, Entity, Place, Country, Score }

    /// <summary>In order of precedence when two match at the same place.</summary>
    static readonly (Regex Regex, QuestionKind Kind)[] KindPatterns =
    [
        (ScoreQ(), QuestionKind.Score), (QuantityQ(), QuestionKind.Quantity), (TimeQ(), QuestionKind.Time), (CountryQ(), QuestionKind.Country),
        (PersonQ(), QuestionKind.Person), (EntityQ(), QuestionKind.Entity), (PlaceQ(), QuestionKind.Place),
    ];

    internal static QuestionKind Classify(string q)
    {
        // the question word that comes first decides: "Who was on the throne when …" asks for a person, "When did … who …" for a date
        var s = q.ToLowerInvariant();
        var kind = QuestionKind.Other;
        int first = int.MaxValue;
        foreach (var (regex, k) in KindPatterns)
        {
            var m = regex.Match(s);
            if (m.Success && m.Index < first) (first, kind) = (m.Index, k);
        }
        return kind;
    }

    /// <summary>
    /// Whether the sentence holds the kind of thing asked for that the question does not already say: a
    /// number the question lacks for "how many", a date for "when", a name the question does not mention
    /// for "who" or "which country". A sentence that only repeats the question's own names is on topic
    /// but does not answer it.
    /// </summary>
    static double AnswerTypeBonus(QuestionKind kind, string sentence, HashSet<string> questionWords) => kind switch
    {
        QuestionKind.Quantity or QuestionKind.Score => NewNumber(sentence, questionWords) ? AnswerKindBonus : -MissingKindPenalty,
        QuestionKind.Time => HasDate().IsMatch(sentence) ? AnswerKindBonus : -MissingDatePenalty,
        QuestionKind.Person => NewPersonName(sentence, questionWords) ? AnswerKindBonus : -MissingKindPenalty,
        QuestionKind.Entity or QuestionKind.Place => NewName(sentence, questionWords, null) ? AnswerKindBonus : -MissingKindPenalty,
        QuestionKind.Country => NewName(sentence, questionWords, Countries.IsCountryWord) ? AnswerKindBonus : -MissingKindPenalty,
        _ => 0,
    };

    /// <summary>The question's words, lower-cased, with and without a possessive "'s", to tell new names and numbers from repeated ones.</summary>
    internal static HashSet<string> QuestionWords(string question)
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in WordTokenizer.Words(question))
        {
            var w = Possessive().Replace(m.Value, "");
            set.Add(w);
            set.Add(PorterStemmer.Stem(w.ToLowerInvariant()));
        }
        return set;
    }

    static bool NewNumber(string sentence, HashSet<string> questionWords)
    {
        foreach (Match m in WordTokenizer.Words(sentence))
        {
            var w = m.Value;
            if (!w.Any(char.IsDigit) && !NumberWord().IsMatch(w)) continue;
            if (!questionWords.Contains(w) && !questionWords.Contains(w.Trim('.', ','))) return true;
        }
        return false;
    }

    /// <summary>A capitalised word the question does not contain — mid-sentence, or opening the sentence when it is not a common word ("Acme has said…").</summary>
    static bool NewName(string sentence, HashSet<string> questionWords, Func<string, bool>? kind)
    {
        foreach (Match m in WordTokenizer.Words(sentence))
        {
            var w = Possessive().Replace(m.Value, "");
            if (w.Length < 2 || !char.IsUpper(w[0])) continue;
            if (questionWords.Contains(w) || questionWords.Contains(PorterStemmer.Stem(w.ToLowerInvariant()))) continue;
            bool opensSentence = m.Index == 0 || sentence[..m.Index].TrimEnd().EndsWith('"') || sentence[..m.Index].TrimEnd().EndsWith('“');
            if (opensSentence && (StopWords.IsQueryNoise(w.ToLowerInvariant()) || CommonOpeners.Contains(w))) continue;
            if (w.All(char.IsUpper) && w.Length > 5) continue; // a shouted word, not an acronym
            if (kind is not null && !kind(w)) continue;
            return true;
        }
        return false;
    }

    /// <summary>A person's name the question does not give: two or more capitalised words in a row ("Jane Doe", "John Smith").</summary>
    internal static bool NewPersonName(string sentence, HashSet<string> questionWords)
    {
        foreach (Match m in PersonName().Matches(sentence))
        {
            var parts = NameParts(m.Value);
            if (m.Index == 0 && (StopWords.IsQueryNoise(parts[0].ToLowerInvariant()) || CommonOpeners.Contains(parts[0]))) parts.RemoveAt(0);
            // a run of place adjectives and nouns ("Swiss Federal", "British Airways") names a body, not a person
            if (parts.Any(p => Lexicon.PlacesOf(p).Any())) continue;
            if (parts.Count >= 2 && parts.Any(p => !questionWords.Contains(p)) && !parts.Any(OrganisationWords.Contains)) return true;
        }
        return false;
    }

    /// <summary>The words of a matched name, possessives stripped ("Jane Doe's" → Jane, Doe).</summary>
    static List<string> NameParts(string name)
        => name.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => Possessive().Replace(p, "")).ToList();

    static readonly HashSet<string> Roles = new(StringComparer.OrdinalIgnoreCase)
    {
        "chairman", "chairwoman", "chair", "chief", "head", "captain", "manager", "boss", "coach", "director", "president", "leader", "executive",
        "spokesman", "spokeswoman", "spokesperson", "minister", "secretary", "editor", "founder", "ceo", "governor", "commissioner", "analyst",
        "economist", "actor", "actress", "winner", "producer", "designer", "author", "writer", "singer", "judge", "lawyer", "mayor", "chancellor",
        "ambassador", "owner", "investor", "presenter", "striker", "goalkeeper", "player", "champion", "candidate", "general", "officer", "adviser",
    };

    /// <summary>The role nouns the question names ("chairman", "captain", "manager").</summary>
    internal static HashSet<string> RoleWords(string question)
        => WordTokenizer.Words(question).Select(m => Possessive().Replace(m.Value, "")).Where(Roles.Contains).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>A person's name the question does not give, within four words of one of the roles ("party chairman Jane Doe", "John Smith, studio general manager").</summary>
    internal static bool RoleBesideNewName(string sentence, HashSet<string> roles, HashSet<string> questionWords)
    {
        var words = WordTokenizer.Words(sentence).ToList();
        foreach (Match m in PersonName().Matches(sentence))
        {
            var parts = NameParts(m.Value);
            if (parts.Count < 2 || parts.All(questionWords.Contains) || parts.Any(OrganisationWords.Contains)) continue;
            int first = words.FindIndex(w => w.Index >= m.Index), last = words.FindLastIndex(w => w.Index < m.Index + m.Length);
            if (first < 0 || last < 0) continue;
            for (int j = Math.Max(0, first - RoleWindowWords); j <= Math.Min(words.Count - 1, last + RoleWindowWords); j++)
                if ((j < first || j > last) && roles.Contains(Possessive().Replace(words[j].Value, ""))) return true;
        }
        return false;
    }

    static readonly HashSet<string> OrganisationWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "academy", "arts", "association", "awards", "bank", "board", "ceremony", "championship", "club", "commission", "committee", "company", "corporation",
        "council", "court", "cup", "department", "federation", "festival", "games", "group", "house", "inc", "institute", "league", "ltd", "ministry",
        "motion", "museum", "office", "organisation", "organization", "parliament", "party", "picture", "plc", "school", "service", "society", "street",
        "times", "union", "united", "university", "news", "post", "journal", "exchange", "market", "index", "fund", "agency", "authority",
    };

    static readonly HashSet<string> CommonOpeners = new(StringComparer.OrdinalIgnoreCase)
    {
        "however", "meanwhile", "today", "yesterday", "last", "this", "earlier", "later", "now", "many", "some", "most", "analysts", "officials", "experts", "critics", "figures", "shares", "sales", "prices",
        "according", "speaking", "despite", "although", "while", "after", "before", "since", "under", "instead", "overall", "separately",
    };

    [GeneratedRegex(@"\b(how (many|much|often|far|long|old|big|large|high|tall|fast|heavy)|what (number|percentage|per cent|percent|share|proportion|amount|sum|price|figure|total|majority|rate|level|value|margin|score|age|salary|fee|cost)|(by|to) (how much|what (margin|majority|percentage|level|amount|figure|rate))|what (is|was|were|are|will be) (\S+ ){0,3}(revenue|revenues|profit|profits|loss|losses|price|cost|value|population|salary|budget|turnover|income|debt|score|figure|total|death toll|toll|rate|valuation|share price|market value|fine|bill))\b")]
    private static partial Regex QuantityQ();

    [GeneratedRegex(@"\b(when|what (year|date|day|month|time)|which (year|day|month)|since when|how long ago)\b")]
    private static partial Regex TimeQ();

    [GeneratedRegex(@"\b(who|whom|whose|(which|what) (\w+ ){0,2}(person|people|man|woman|men|women|actor|actress|star|singer|player|minister|president|leader|chief|boss|executive|manager|coach|director|winner|candidate|official|politician|mp|judge|lawyer|author|writer|artist|rapper|musician|chef|ceo|founder|spokesman|spokeswoman|economist|analyst))\b")]
    private static partial Regex PersonQ();

    [GeneratedRegex(@"\b(which|what) (\w+ ){0,2}(band|group|team|side|club|company|firm|bank|carrier|airline|operator|maker|brand|party|film|movie|show|series|song|album|book|game|drug|product|app|device|phone|console|car|ship|newspaper|channel|network|website|organisation|organization|agency|union)\b")]
    private static partial Regex EntityQ();

    [GeneratedRegex(@"\p{Lu}[\p{L}'’\-]+(?:\s+(?:\p{Lu}\.\s*)*\p{Lu}[\p{L}'’\-]+)+")]
    private static partial Regex PersonName();

    [GeneratedRegex(@"\b(which|what) (\w+ ){0,2}(country|countries|country's|nation|nationality)\b")]
    private static partial Regex CountryQ();

    [GeneratedRegex(@"\b(where|(which|what) (\w+ ){0,2}(city|cities|town|region|state|place|nation|seat|constituency|venue|stadium|capital))\b")]
    private static partial Regex PlaceQ();

    [GeneratedRegex(@"['’]s$")]
    private static partial Regex Possessive();

    [GeneratedRegex(@"^(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|dozen|dozens|hundreds|thousands|millions|billions|half|quarter|third)$", RegexOptions.IgnoreCase)]
    private static partial Regex NumberWord();

    [GeneratedRegex(@"\b(\d{4}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|yesterday|today|last (week|month|year)|this (week|month|year)|on \w+day)\b", RegexOptions.IgnoreCase)]
    private static partial Regex HasDate();
}
