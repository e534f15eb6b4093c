using System.Globalization;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// Outlets' article pages and RSS feeds for end-to-end tests served on loopback: each test keeps its own pages
/// (path → outlet, headline, paragraphs) and renders them here.
/// </summary>
public sealed class NewsSite(IReadOnlyDictionary<string, (string Outlet, string Title, string[] Paragraphs)> pages, bool pageFurniture = false)
{
    /// <summary>An article page; with <c>pageFurniture</c> a cookie banner and a newsletter line around the article, as real sites have.</summary>
    public string Page(string path)
    {
        var (outlet, title, paragraphs) = pages[path];
        var body = string.Concat(paragraphs.Select(p => $"<p>{p}</p>"));
        return pageFurniture
            ? $"""
                <html><head><title>{title} - {outlet}</title><meta property="og:site_name" content="{outlet}"></head>
                <body><div class="cookie-banner">We use cookies. Accept cookies to continue reading.</div>
                <article><h1>{title}</h1>{body}
                <p>Subscribe to our newsletter to get the harbour news every morning.</p></article></body></html>
                """
            : $"""
                <html><head><title>{title} - {outlet}</title><meta property="og:site_name" content="{outlet}"></head>
                <body><article><h1>{title}</h1>{body}</article></body></html>
                """;
    }

    /// <summary>An RSS feed of the given pages, each published the given hours ago, its first paragraph as the summary.</summary>
    public string Feed(string origin, string outlet, params (string Path, double HoursAgo)[] items) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0"><channel><title>{outlet}</title><link>{origin}/</link>
        {string.Concat(items.Select(i => $"""
            <item><title>{pages[i.Path].Title}</title><link>{origin}{i.Path}</link>
              <pubDate>{DateTimeOffset.UtcNow.AddHours(-i.HoursAgo).ToString("r", CultureInfo.InvariantCulture)}</pubDate>
              <description>{pages[i.Path].Paragraphs[0]}</description></item>
            """))}
        </channel></rss>
        """;
}
