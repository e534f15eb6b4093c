using System.Globalization;
using System.Text.RegularExpressions;

namespace NewsBot.Core.Text;

/// <summary>Title, byline, date, outlet and paragraphs parsed from a plain-text or Markdown article.</summary>
public sealed record ParsedText(
    string Title,
    string? Author,
    string? Outlet,
    DateTimeOffset? Published,
    string? Url,
    IReadOnlyList<string> Paragraphs);

/// <summary>
/// Parses plain-text and Markdown news articles:
/// the first non-empty line (or a Markdown "# heading", or front-matter <c>title:</c>) is the title;
/// a "By NAME" line is the byline; optional <c>key: value</c> lines right under the title
/// (author, source/outlet, date/published, url) are metadata; the rest are paragraphs
/// (separated by blank lines, or one per line when the text has no blank lines);
/// a trailing newsletter / subscription / "click here" footer is removed.
/// </summary>
public static partial class ArticleTextParser
{
    static readonly string[] MetadataKeys = ["author", "by", "byline", "source", "outlet", "publisher", "site", "date", "published", "published_at", "publication date", "updated", "url", "link", "canonical"];

    /// <summary>Metadata keys that are recognised (and skipped) but not used.</summary>
    static readonly string[] IgnoredKeys = ["linked_articles", "tags", "category", "categories", "section", "language", "lang", "id", "slug", "summary", "description", "image"];

    public static ParsedText Parse(string text, bool markdown)
    {
        text = text.Replace("\r\n", "\n").Replace('\r', '\n').TrimStart('\uFEFF');
        string? title = null, author = null, outlet = null, url = null;
        DateTimeOffset? published = null;

        var lines = text.Split('\n').ToList();

        // Markdown / YAML front matter
        if (lines.Count > 0 && lines[0].Trim() == "---")
        {
            int end = lines.FindIndex(1, l => l.Trim() is "---" or "...");
            if (end > 0)
            {
                foreach (var l in lines.Skip(1).Take(end - 1))
                    ApplyMetadata(l, ref title, ref author, ref outlet, ref published, ref url, allowTitle: true);
                lines.RemoveRange(0, end + 1);
            }
        }

        int i = 0;
        while (i < lines.Count && string.IsNullOrWhiteSpace(lines[i])) i++;
        if (title is null && i < lines.Count)
        {
            var first = lines[i].Trim();
            if (markdown) first = HeadingPrefix().Replace(first, "");
            title = TextNormalizer.CleanInline(StripMarkdownInline(first));
            i++;
        }

        // metadata and byline lines directly under the title (blank lines allowed between)
        int metaScan = 0;
        while (i < lines.Count && metaScan < 8)
        {
            var l = lines[i].Trim();
            if (l.Length == 0) { i++; continue; }
            if (markdown && (l.StartsWith("===") || l.StartsWith("---"))) { i++; continue; } // setext underline
            var cleaned = StripMarkdownInline(l).Trim('*', '_', ' ');
            var by = Byline().Match(cleaned);
            if (by.Success && author is null)
            {
                author = by.Groups["name"].Value.Trim().TrimEnd('.', ',');
                i++; metaScan++;
                continue;
            }
            // "By Ana Ruiz | Reuters", "By Ana Ruiz — The Ledger": the byline and the outlet
            var byOutlet = BylineWithOutlet().Match(cleaned);
            if (byOutlet.Success && author is null)
            {
                author = byOutlet.Groups["name"].Value.Trim().TrimEnd('.', ',');
                outlet ??= byOutlet.Groups["outlet"].Value.Trim();
                i++; metaScan++;
                continue;
            }
            // a bare dateline under the title ("June 3, 2025", "3 June 2025")
            if (published is null && cleaned.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 6 && DatelineYear().IsMatch(cleaned)
                && TryParseDate(cleaned, out var dateline))
            {
                published = dateline;
                i++; metaScan++;
                continue;
            }
            if (ApplyMetadata(cleaned, ref title, ref author, ref outlet, ref published, ref url, allowTitle: false))
            {
                i++; metaScan++;
                continue;
            }
            break;
        }

        var body = string.Join('\n', lines.Skip(i));
        if (markdown) body = MarkdownToText(body);
        bool hasBlankLines = BlankLine().IsMatch(body.Trim());
        var paragraphs = TextNormalizer.SplitParagraphs(body, lineIsParagraph: !hasBlankLines);
        paragraphs = RemoveFooter(paragraphs);
        return new ParsedText(title ?? "", author, outlet, published, url, paragraphs);
    }

    static bool ApplyMetadata(string line, ref string? title, ref string? author, ref string? outlet, ref DateTimeOffset? published, ref string? url, bool allowTitle)
    {
        var m = MetadataLine().Match(line);
        if (!m.Success) return false;
        var key = m.Groups["key"].Value.Trim().ToLowerInvariant();
        var value = m.Groups["value"].Value.Trim().Trim('"', '\'');
        if (key == "title")
        {
            if (!allowTitle) return false;
            title = TextNormalizer.CleanInline(value);
            return true;
        }
        if (IgnoredKeys.Contains(key)) return true;
        if (!MetadataKeys.Contains(key)) return allowTitle; // unknown front-matter keys are skipped
        if (key is "author" or "by" or "byline" or "source" or "outlet" or "publisher" or "site" && (value.Length > 80 || value.Split(' ').Length > 10))
            return allowTitle; // a sentence, not a name
        switch (key)
        {
            case "author" or "by" or "byline": author = value.Length > 0 ? value : author; break;
            case "source" or "outlet" or "publisher" or "site": outlet = value.Length > 0 ? value : outlet; break;
            case "date" or "published" or "published_at" or "publication date" or "updated":
                // only a value that is a date is metadata; "Date: Thursday, March 2. Location: …" is body text
                if (!TryParseDate(value, out var d)) return allowTitle;
                published ??= d;
                break;
            case "url" or "link" or "canonical":
                if (!Uri.TryCreate(value, UriKind.Absolute, out _)) return allowTitle;
                url = value;
                break;

        }
        return true;
    }

    public static bool TryParseDate(string value, out DateTimeOffset date)
    {
        value = value.Trim();
        var styles = DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal;
        string[] formats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mmK", "yyyy-MM-dd HH:mm",
            "yyyy/MM/dd", "d MMMM yyyy", "MMMM d, yyyy", "MMM d, yyyy", "d MMM yyyy", "ddd, dd MMM yyyy HH:mm:ss zzz", "ddd, d MMM yyyy HH:mm:ss 'GMT'", "ddd, dd MMM yyyy HH:mm:ss 'GMT'"];
        if (DateTimeOffset.TryParseExact(value, formats, CultureInfo.InvariantCulture, styles, out date)) return true;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, styles, out date)) return true;
        return false;
    }

    static readonly Regex[] FooterPatterns =
    [
        new(@"\bthank(s| you) for reading\b", RegexOptions.IgnoreCase),
        new(@"\bsubscrib(e|ing|er|ers|tion)\b", RegexOptions.IgnoreCase),
        new(@"\bnewsletters?\b", RegexOptions.IgnoreCase),
        new(@"\bclick here\b", RegexOptions.IgnoreCase),
        new(@"\bsign up\b", RegexOptions.IgnoreCase),
        new(@"\bfollow us on\b", RegexOptions.IgnoreCase),
        new(@"\bshare this (article|story)\b", RegexOptions.IgnoreCase),
        new(@"\ball rights reserved\b", RegexOptions.IgnoreCase),
        new(@"^(©|copyright\b)", RegexOptions.IgnoreCase),
        new(@"\bsupport (our|independent) journalism\b", RegexOptions.IgnoreCase),
        new(@"\bread more:?\s*$", RegexOptions.IgnoreCase),
    ];

    /// <summary>
    /// Drops trailing boilerplate paragraphs (newsletter pitches, "thank you for reading", "click
    /// here", copyright lines): from the end, while a short paragraph matches a footer pattern.
    /// A paragraph counts as a footer when it is short and at least one pattern matches, or when two
    /// patterns match.
    /// </summary>
    public static List<string> RemoveFooter(List<string> paragraphs)
    {
        var result = new List<string>(paragraphs);
        while (result.Count > 1)
        {
            var last = result[^1];
            int words = last.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            int hits = FooterPatterns.Count(p => p.IsMatch(last));
            if ((hits >= 1 && words <= 40) || (hits >= 2 && words <= 80)) result.RemoveAt(result.Count - 1);
            else break;
        }
        return result;
    }

    /// <summary>Markdown to plain paragraphs (<see cref="MarkdownText"/>, on Markdig).</summary>
    public static string MarkdownToText(string md) => MarkdownText.ToText(md);

    /// <summary>
    /// One line's inline Markdown (the title, a metadata line) reduced to its text. Kept as a few regexes rather
    /// than Markdig: it runs on plain-text files' lines too, where a full parser would read backslashes, entities
    /// or a leading "1." or "#" as markup.
    /// </summary>
    public static string StripMarkdownInline(string s)
    {
        s = Image().Replace(s, "$1");
        s = Link().Replace(s, "$1");
        s = RefLink().Replace(s, "$1");
        s = s.Replace("**", "").Replace("__", "");
        s = Emphasis().Replace(s, "$1");
        s = s.Replace("`", "");
        s = HtmlTag().Replace(s, "");
        return s;
    }

    [GeneratedRegex(@"^\s{0,3}#{1,6}\s*")] private static partial Regex HeadingPrefix();
    [GeneratedRegex(@"\b(?:19|20)\d{2}\b")] private static partial Regex DatelineYear();
    // a name of capitalised words and an outlet that starts with a capital: "By Monday — the talks had stalled." is prose
    [GeneratedRegex(@"^(?i:by|words by|written by|story by)\s+(?<name>\p{Lu}[\p{L}\p{M}.'’\-]*(?:\s+\p{Lu}[\p{L}\p{M}.'’\-]*){1,4})\s*[|—–]\s*(?<outlet>[\p{Lu}\p{N}][\p{L}\p{M}\p{N}.&'’\- ]{1,60})$")] private static partial Regex BylineWithOutlet();
    [GeneratedRegex(@"^(?:by|words by|written by|story by)\s+(?<name>[\p{L}][\p{L}\p{M}.'’\- ]{1,80}(?:\s+(?:and|&)\s+[\p{L}][\p{L}\p{M}.'’\- ]{1,60})?)$", RegexOptions.IgnoreCase)] private static partial Regex Byline();
    [GeneratedRegex(@"^(?<key>[A-Za-z_][A-Za-z_ ]{0,20}):\s+(?<value>.+)$")] private static partial Regex MetadataLine();
    [GeneratedRegex(@"\n\s*\n")] private static partial Regex BlankLine();
    [GeneratedRegex(@"!\[([^\]]*)\]\([^)]*\)")] private static partial Regex Image();
    [GeneratedRegex(@"\[([^\]]+)\]\([^)]*\)")] private static partial Regex Link();
    [GeneratedRegex(@"\[([^\]]+)\]\[[^\]]*\]")] private static partial Regex RefLink();
    [GeneratedRegex(@"(?<![\w*])[*_]([^*_\n]+)[*_](?![\w*])")] private static partial Regex Emphasis();
    [GeneratedRegex(@"</?[A-Za-z][^>]*>")] private static partial Regex HtmlTag();
}
