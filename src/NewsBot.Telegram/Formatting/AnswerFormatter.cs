using System.Text;
using NewsBot.Core.Answering;

namespace NewsBot.Telegram.Formatting;

/// <summary>
/// Renders an <see cref="AnswerResult"/> as Telegram HTML: the escaped answer with its [n] markers,
/// an italic note, and "Sources:" with one line per cited source (links only for http(s) URLs),
/// split into parts of at most 4096 characters with the sources in the last part.
/// </summary>
public static class AnswerFormatter
{
    public const int MaxTitleLength = 300;
    public const int MaxSnippetLength = 700;
    public const int MaxHeadlines = 5;

    public static IReadOnlyList<string> Format(AnswerResult result, int maxLength = TelegramHtml.MaxMessageLength)
    {
        ArgumentNullException.ThrowIfNull(result);
        var body = new StringBuilder(TelegramHtml.Escape(result.Answer.Trim()));

        if (result.Refused && result.ClosestHeadlines.Count > 0)
        {
            body.Append("\n\nClosest headlines:");
            foreach (var headline in result.ClosestHeadlines.Take(MaxHeadlines))
                body.Append("\n• ").Append(TelegramHtml.Escape(TelegramHtml.Truncate(headline, MaxTitleLength)));
        }

        if (!string.IsNullOrWhiteSpace(result.Note))
            body.Append("\n\n").Append(TelegramHtml.Italic(result.Note.Trim()));

        var parts = HtmlSplitter.Split(body.ToString(), maxLength).ToList();
        if (result.Citations.Count == 0)
            return parts;

        var sources = SourcesSection(result.Citations);
        if (parts.Count > 0 && parts[^1].Length + 2 + sources.Length <= maxLength)
            parts[^1] = parts[^1] + "\n\n" + sources;
        else
            parts.AddRange(HtmlSplitter.Split(sources, maxLength));
        return parts;
    }

    /// <summary>"Sources:" and one line per citation: [n] &lt;a href="URL"&gt;Title&lt;/a&gt; — Outlet, 12 Mar 2025.</summary>
    public static string SourcesSection(IEnumerable<Citation> citations)
    {
        var sb = new StringBuilder("Sources:");
        foreach (var c in citations.OrderBy(c => c.N))
            sb.Append('\n').Append(SourceLine(c));
        return sb.ToString();
    }

    public static string SourceLine(Citation c)
    {
        var line = $"[{c.N}] {TelegramHtml.Link(c.Article.Url, TelegramHtml.Truncate(c.Article.Title, MaxTitleLength))}";
        var meta = Meta(c);
        return meta.Length == 0 ? line : $"{line} — {TelegramHtml.Escape(meta)}";
    }

    /// <summary>The quoted passage of each cited source, shown when the "Sources" button is pressed.</summary>
    public static string SnippetsSection(IEnumerable<Citation> citations)
    {
        var sb = new StringBuilder("<b>Quoted passages</b>");
        foreach (var c in citations.OrderBy(c => c.N))
        {
            sb.Append("\n\n[").Append(c.N).Append("] <b>")
              .Append(TelegramHtml.Escape(TelegramHtml.Truncate(c.Article.Title, MaxTitleLength))).Append("</b>");
            var meta = Meta(c);
            if (meta.Length > 0)
                sb.Append(" — ").Append(TelegramHtml.Escape(meta));
            var snippet = c.Snippet.Trim();
            sb.Append('\n').Append(snippet.Length == 0
                ? "<i>(no passage recorded)</i>"
                : $"<blockquote>{TelegramHtml.Escape(TelegramHtml.Truncate(snippet, MaxSnippetLength))}</blockquote>");
        }
        return sb.ToString();
    }

    private static string Meta(Citation c)
    {
        var outlet = c.Article.Outlet?.Trim();
        var date = TelegramHtml.Date(c.Article.Published);
        return (string.IsNullOrEmpty(outlet), date.Length == 0) switch
        {
            (false, false) => $"{outlet}, {date}",
            (false, true) => outlet!,
            (true, false) => date,
            _ => "",
        };
    }
}
