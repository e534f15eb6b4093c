using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Coverage;

/// <summary>What a coverage question asks about a story.</summary>
public enum CoverageKind
{
    /// <summary>"Which outlets reported X?": every outlet that covered the story.</summary>
    Outlets,
    /// <summary>"Who reported X first?", "When did OUTLET first report it?": by publication time.</summary>
    First,
    /// <summary>"How do their accounts differ?", "What does A say that B doesn't?": the points where the outlets differ.</summary>
    Differences,
}

/// <summary>A question about how the news covered a story rather than about the story itself.</summary>
/// <param name="Topic">What the story is about, as the question says it: the question without its coverage words and the
/// outlets it names ("the rail strike"); no content words when it leans on the conversation ("who had it first?").</param>
/// <param name="OutletNames">The outlets the question names, as written: "When did A first report it?" gives [A];
/// "What does A say that B doesn't?" gives [A, B], or [A] when B is "the others".</param>
public sealed record CoverageQuestion(CoverageKind Kind, string Topic, IReadOnlyList<string> OutletNames)
{
    /// <summary>Whether the question names its own topic (else the story comes from the conversation).</summary>
    public bool HasTopic => LexicalAnalyzer.QueryTerms(Topic).Count > 0;
}

/// <summary>
/// Recognises coverage questions by their phrasing (English): a question word with a word for news outlets and a
/// reporting verb ("which sites covered…", "who else reported…"), "first"/"earliest" or "broke" with those
/// ("who had it first?", "which paper was first to report…", "when did OUTLET first report…"), and the ways of
/// asking how accounts differ ("how do their accounts differ?", "where do they disagree?", "what does A say that
/// B doesn't?", "compare the coverage of…"). Everything else is an ordinary question.
/// </summary>
public static partial class CoverageQuestions
{
    const string OutletNoun = @"(?:news\s+|media\s+)?(?:outlets?|sites?|websites?|web\s+sites?|papers?|newspapers?|sources?|media|publications?|press|agenc(?:y|ies)|news\s?(?:organi[sz]ations?|services?)|broadcasters?|channels?|networks?|titles?|journalists?|reporters?)";
    const string ReportVerb = "(?:" + StrongVerb + "|" + WeakVerb + ")";
    /// <summary>Verbs that say "reported" whatever their object: "who reported the fire?" asks about the coverage.</summary>
    const string StrongVerb = @"(?:report(?:ed|s|ing)?|publish(?:ed|es|ing)?|(?:wrote|write|writes|writing|written)\s+(?:about|on|up))";
    /// <summary>
    /// Verbs that mean "reported" only with the news as their object: "who ran the story?" asks about the coverage, "who ran
    /// the marathon?", "who broke the record?", "who covered the cost?" and "who is running for mayor?" do not.
    /// </summary>
    const string WeakVerb = @"(?:cover(?:ed|s|ing)?|carr(?:ied|y|ies|ying)|ran|run(?:s|ning)?|pick(?:ed|s)?\s+up|mention(?:ed|s)?|br(?:oke|eak|eaks)|post(?:ed|s)?|air(?:ed|s)?)";
    /// <summary>
    /// The news as an object: "it", "this", "the story", "that report", "the news about the fire"; a bare pronoun only where
    /// the question ends or "first" follows ("who broke that record?" is about the record).
    /// </summary>
    const string StoryObject = @"(?:(?:it|this|that|them)(?=\s*(?:[?.!,;:]|$)|\s+(?:first|earliest|initially|before|too|also|as\s+well|at\s+all|yet)\b)|(?:the|this|that|their|a)\s+(?:story|stories|news|scoop|report|reports|item|piece|article|headline)(?:\s+(?:about|on|of)\s+(?:(?>[\p{L}\p{N}'’\-]+)\s+){0,6}?(?>[\p{L}\p{N}'’\-]+))?)";
    /// <summary>
    /// Where a question's own "who" stands: at its start, after punctuation or a joining word ("and who had it first?"), or
    /// after a verb of asking ("tell me who reported it") — not a relative clause ("the walker who broke his back").
    /// </summary>
    const string WhoAtStart = @"(?<=^\W*|[^\p{L}\p{N}\s'’]\s*|\b(?:and|so|but|then|also|now|ok|okay|know|me|us|wonder|wondering|ask|asking)\s+)who";
    const string Aux = @"(?:(?:has|have|had|did|do|does|is|are|was|were)\s+)?(?:(?:also|already|all|actually|even)\s+)?";
    const string Gap = @"(?:(?>[\p{L}\p{N}'’\-,]+)\s+){0,6}?";
    const string Negation = @"(?:doesn['’]?t|does\s+not|didn['’]?t|did\s+not|don['’]?t|do\s+not|won['’]?t|hasn['’]?t|has\s+not|haven['’]?t|have\s+not)";
    /// <summary>Who has the accounts: "they", "the outlets", "their reports", "the two papers'".</summary>
    const string Subject = @"(?:they|the(?:ir)?\s+(?:(?>\w+)\s+)?(?:" + OutletNoun + @"|accounts?|reports?|versions?|articles?|stories|coverage)['’]?)";
    const string Others = @"(?:the\s+)?(?:others?|other\s+\w+|rest|nobody|no\s?one|no-one|anyone|anybody)(?:\s+else)?";
    const string WhoOrWhichOne = @"(?:" + WhoAtStart + @"|\bwhich\s+one)";
    const string FirstTail = @"\b(?:first|earliest|before\s+(?:anyone|everyone|the\s+others?))\b";

    /// <summary>The coverage question, or null for any other question.</summary>
    public static CoverageQuestion? Parse(string question)
    {
        try
        {
            return ParsePatterns(question);
        }
        catch (RegexMatchTimeoutException)
        {
            return null; // phrasing too tangled to read: answered as an ordinary question
        }
    }

    static CoverageQuestion? ParsePatterns(string question)
    {
        var q = question.Trim();
        if (q.Length == 0 || q.Length > 400) return null;
        foreach (var (regex, kind) in Patterns)
        {
            var m = regex.Match(q);
            if (!m.Success) continue;
            var names = new List<string>();
            foreach (var g in new[] { "a", "b" })
                if (m.Groups[g].Success && OutletName(m.Groups[g].Value) is { } name) names.Add(name);
            return new CoverageQuestion(kind, TopicOf(q, m), names);
        }
        return null;
    }

    static readonly (Regex Regex, CoverageKind Kind)[] Patterns =
    [
        (WhatOneSaysOthersDont(), CoverageKind.Differences),
        (HowAccountsDiffer(), CoverageKind.Differences),
        (WhereTheyDisagree(), CoverageKind.Differences),
        (DifferencesBetween(), CoverageKind.Differences),
        (DoTheyAgree(), CoverageKind.Differences),
        (CompareCoverage(), CoverageKind.Differences),
        (WhenFirstReported(), CoverageKind.First),
        (WhenDidOutletFirst(), CoverageKind.First),
        (WhoFirst(), CoverageKind.First),
        (WhoWasFirst(), CoverageKind.First),
        (WhoBroke(), CoverageKind.First),
        (WhichOutletsReported(), CoverageKind.Outlets),
        (WhoReported(), CoverageKind.Outlets),
    ];

    /// <summary>
    /// The question's topic: outside the matched coverage phrase everything stays ("which outlets covered the paper mill
    /// fire?" keeps "paper"); inside it only the words that are not coverage vocabulary; the named outlets go.
    /// </summary>
    static string TopicOf(string q, Match m)
    {
        var inside = q.Substring(m.Index, m.Length);
        foreach (var g in new[] { "a", "b" })
            if (m.Groups[g].Success) inside = inside.Replace(m.Groups[g].Value, " ", StringComparison.Ordinal);
        var kept = Word().Matches(inside).Select(w => w.Value).Where(w => !Vocabulary.Contains(w.ToLowerInvariant()));
        var topic = q[..m.Index] + " " + string.Join(" ", kept) + " " + q[(m.Index + m.Length)..];
        topic = FirstWords().Replace(topic, " ");
        return Spaces().Replace(topic, " ").Trim(' ', '?', '!', '.', ',', ';', ':');
    }

    /// <summary>A named outlet as written, without "the" and punctuation; null for a pronoun or "the others".</summary>
    static string? OutletName(string raw)
    {
        var name = raw.Trim().Trim('"', '“', '”', '\'', '‘', '’', ',', '.').Trim();
        if (LeadingThe().IsMatch(name) && name.Length > 4) name = name[4..].Trim();
        if (name.Length < 2 || Pronoun().IsMatch(name) || OthersWords().IsMatch(name)) return null;
        return name;
    }

    /// <summary>The words of coverage phrasing: dropped from the topic when they fall inside the matched phrase.</summary>
    static readonly HashSet<string> Vocabulary = new(StringComparer.Ordinal)
    {
        "which", "what", "who", "whom", "when", "where", "how", "many", "did", "do", "does", "has", "have", "had", "is", "are", "was", "were",
        "the", "a", "an", "their", "they", "them", "it", "its", "this", "that", "these", "those", "there", "also", "already", "all", "else", "other",
        "others", "outlet", "outlets", "site", "sites", "website", "websites", "web", "paper", "papers", "newspaper", "newspapers", "source", "sources",
        "media", "publication", "publications", "press", "agency", "agencies", "organisation", "organisations", "organization", "organizations",
        "service", "services", "broadcaster", "broadcasters", "channel", "channels", "network", "networks", "title", "titles", "journalist", "journalists",
        "reporter", "reporters", "news", "report", "reported", "reports", "reporting", "cover", "covered", "covers", "covering", "coverage", "carry",
        "carried", "carries", "carrying", "ran", "run", "runs", "running", "publish", "published", "publishes", "publishing", "wrote", "write", "writes",
        "writing", "written", "about", "on", "up", "pick", "picked", "picks", "mention", "mentioned", "mentions", "broke", "break", "breaks", "post",
        "posted", "posts", "air", "aired", "airs", "first", "earliest", "to", "with", "story", "account", "accounts", "version", "versions", "stories",
        "article", "articles", "differ", "differs", "different", "difference", "differences", "vary", "compare", "compared", "disagree", "disagrees",
        "disagreement", "disagreements", "diverge", "contradict", "contradiction", "contradictions", "discrepancy", "discrepancies", "inconsistency",
        "inconsistencies", "agree", "between", "among", "across", "in", "way", "ways", "say", "says", "said", "tell", "tells", "add", "adds", "include",
        "includes", "that", "doesn't", "doesnt", "don't", "dont", "didn't", "didnt", "not", "no", "one", "nobody", "anyone", "anybody", "rest", "got", "get",
        "actually", "even", "won't", "hasn't", "haven't", "each", "of", "and",
    };

    [GeneratedRegex(@"\bwhat\s+(?:does|did|do|has)\s+(?<a>.{2,60}?)\s+(?:say|said|report|write|mention|have|has|include|add|tell\s+us|know)\s+(?:.{2,60}?\s+)?(?:that|which|what)\s+(?:(?<b>" + Others + @")|(?<b>.{2,60}?))\s+" + Negation + @"\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhatOneSaysOthersDont();

    [GeneratedRegex(@"\bhow\s+(?:do|did|does)\s+" + Gap + @"(?:accounts?|reports?|versions?|stories|coverage|reporting|articles?|descriptions?)\s+" + Gap + @"(?:differ|compare|vary|diverge)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex HowAccountsDiffer();

    [GeneratedRegex(@"\b(?:where|how|on\s+what|in\s+what\s+ways?|what|which\s+(?:points?|facts?|details?|figures?|numbers?))\s+(?:do|did|does)\s+" + Subject + @"\s+" + Gap + @"(?:disagree|differ|diverge|contradict(?:\s+each\s+other)?)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhereTheyDisagree();

    [GeneratedRegex(@"\b(?:disagree(?:ment)?s?|differences?|discrepanc(?:y|ies)|contradictions?|inconsistenc(?:y|ies))\s+(?:between|among|in|across|of)\s+(?:the\s+|their\s+)?" + Gap + @"(?:accounts?|reports?|reporting|coverage|" + OutletNoun + @"|versions?|stories|articles?)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex DifferencesBetween();

    [GeneratedRegex(@"\b(?:do|did|does)\s+(?:they|the\s+" + Gap + @"(?:" + OutletNoun + @"|reports?|accounts?|versions?|articles?|stories))\s+(?:(?>\w+)\s+){0,2}?(?:agree|disagree|differ|contradict)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex DoTheyAgree();

    [GeneratedRegex(@"\bcompare\s+(?:the\s+|their\s+)?(?:(?>\w+)\s+){0,2}?(?:coverage|accounts?|reports?|reporting|versions?)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex CompareCoverage();

    [GeneratedRegex(@"\bwhen\s+(?:did|does|had|has)\s+(?<a>.{2,60}?)\s+(?:first\s+|initially\s+|start\s+|begin\s+)?(?:to\s+)?" + ReportVerb + @"\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhenDidOutletFirst();

    [GeneratedRegex(@"\bwhen\s+(?:was|were)\s+" + Gap + @"(?:first|initially)\s+(?:been\s+)?" + ReportVerb + @"\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhenFirstReported();

    [GeneratedRegex(@"\bwhich\s+" + OutletNoun + @"\s+(?:(?>\w+)\s+)?(?:first\s+)?(?:" + ReportVerb + @"|had|got|have|has)\b.*?" + FirstTail + @"|\bwhich\s+" + OutletNoun + @"\s+(?:first|initially)\s+" + ReportVerb + @"\b"
        + @"|" + WhoOrWhichOne + @"\s+(?:(?>\w+)\s+)?(?:first\s+)?" + StrongVerb + @"\b.*?" + FirstTail
        + @"|" + WhoOrWhichOne + @"\s+(?:(?>\w+)\s+)?(?:first\s+)?(?:" + WeakVerb + @"|had|got|have|has)\s+" + StoryObject + @"\s+(?:(?>\w+)\s+){0,2}?" + FirstTail
        + @"|" + WhoOrWhichOne + @"\s+(?:first|initially)\s+(?:" + StrongVerb + @"\b|" + WeakVerb + @"\s+" + StoryObject + @"\b)", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhoFirst();

    [GeneratedRegex(@"\bwhich\s+" + OutletNoun + @"\s+(?:was|were|is|came)\s+(?:the\s+)?(?:first|earliest)\b"
        + @"|" + WhoOrWhichOne + @"\s+(?:was|were|is|came)\s+(?:the\s+)?(?:first|earliest)(?:\s+one)?(?:\s*[?.!]*\s*$|\s+to\s+(?:" + StrongVerb + @"\b|" + WeakVerb + @"\s+" + StoryObject + @"\b)|\s+(?:with|on)\s+" + StoryObject + @"\b)", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhoWasFirst();

    [GeneratedRegex(@"\bwhich\s+" + OutletNoun + @"\s+broke\s+(?:the|this|that|it)\b|" + WhoOrWhichOne + @"\s+broke\s+" + StoryObject + @"\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhoBroke();

    [GeneratedRegex(@"\b(?:which|what|how\s+many)\s+(?:other\s+)?" + OutletNoun + @"\s+" + Aux + ReportVerb + @"\b|\b(?:which|what)\s+(?:other\s+)?" + OutletNoun + @"\s+(?:have|had|has)\s+(?:the|this|that|it)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhichOutletsReported();

    [GeneratedRegex(WhoAtStart + @"\s+else\s+" + Aux + ReportVerb + @"\b|" + WhoAtStart + @"\s+" + Aux + @"(?:" + StrongVerb + @"\b|" + WeakVerb + @"\s+" + StoryObject + @"\b)", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex WhoReported();

    [GeneratedRegex(@"\b(?:first|earliest|initially)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex FirstWords();

    [GeneratedRegex(@"^the\s", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex LeadingThe();

    [GeneratedRegex(@"^(?:it|they|he|she|them|we|you|this|that|these|those|each|each\s+one|both|either|one)$", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex Pronoun();

    [GeneratedRegex(@"^" + Others + @"$", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 250)]
    private static partial Regex OthersWords();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'’\-\.]*[\p{L}\p{N}]|[\p{L}\p{N}]")]
    private static partial Regex Word();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Spaces();
}
