using System.Globalization;
using System.Text;

namespace NewsBot.Core.Text;

public static class TextNormalizer
{
    /// <summary>
    /// Cleans one line or paragraph: Unicode NFC, control characters removed, non-breaking and
    /// other odd spaces made plain, runs of whitespace collapsed, trimmed.
    /// </summary>
    public static string CleanInline(string text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var s = text.Normalize(NormalizationForm.FormC);
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (var ch in s)
        {
            if (ch == '\u00AD' || ch == '\u200B' || ch == '\uFEFF' || ch == '\u200C' || ch == '\u200D') continue; // soft hyphen, zero-width
            if (char.IsWhiteSpace(ch) || char.GetUnicodeCategory(ch) == UnicodeCategory.SpaceSeparator)
            {
                space = true;
                continue;
            }
            if (char.IsControl(ch)) { space = true; continue; }
            if (space && sb.Length > 0) sb.Append(' ');
            space = false;
            sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>Splits text into cleaned, non-empty paragraphs at blank lines (or single newlines when <paramref name="lineIsParagraph"/>).</summary>
    public static List<string> SplitParagraphs(string text, bool lineIsParagraph)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return result;
        var normalized = text.Replace("\r\n", "\n").Replace('\r', '\n');
        if (lineIsParagraph)
        {
            foreach (var line in normalized.Split('\n'))
            {
                var c = CleanInline(line);
                if (c.Length > 0) result.Add(c);
            }
            return result;
        }
        var sb = new StringBuilder();
        foreach (var line in normalized.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(line);
        }
        Flush();
        return result;

        void Flush()
        {
            if (sb.Length == 0) return;
            var c = CleanInline(sb.ToString());
            if (c.Length > 0) result.Add(c);
            sb.Clear();
        }
    }

    /// <summary>A canonical form of a body for exact-duplicate hashing: lower case, letters and digits only, single spaces.</summary>
    public static string Canonical(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (var ch in text.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetterOrDigit(ch))
            {
                if (space && sb.Length > 0) sb.Append(' ');
                space = false;
                sb.Append(char.ToLowerInvariant(ch));
            }
            else
            {
                space = true;
            }
        }
        return sb.ToString();
    }

    /// <summary>Shortens text to at most <paramref name="max"/> characters at a word boundary, adding an ellipsis.</summary>
    public static string Truncate(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = text.LastIndexOf(' ', Math.Max(0, max - 1), Math.Min(max, 40));
        if (cut <= 0) cut = max - 1;
        return text[..cut].TrimEnd(',', ';', ':', ' ') + "…";
    }
}
