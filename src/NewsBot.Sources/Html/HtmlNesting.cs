namespace NewsBot.Sources.Html;

/// <summary>A page nested deeper than NewsBot reads (see <see cref="HtmlNesting"/>).</summary>
internal sealed class HtmlTooDeepException(string message) : FormatException(message);

/// <summary>
/// Refuses HTML whose elements nest absurdly deep before it reaches the parser. An HTML parser checks "is this element
/// in scope" by walking its stack of open elements, so 100,000 nested &lt;div&gt;s cost it time quadratic in the depth
/// (minutes of CPU for a 1 MB page) and the extractor's tree walks would follow. Browsers cap the depth for the same
/// reason (Chromium's parser at 512); real articles nest a few dozen levels. This is a linear scan of the tags, not a
/// parse: it counts start tags against end tags, skipping void elements, self-closed tags, comments and the raw text of
/// &lt;script&gt;/&lt;style&gt;, which is all it takes to bound the depth. (AngleSharp has no depth limit to set.)
/// </summary>
internal static class HtmlNesting
{
    /// <summary>The deepest nesting read; deeper pages are refused.</summary>
    public const int MaxDepth = 1_000;

    static readonly HashSet<string> Void = new(StringComparer.OrdinalIgnoreCase)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "keygen", "!doctype",
    };

    /// <summary>
    /// Elements whose end tag may be left out (a page of unclosed &lt;p&gt;s, &lt;li&gt;s or table cells is ordinary HTML):
    /// the parser closes them itself when the next one starts, so they are not counted as nesting, open or closed.
    /// </summary>
    static readonly HashSet<string> OptionalEnd = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup", "caption", "rb", "rt", "rtc", "rp",
        "html", "head", "body",
    };

    /// <summary>Throws <see cref="HtmlTooDeepException"/> when <paramref name="html"/> nests elements more than <see cref="MaxDepth"/> deep.</summary>
    public static void EnsureReadable(string html)
    {
        if (Depth(html, MaxDepth) > MaxDepth)
            throw new HtmlTooDeepException($"the page nests its elements more than {MaxDepth:N0} levels deep, which no article does (refused to protect the parser)");
    }

    /// <summary>The deepest nesting of <paramref name="html"/>, counted up to just past <paramref name="stopAbove"/>.</summary>
    public static int Depth(string html, int stopAbove)
    {
        int depth = 0, deepest = 0, i = 0;
        while ((i = html.IndexOf('<', i)) >= 0 && i + 1 < html.Length)
        {
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                var end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                if (end < 0) break;
                i = end + 3;
                continue;
            }
            var close = html[i + 1] == '/';
            var nameStart = close ? i + 2 : i + 1;
            var nameEnd = nameStart;
            while (nameEnd < html.Length && (char.IsAsciiLetterOrDigit(html[nameEnd]) || html[nameEnd] is '!' or '-' or ':')) nameEnd++;
            var tagEnd = html.IndexOf('>', nameEnd);
            if (nameEnd == nameStart || tagEnd < 0)
            {
                i++;
                continue;
            }
            var name = html[nameStart..nameEnd];
            if (OptionalEnd.Contains(name))
            {
                i = tagEnd + 1;
                continue;
            }
            if (close)
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (!Void.Contains(name) && html[tagEnd - 1] != '/')
            {
                if (name.Equals("script", StringComparison.OrdinalIgnoreCase) || name.Equals("style", StringComparison.OrdinalIgnoreCase))
                {
                    // the raw text and its end tag are skipped together: the element never counted as open
                    var rawEnd = html.IndexOf("</" + name, tagEnd, StringComparison.OrdinalIgnoreCase);
                    var rawClose = rawEnd < 0 ? -1 : html.IndexOf('>', rawEnd);
                    i = rawClose < 0 ? html.Length : rawClose + 1;
                    continue;
                }
                if (++depth > deepest && (deepest = depth) > stopAbove) return deepest;
            }
            i = tagEnd + 1;
        }
        return deepest;
    }
}
