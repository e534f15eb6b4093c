using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Digests;

/// <summary>
/// The opening sentences of an article body that say what happened: news writing puts the event in the
/// lead, so a digest or an update quotes them. Page furniture that survived extraction (cookie and
/// newsletter notices, share prompts, bylines, "updated 3 hours ago") is never a lead.
/// </summary>
public static partial class LeadSentences
{
    /// <summary>Shorter than this, a "sentence" is a fragment (a dateline, a caption, a label).</summary>
    const int MinLength = 40;

    /// <summary>Longer than this, the text is an unsplit block (a list, a table), not a sentence.</summary>
    const int MaxLength = 400;

    /// <summary>The first <paramref name="count"/> usable sentences of <paramref name="body"/>.</summary>
    public static List<string> Of(string body, string? title, int count)
    {
        var result = new List<string>();
        foreach (var paragraph in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var sentence in SentenceSplitter.Split(paragraph))
            {
                var s = TextNormalizer.CleanInline(sentence);
                if (!IsUsable(s, title)) continue;
                result.Add(s);
                if (result.Count >= count) return result;
            }
        }
        return result;
    }

    /// <summary>Whether a sentence can stand in a summary: long enough, not furniture, not the headline again.</summary>
    public static bool IsUsable(string sentence, string? title)
    {
        if (sentence.Length < MinLength || sentence.Length > MaxLength) return false;
        if (Boilerplate().IsMatch(sentence)) return false;
        if (title is not null && Similarity.Jaccard(sentence, title) >= Similarity.NearIdentical) return false;
        return char.IsLetterOrDigit(sentence[0]) || sentence[0] is '"' or '“' or '‘' or '\'' or '(';
    }

    // Words that only page furniture uses; a news sentence about, say, a newsletter company still passes
    // unless it also asks the reader to act ("subscribe to", "sign up", "click here").
    [GeneratedRegex(@"\b(cookies?\b|subscribe (to|now|for)|sign up|newsletter|click here|read more|all rights reserved|advertisement|share (this|on)|follow us|updated \d+ (minutes?|hours?) ago|published \d+ (minutes?|hours?) ago)|©|^by [A-Z][\w.'-]+( [A-Z][\w.'-]+){0,3}$", RegexOptions.IgnoreCase)]
    private static partial Regex Boilerplate();
}

/// <summary>How much two sentences say the same: Jaccard overlap of their stemmed content words.</summary>
public static class Similarity
{
    /// <summary>
    /// At or above this overlap two sentences are treated as the same statement (the same wire copy lightly
    /// edited by two outlets). Chosen so that a reworded lead with one changed number still counts as the
    /// same (about 0.7 on such pairs) while two different facts about one event (about 0.2–0.4) do not.
    /// </summary>
    public const double NearIdentical = 0.6;

    public static double Jaccard(string a, string b)
    {
        var x = Terms(a);
        var y = Terms(b);
        if (x.Count == 0 || y.Count == 0) return 0;
        int shared = x.Count(y.Contains);
        return shared / (double)(x.Count + y.Count - shared);
    }

    /// <summary>Stemmed content words of a text (stop words dropped).</summary>
    public static HashSet<string> Terms(string text) => new(LexicalAnalyzer.DocumentTerms(text), StringComparer.Ordinal);
}
