using NewsBot.Core.Text;

namespace NewsBot.Core.Digests;

/// <summary>
/// Include / exclude keywords on a subscription or a follow, written the way RSS bots take them:
/// <c>+harbour</c> must occur, <c>-sport</c> must not. Words are compared by their stems, so
/// <c>-celebrity</c> also keeps out "celebrities". A quoted phrase (<c>+"city council"</c>) needs its
/// words next to each other.
/// </summary>
public sealed record KeywordFilter
{
    public static KeywordFilter None { get; } = new();

    public IReadOnlyList<string> Include { get; init; } = [];
    public IReadOnlyList<string> Exclude { get; init; } = [];

    public bool IsEmpty => Include.Count == 0 && Exclude.Count == 0;

    /// <summary>
    /// Splits arguments into the filter (<c>+word</c>, <c>-word</c>) and the rest (a topic, a time…).
    /// A lone "+" or "-" and negative numbers stay in the rest.
    /// </summary>
    public static KeywordFilter Parse(IEnumerable<string> args, out List<string> rest)
    {
        var include = new List<string>();
        var exclude = new List<string>();
        rest = [];
        foreach (var raw in args)
        {
            var a = raw.Trim();
            if (a.Length > 1 && (a[0] == '+' || a[0] == '-') && !char.IsDigit(a[1]))
            {
                var word = a[1..].Trim('"', '\'', '“', '”');
                if (word.Length == 0 || Tokens(word).Count == 0) { rest.Add(raw); continue; }
                var list = a[0] == '+' ? include : exclude;
                if (!list.Contains(word, StringComparer.OrdinalIgnoreCase)) list.Add(word);
            }
            else if (a.Length > 0)
            {
                rest.Add(raw);
            }
        }
        return new KeywordFilter { Include = include, Exclude = exclude };
    }

    /// <summary>Whether a text (titles, leads, outlets, links) passes: every include occurs, no exclude does.</summary>
    public bool Matches(string text)
    {
        if (IsEmpty) return true;
        var tokens = Tokens(text);
        return Include.All(k => Contains(tokens, Tokens(k))) && !Exclude.Any(k => Contains(tokens, Tokens(k)));
    }

    /// <summary>"+harbour -sport", for showing the filter back to the user.</summary>
    public override string ToString()
        => string.Join(' ', Include.Select(k => "+" + Quote(k)).Concat(Exclude.Select(k => "-" + Quote(k))));

    static string Quote(string k) => k.Contains(' ') ? $"\"{k}\"" : k;

    static bool Contains(List<string> haystack, List<string> needle)
    {
        if (needle.Count == 0) return false;
        for (int i = 0; i + needle.Count <= haystack.Count; i++)
        {
            int j = 0;
            while (j < needle.Count && haystack[i + j] == needle[j]) j++;
            if (j == needle.Count) return true;
        }
        return false;
    }

    /// <summary>Lower-cased, diacritics folded, stemmed words (links split at their punctuation).</summary>
    static List<string> Tokens(string text)
        => LexicalAnalyzer.Words(text).Select(w => PorterStemmer.Stem(LexicalAnalyzer.FoldDiacritics(w))).ToList();
}
