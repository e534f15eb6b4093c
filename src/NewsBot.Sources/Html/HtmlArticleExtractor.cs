using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using NewsBot.Core.Text;
using NewsBot.Sources.Text;

namespace NewsBot.Sources.Html;

/// <summary>What was read from an HTML page.</summary>
internal sealed record HtmlArticle(
    string Title,
    string? Author,
    string? Outlet,
    DateTimeOffset? Published,
    string? CanonicalUrl,
    IReadOnlyList<string> Paragraphs,
    IReadOnlyList<Uri> FeedLinks);

/// <summary>
/// Reads a news page: metadata (title, author, date, outlet, canonical URL) from Open Graph, meta
/// tags, JSON-LD and the markup; the main text from the article container (articleBody, article,
/// main) or, when the page has none, from SmartReader's Readability port; boilerplate (navigation,
/// cookie banners, share widgets, related links, comments, footers) left out.
/// </summary>
internal static partial class HtmlArticleExtractor
{
    static readonly HtmlParser DefaultParser = new(new HtmlParserOptions { IsScripting = false });

    /// <summary>The parser, behind the nesting guard (<see cref="HtmlNesting"/>): every document it reads passes the check first.</summary>
    static class Parser
    {
        public static IHtmlDocument ParseDocument(string html)
        {
            HtmlNesting.EnsureReadable(html);
            return DefaultParser.ParseDocument(html);
        }
    }

    static readonly string[] ArticleTypes = ["NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle", "Article", "BlogPosting", "LiveBlogPosting", "Report"];

    /// <summary>Extracts the article of <paramref name="html"/>; <paramref name="pageUrl"/> resolves relative links and gives the host.</summary>
    public static HtmlArticle Extract(string html, Uri? pageUrl)
    {
        var doc = Parser.ParseDocument(html);
        var meta = ReadMeta(doc);
        var ld = ReadJsonLd(doc);

        var outlet = First(meta.Get("og:site_name"), ld?.Publisher, meta.Get("application-name"))
                     ?? (pageUrl is { IsAbsoluteUri: true, HostNameType: UriHostNameType.Dns } ? StripWww(pageUrl.Host) : null);
        // <title> is often "Headline | Site"; when it does not hold the page's one <h1> at all ("Site: news and more"),
        // the <h1> is the headline
        var h1 = doc.QuerySelectorAll("h1") is { Length: 1 } ones ? TextNormalizer.CleanInline(ones[0].TextContent) : null;
        var pageTitle = doc.Title is { } t && h1 is { Length: > 0 } && !t.Contains(h1, StringComparison.OrdinalIgnoreCase) ? h1 : doc.Title;
        var rawTitle = First(meta.Get("og:title"), meta.Get("twitter:title"), ld?.Headline, pageTitle, doc.QuerySelector("h1")?.TextContent) ?? "";
        var title = TrimSiteName(rawTitle, outlet, pageUrl);
        var author = ReadAuthor(doc, meta, ld);
        var published = DateParsing.First(
            meta.Get("article:published_time"),
            ld?.DatePublished,
            meta.Get("og:published_time"),
            meta.Get("datepublished"),
            TimeElementDate(doc),
            meta.Get("date"), meta.Get("dc.date"), meta.Get("dc.date.issued"), meta.Get("dcterms.created"), meta.Get("dcterms.date"),
            meta.Get("parsely-pub-date"), meta.Get("sailthru.date"), meta.Get("pubdate"), meta.Get("publish-date"), meta.Get("article.published"));
        var canonical = ResolveHttp(pageUrl, doc.QuerySelector("link[rel~='canonical' i]")?.GetAttribute("href"))
                        ?? ResolveHttp(pageUrl, meta.Get("og:url"));
        var feedLinks = doc.QuerySelectorAll("link[rel~='alternate' i][href]")
            .Where(l => l.GetAttribute("type")?.Trim().ToLowerInvariant() is "application/rss+xml" or "application/atom+xml" or "application/rdf+xml")
            .Select(l => ResolveHttp(pageUrl, l.GetAttribute("href")))
            .OfType<Uri>()
            .ToList();

        var paragraphs = ExtractBody(doc, pageUrl, title);
        return new HtmlArticle(title, author, outlet, published, canonical is null ? null : UrlCanonicalizer.Canonicalize(canonical), paragraphs, feedLinks);
    }

    /// <summary>Paragraphs of an HTML fragment (a feed item's content), boilerplate removed, footer trimmed.</summary>
    public static List<string> FragmentToParagraphs(string html)
    {
        var doc = Parser.ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        var body = doc.Body!;
        HtmlBlocks.RemoveBoilerplate(body);
        return ArticleTextParser.RemoveFooter(HtmlBlocks.Collect(body));
    }

    /// <summary>Plain text of an HTML snippet (a feed title): tags stripped, entities decoded, whitespace collapsed.</summary>
    public static string ToPlainText(string? html)
    {
        if (string.IsNullOrWhiteSpace(html)) return "";
        if (!html.Contains('<') && !html.Contains('&')) return TextNormalizer.CleanInline(html);
        var doc = Parser.ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        return TextNormalizer.CleanInline(doc.Body?.TextContent ?? "");
    }

    static List<string> ExtractBody(IHtmlDocument doc, Uri? pageUrl, string title)
    {
        var body = doc.Body;
        if (body is null) return [];
        // the page's headline, read before boilerplate removal: it is the title, not the body's first paragraph,
        // also when <title> or og:title words it differently
        var headline = TextNormalizer.CleanInline(body.QuerySelector("h1")?.TextContent ?? "");
        HtmlBlocks.RemoveBoilerplate(doc.DocumentElement);
        int total = HtmlBlocks.ParagraphTextLength(body);

        IElement? root = Largest(body.QuerySelectorAll("[itemprop='articleBody']"))
                         ?? Largest(body.QuerySelectorAll("article"))
                         ?? Largest(body.QuerySelectorAll("main, [role='main']"));
        if (root is not null && (HtmlBlocks.ParagraphTextLength(root) < 140 || HtmlBlocks.ParagraphTextLength(root) * 10 < total * 4))
            root = null; // a teaser card or a small box, not the article

        List<string> blocks;
        if (root is not null)
        {
            blocks = HtmlBlocks.Collect(root, title);
        }
        else
        {
            blocks = ReadWithSmartReader(doc, pageUrl, title);
            if (blocks.Count == 0) blocks = HtmlBlocks.Collect(body, title);
        }
        if (blocks.Count > 1 && headline.Length > 0 && string.Equals(blocks[0], headline, StringComparison.OrdinalIgnoreCase))
            blocks.RemoveAt(0);
        return ArticleTextParser.RemoveFooter(blocks);
    }

    static IElement? Largest(IEnumerable<IElement> elements) =>
        elements.Select(e => (Element: e, Length: HtmlBlocks.ParagraphTextLength(e)))
            .Where(x => x.Length > 0)
            .OrderByDescending(x => x.Length)
            .Select(x => x.Element)
            .FirstOrDefault();

    /// <summary>SmartReader (a Readability port) on the cleaned page, for pages without an article container.</summary>
    static List<string> ReadWithSmartReader(IHtmlDocument doc, Uri? pageUrl, string title)
    {
        try
        {
            var reader = new SmartReader.Reader(pageUrl?.ToString() ?? "https://localhost/", doc)
            {
                ContinueIfNotReadable = true,
                DisableJSONLD = true,
            };
            var article = reader.GetArticle();
            if (string.IsNullOrWhiteSpace(article.Content)) return [];
            var content = Parser.ParseDocument("<!DOCTYPE html><html><body>" + article.Content + "</body></html>");
            return HtmlBlocks.Collect(content.Body!, title);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return []; // the caller falls back to the whole (cleaned) body
        }
    }

    static string? ReadAuthor(IHtmlDocument doc, MetaTags meta, JsonLdArticle? ld)
    {
        var articleAuthor = meta.Get("article:author");
        if (articleAuthor is not null && Uri.TryCreate(articleAuthor, UriKind.Absolute, out _)) articleAuthor = null; // a profile URL, not a name
        var candidate = First(meta.Get("author"), articleAuthor, ld?.Author, meta.Get("parsely-author"), meta.Get("sailthru.author"), meta.Get("dc.creator"), meta.Get("byl"));
        if (candidate is null)
        {
            var element = doc.QuerySelector("[itemprop~='author'] [itemprop~='name']")
                          ?? doc.QuerySelector("[rel~='author']")
                          ?? doc.QuerySelector("[itemprop~='author']")
                          ?? doc.QuerySelector(".byline__name, .byline-name, .author-name, .byline, .author");
            candidate = element?.TextContent;
        }
        if (candidate is null) return null;
        var name = ByPrefix().Replace(TextNormalizer.CleanInline(candidate), "").Trim().TrimEnd(',', '.', ';');
        return name.Length is > 0 and <= 120 ? name : null;
    }

    static string? TimeElementDate(IHtmlDocument doc)
    {
        var time = doc.QuerySelector("article time[datetime][itemprop~='datePublished'], time[datetime][itemprop~='datePublished'], time[datetime][pubdate]")
                   ?? doc.QuerySelector("article time[datetime], main time[datetime]")
                   ?? doc.QuerySelector("time[datetime]");
        return time?.GetAttribute("datetime");
    }

    /// <summary>
    /// Removes a site name from a title: " - Outlet", " | Outlet", " — Outlet" (or the same at the
    /// start) when that part equals the outlet or the host.
    /// </summary>
    public static string TrimSiteName(string title, string? outlet, Uri? pageUrl)
    {
        title = TextNormalizer.CleanInline(title);
        var names = new List<string>();
        if (!string.IsNullOrWhiteSpace(outlet)) names.Add(Normalize(outlet));
        if (pageUrl is { IsAbsoluteUri: true }) names.Add(Normalize(StripWww(pageUrl.Host)));
        if (names.Count == 0) return title;

        var m = SiteSuffix().Match(title);
        if (m.Success && names.Contains(Normalize(m.Groups["site"].Value)) && m.Groups["title"].Value.Trim().Length > 0)
            return m.Groups["title"].Value.Trim();
        m = SitePrefix().Match(title);
        if (m.Success && names.Contains(Normalize(m.Groups["site"].Value)) && m.Groups["title"].Value.Trim().Length > 0)
            return m.Groups["title"].Value.Trim();
        return title;

        static string Normalize(string s) => TextNormalizer.CleanInline(s).ToLowerInvariant();
    }

    static string StripWww(string host) => host.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? host[4..] : host;

    static Uri? ResolveHttp(Uri? baseUrl, string? href)
    {
        if (string.IsNullOrWhiteSpace(href)) return null;
        href = href.Trim();
        Uri? uri = baseUrl is { IsAbsoluteUri: true } && Uri.TryCreate(baseUrl, href, out var resolved) ? resolved
                   : Uri.TryCreate(href, UriKind.Absolute, out var absolute) ? absolute : null;
        return uri is not null && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;
    }

    static string? First(params IEnumerable<string?> values)
    {
        foreach (var v in values)
        {
            if (string.IsNullOrWhiteSpace(v)) continue;
            var clean = TextNormalizer.CleanInline(v);
            if (clean.Length > 0) return clean;
        }
        return null;
    }

    // ---- meta tags ----

    sealed class MetaTags
    {
        readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

        public void Add(string? key, string? value)
        {
            if (string.IsNullOrWhiteSpace(key) || string.IsNullOrWhiteSpace(value)) return;
            _values.TryAdd(key.Trim(), value.Trim());
        }

        public string? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;
    }

    static MetaTags ReadMeta(IHtmlDocument doc)
    {
        var meta = new MetaTags();
        foreach (var m in doc.QuerySelectorAll("meta"))
        {
            var content = m.GetAttribute("content");
            meta.Add(m.GetAttribute("property"), content);
            meta.Add(m.GetAttribute("name"), content);
            meta.Add(m.GetAttribute("itemprop"), content);
        }
        return meta;
    }

    // ---- JSON-LD ----

    sealed record JsonLdArticle(string? Headline, string? Author, string? DatePublished, string? Publisher);

    static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 };

    /// <summary>The first JSON-LD object typed as an article (NewsArticle, Article, BlogPosting, …), if any.</summary>
    static JsonLdArticle? ReadJsonLd(IHtmlDocument doc)
    {
        JsonLdArticle? fallback = null;
        foreach (var script in doc.QuerySelectorAll("script[type]"))
        {
            if (!(script.GetAttribute("type") ?? "").Contains("ld+json", StringComparison.OrdinalIgnoreCase)) continue;
            var json = JsonLdNoise().Replace(script.TextContent, "").Trim();
            if (json.Length == 0) continue;
            try
            {
                using var parsed = JsonDocument.Parse(json, JsonOptions);
                var nodes = Flatten(parsed.RootElement).ToList();
                var byId = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var n in nodes)
                    if (String(n, "@id") is { } id) byId.TryAdd(id, n);
                foreach (var n in nodes)
                {
                    var types = Types(n);
                    bool isArticle = types.Any(t => ArticleTypes.Contains(t, StringComparer.OrdinalIgnoreCase));
                    if (!isArticle && String(n, "headline") is null) continue;
                    var article = new JsonLdArticle(
                        String(n, "headline") ?? String(n, "name"),
                        Names(n, "author", byId),
                        String(n, "datePublished") ?? String(n, "dateCreated"),
                        Names(n, "publisher", byId));
                    if (isArticle) return article;
                    fallback ??= article;
                }
            }
            catch (JsonException)
            {
                // a broken JSON-LD block is common; the other metadata still counts
            }
        }
        return fallback;
    }

    static IEnumerable<JsonElement> Flatten(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
                foreach (var x in Flatten(item)) yield return x;
        }
        else if (e.ValueKind == JsonValueKind.Object)
        {
            yield return e;
            if (e.TryGetProperty("@graph", out var graph))
                foreach (var x in Flatten(graph)) yield return x;
        }
    }

    static IEnumerable<string> Types(JsonElement e)
    {
        if (!e.TryGetProperty("@type", out var t)) yield break;
        if (t.ValueKind == JsonValueKind.String) yield return t.GetString()!;
        else if (t.ValueKind == JsonValueKind.Array)
            foreach (var x in t.EnumerateArray())
                if (x.ValueKind == JsonValueKind.String) yield return x.GetString()!;
    }

    static string? String(JsonElement e, string property)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(property, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Array => v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()).FirstOrDefault(),
            _ => null,
        };
    }

    /// <summary>Names of a person/organisation property: a string, an object with name (or an @id reference), or an array of those.</summary>
    static string? Names(JsonElement e, string property, Dictionary<string, JsonElement> byId)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(property, out var v)) return null;
        var names = new List<string>();
        foreach (var item in v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : [v])
        {
            string? name = item.ValueKind switch
            {
                JsonValueKind.String => item.GetString(),
                JsonValueKind.Object => String(item, "name")
                                        ?? (String(item, "@id") is { } id && byId.TryGetValue(id, out var target) ? String(target, "name") : null),
                _ => null,
            };
            if (!string.IsNullOrWhiteSpace(name) && !names.Contains(name.Trim())) names.Add(name.Trim());
        }
        return names.Count == 0 ? null : string.Join(", ", names);
    }

    [GeneratedRegex(@"^\s*(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)\s*$")] private static partial Regex JsonLdNoise();
    [GeneratedRegex(@"^(?:by|words by|written by|story by)\s+", RegexOptions.IgnoreCase)] private static partial Regex ByPrefix();
    [GeneratedRegex(@"^(?<title>.+?)\s+(?:[-|–—·•»:]|::)\s+(?<site>[^-|–—·•»]{2,60})$")] private static partial Regex SiteSuffix();
    [GeneratedRegex(@"^(?<site>[^-|–—·•»:]{2,60})\s+(?:[|–—·•»]|::)\s+(?<title>.+)$")] private static partial Regex SitePrefix();
}
