using System.Text.RegularExpressions;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>How a question relates to the conversation before it.</summary>
/// <param name="Focus">What the user asked this time, without the carried topic.</param>
public sealed record Rewrite(string Standalone, bool IsFollowUp, IReadOnlyList<string> PreferredArticleIds, string? Focus = null);

/// <summary>
/// The offline follow-up resolver: a question that leans on the previous turn — it starts with "and",
/// "what about", "how about", "also"; it is short and has a pronoun or demonstrative ("it", "they",
/// "that", "there", "his") or is elliptical ("and for how much?", "when was that?") — is rewritten by
/// carrying the previous topic (the content words of the previous standalone question) and prefers the
/// articles cited in the previous answer; so is one that only describes what it is about ("the Dutch firm").
/// A question with its own topic stands alone.
/// </summary>
public static partial class FollowUpRewriter
{
    static readonly HashSet<string> Pronouns = new(StringComparer.OrdinalIgnoreCase)
    {
        "it", "its", "it's", "they", "them", "their", "theirs", "he", "him", "his", "she", "her", "hers", "that", "this", "those", "these",
        "there", "then", "one", "ones", "such", "so", "same", "former", "latter", "whose",
    };

    public static Rewrite Rewrite(string question, IReadOnlyList<ConversationTurn> history)
    {
        var last = history.LastOrDefault(t => !t.Refused) ?? history.LastOrDefault();
        if (last is null) return new Rewrite(question, false, []);
        if (!IsFollowUp(question)) return new Rewrite(question, false, []);

        // carry the previous topic: content words of the previous standalone question not already asked
        var asked = new HashSet<string>(LexicalAnalyzer.QueryTerms(question));
        var carry = new List<string>();
        foreach (var w in TopicWords(QueryParser.WithoutOutletFilters(last.StandaloneQuery)))
            if (!asked.Contains(PorterStemmer.Stem(LexicalAnalyzer.FoldDiacritics(w.ToLowerInvariant())))) carry.Add(w);
        var cleaned = Leading().Replace(question.Trim(), "").Trim();
        if (cleaned.Length == 0) cleaned = question.Trim();
        var standalone = carry.Count == 0 ? cleaned : $"{cleaned} ({string.Join(" ", carry)})";
        // the outlets the conversation asked for stay asked for, unless this question names its own
        if (QueryParser.OutletFilters(question).Count == 0)
            foreach (var filter in QueryParser.OutletFilters(last.StandaloneQuery)) standalone += " " + filter;
        return new Rewrite(standalone, true, last.CitedArticleIds, cleaned);
    }

    public static bool IsFollowUp(string question)
    {
        var q = question.Trim();
        if (!q.Any(char.IsLetterOrDigit)) return false; // "…", "?": nothing to follow up
        if (Leading().IsMatch(q)) return true;
        if (Ellipsis().IsMatch(q)) return true; // "what would the other side do instead?"
        var words = LexicalAnalyzer.Words(q).ToList();
        var content = LexicalAnalyzer.QueryTerms(q);
        bool hasPronoun = words.Any(w => Pronouns.Contains(w));
        var names = CapitalisedName().Matches(q.Length > 1 ? q[1..] : ""); // named entities after the first letter
        if (hasPronoun && content.Count <= 4 && names.Count == 0) return true;
        // "he", "it", "they" with nothing in the question they could stand for: before any name
        // ("who does he think could replace Smith?"), or beside a single name in a short question
        // ("which Linux versions fix it?"); "did Smith say he would meet Jones?" stands alone
        var pronoun = PersonalPronoun().Match(q);
        if (pronoun.Success && (names.Count == 0 || names[0].Index + 1 > pronoun.Index || (names.Count == 1 && content.Count <= 3))) return true;
        if (content.Count <= 1 && words.Count <= 6) return true; // "when was that?", "and how much?"
        // a definite description and no name to anchor it but a nationality ("how much did the Dutch firm's
        // profit rise?", "who runs the firm now?"): what it describes was named before
        if (DefiniteReferent().IsMatch(q) && names.All(n => Countries.IsCountryWord(n.Value))) return true;
        return false;
    }

    /// <summary>Words of a question that carry its topic (no stop words or question noise), original spelling.</summary>
    public static IEnumerable<string> TopicWords(string text)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in WordTokenizer.Words(text))
        {
            var w = m.Value;
            var lower = w.ToLowerInvariant();
            if (StopWords.IsQueryNoise(lower) || Pronouns.Contains(lower) || lower.Length < 2) continue;
            if (seen.Add(lower)) yield return w;
        }
    }

    [GeneratedRegex(@"^(?:and|but|also|so|then|plus|what about|how about|and what about|and how about|what of|any news on|any update on)\b[\s,]*", RegexOptions.IgnoreCase)]
    private static partial Regex Leading();

    [GeneratedRegex(@"\b(he|him|his|she|her|hers|it|its|they|them|their|theirs)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PersonalPronoun();

    [GeneratedRegex(@"\bthe (?:\p{L}+ )?(?:firm|company|maker|group|club|side|team|drug|deal|bank|carrier|airline|band|film|movie|show|minister|government|party|player|singer|star|channel|console|bid|plan|scheme|report|book|game|case|country|city)(?:['’]s)?\b", RegexOptions.IgnoreCase)]
    private static partial Regex DefiniteReferent();

    [GeneratedRegex(@"\b(instead|else|as well|either)\W*$", RegexOptions.IgnoreCase)]
    private static partial Regex Ellipsis();

    [GeneratedRegex(@"\b\p{Lu}[\p{Ll}\p{Lu}]+")]
    private static partial Regex CapitalisedName();
}
