using System.Text.RegularExpressions;
using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Core.Stories;

/// <summary>
/// What the clusterer knows of one article: the embedding of its title and lead (the vector of its first
/// chunk, which ingestion embeds as title + first passage anyway), the names and numbers of its title and
/// lead, its time (publication, else ingestion) and, for the story record, its headline and outlet.
/// </summary>
public sealed record ArticleFeatures
{
    public required string ArticleId { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required float[] Vector { get; init; }
    public IReadOnlyList<string> Entities { get; init; } = [];
    public IReadOnlyList<string> Numbers { get; init; } = [];
    public string Title { get; init; } = "";
    public string? Outlet { get; init; }
}

/// <summary>Extracts <see cref="ArticleFeatures"/> from an article (pure).</summary>
public static partial class StoryFeatureExtractor
{
    /// <summary>How much of the body counts as the lead: the first paragraphs up to this many characters.</summary>
    public const int LeadChars = 600;

    public static ArticleFeatures Extract(ArticleRecord article, float[] vector) => new()
    {
        ArticleId = article.Id,
        Time = article.Article.Published ?? article.IngestedAt,
        Vector = vector,
        Entities = Entities(article.Article.Title, Lead(article.Body)),
        Numbers = Numbers(article.Article.Title + "\n" + Lead(article.Body)),
        Title = article.Article.Title,
        Outlet = string.IsNullOrWhiteSpace(article.Article.Outlet) ? null : article.Article.Outlet.Trim(),
    };

    /// <summary>The first paragraphs of a body, up to about <see cref="LeadChars"/> characters.</summary>
    public static string Lead(string body)
    {
        var paragraphs = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var lead = new System.Text.StringBuilder();
        foreach (var p in paragraphs)
        {
            if (lead.Length > 0 && lead.Length + p.Length > LeadChars) break;
            if (lead.Length > 0) lead.Append('\n');
            lead.Append(p.Length > LeadChars * 2 ? p[..(LeadChars * 2)] : p);
        }
        return lead.ToString();
    }

    /// <summary>
    /// Names (people, places, organisations) as lower-case words: capitalised words that do not open a sentence
    /// (an opening word counts when the next word is capitalised too, "Joe Biden said"), less calendar words,
    /// titles and stop words. A title in Title Case says nothing by its capitals and is skipped. Word-level
    /// rather than full names so that "President Joe Biden" and "Biden" meet. Hand-written: no NER model ships
    /// offline, and this is the part of a NER that the clusterer needs.
    /// </summary>
    public static IReadOnlyList<string> Entities(string title, string lead)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!IsTitleCase(title)) AddNames(title, result);
        AddNames(lead, result);
        return [.. result.Order(StringComparer.Ordinal)];
    }

    /// <summary>Numbers of two or more digits (years, counts, scores), without separators.</summary>
    public static IReadOnlyList<string> Numbers(string text)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in NumberPattern().Matches(text))
        {
            var n = m.Value.Replace(",", "", StringComparison.Ordinal).TrimEnd('.');
            if (n.Count(char.IsDigit) >= 2) result.Add(n);
        }
        return [.. result.Order(StringComparer.Ordinal)];
    }

    static void AddNames(string text, HashSet<string> into)
    {
        foreach (var sentence in SentenceSplitter.Split(text))
        {
            var words = WordPattern().Matches(sentence).Select(m => m.Value).ToList();
            for (int i = 0; i < words.Count; i++)
            {
                var w = words[i];
                if (!char.IsUpper(w[0])) continue;
                bool opening = i == 0;
                if (opening && !(i + 1 < words.Count && char.IsUpper(words[i + 1][0]))) continue;
                var lower = Normalize(w);
                if (lower.Length < 2 || StopWords.IsStopWord(lower) || NotNames.Contains(lower)) continue;
                into.Add(lower);
            }
        }
    }

    static string Normalize(string word)
    {
        var w = word.ToLowerInvariant().Replace('’', '\'');
        if (w.EndsWith("'s", StringComparison.Ordinal)) w = w[..^2];
        return w.Trim('\'', '-');
    }

    static bool IsTitleCase(string title)
    {
        var words = WordPattern().Matches(title).Select(m => m.Value).Where(w => w.Length > 3).ToList();
        return words.Count >= 3 && words.Count(w => char.IsUpper(w[0])) >= words.Count * 0.7;
    }

    static readonly HashSet<string> NotNames = new(StringComparer.Ordinal)
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
        "mr", "mrs", "ms", "dr", "sir", "president", "minister", "prime", "chancellor", "governor", "mayor", "senator", "secretary",
        "officials", "police", "government", "update", "breaking", "live", "news", "report", "reports", "analysis", "opinion",
    };

    [GeneratedRegex(@"\p{L}[\p{L}\p{M}'’\-]*")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\d[\d,]*(?:\.\d+)?")]
    private static partial Regex NumberPattern();
}
