using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using NewsBot.Sources.Text;

namespace NewsBot.Sources.Feeds;

/// <summary>The elements of one item or entry: which of the many ways feeds write a title, a date or a text counts.</summary>
internal static partial class FeedParser
{
    const string MediaNsPrefix = "http://search.yahoo.com/mrss"; // written with and without the final slash
    static readonly XNamespace ItunesNs = "http://www.itunes.com/dtds/podcast-1.0.dtd";

    static FeedEntry ParseRssItem(XElement item, FeedFormat format, Uri? feedUrl, int index)
    {
        var guidElement = OwnChild(item, "guid");
        var guid = NullIfEmpty(guidElement?.Value.Trim());
        var about = NullIfEmpty(item.Attribute(RdfNs + "about")?.Value.Trim());
        var link = ResolveLink(feedUrl, OwnChild(item, "link")?.Value);
        if (link is null && guid is not null && !string.Equals(guidElement?.Attribute("isPermaLink")?.Value, "false", StringComparison.OrdinalIgnoreCase))
            link = ResolveLink(feedUrl, guid);
        if (link is null && about is not null) link = ResolveLink(feedUrl, about);
        var content = item.Element(ContentNs + "encoded")?.Value;
        var description = OwnChild(item, "description")?.Value;
        return new FeedEntry
        {
            Index = index,
            Title = NullIfEmpty(PlainText(OwnChild(item, "title")?.Value)) ?? MediaTitle(item),
            Link = link,
            Id = guid ?? about,
            Published = DateParsing.First(OwnChild(item, "pubDate")?.Value, Child(item, "date")?.Value, Child(item, "published")?.Value,
                Child(item, "issued")?.Value, Child(item, "created")?.Value, LastChild(item, "updated")?.Value, LastChild(item, "modified")?.Value),
            Author = NullIfEmpty(RssAuthor(Child(item, "creator")?.Value) ?? RssAuthor(OwnChild(item, "author")?.Value) ?? RssAuthor(item.Element(ItunesNs + "author")?.Value)),
            Content = string.IsNullOrWhiteSpace(content) ? null : new FeedText(content, true),
            Summary = string.IsNullOrWhiteSpace(description) ? ExtensionSummary(item) : new FeedText(description, true),
        };
    }

    static FeedEntry ParseAtomEntry(XElement entry, Uri? feedUrl, int index)
    {
        var baseUrl = XmlBase(entry, feedUrl);
        var authors = entry.Elements().Where(e => e.Name.LocalName == "author")
            .Select(a => RssAuthor(Child(a, "name")?.Value ?? a.Value) ?? "")
            .Where(n => n.Length > 0)
            .ToList();
        var content = OwnChild(entry, "content");
        return new FeedEntry
        {
            Index = index,
            Title = NullIfEmpty(AtomTitle(OwnChild(entry, "title"))) ?? MediaTitle(entry),
            Link = AtomLink(entry, baseUrl),
            Id = NullIfEmpty(OwnChild(entry, "id")?.Value.Trim()),
            Published = DateParsing.First(Child(entry, "published")?.Value, Child(entry, "issued")?.Value, Child(entry, "created")?.Value,
                LastChild(entry, "updated")?.Value, LastChild(entry, "modified")?.Value, Child(entry, "date")?.Value),
            Author = authors.Count == 0 ? null : string.Join(", ", authors.Distinct()),
            Content = content is null || content.Attribute("src") is not null ? null : AtomText(content),
            Summary = AtomText(OwnChild(entry, "summary")) ?? ExtensionSummary(entry),
        };
    }

    /// <summary>
    /// Text carried only by an extension: Media RSS's description (YouTube puts it in &lt;media:group&gt;), then the
    /// podcast summary of iTunes.
    /// </summary>
    static FeedText? ExtensionSummary(XElement item)
    {
        var media = item.Descendants().FirstOrDefault(e => e.Name.LocalName == "description" && IsMedia(e) && !string.IsNullOrWhiteSpace(e.Value));
        if (media is not null) return new FeedText(media.Value, string.Equals(media.Attribute("type")?.Value, "html", StringComparison.OrdinalIgnoreCase));
        var itunes = item.Element(ItunesNs + "summary")?.Value;
        return string.IsNullOrWhiteSpace(itunes) ? null : new FeedText(itunes, LooksLikeHtml(itunes));
    }

    static string? MediaTitle(XElement item) =>
        NullIfEmpty(PlainText(item.Descendants().FirstOrDefault(e => e.Name.LocalName == "title" && IsMedia(e))?.Value));

    static bool IsMedia(XElement e) => e.Name.NamespaceName.StartsWith(MediaNsPrefix, StringComparison.Ordinal);

    /// <summary>
    /// A child in the item's own namespace (RSS's &lt;description&gt;, not &lt;media:description&gt;), else one of that name
    /// in another namespace that is not an extension's (a feed that mixes up its namespaces).
    /// </summary>
    static XElement? OwnChild(XElement e, string localName) =>
        e.Element(e.Name.Namespace + localName)
        ?? e.Elements().FirstOrDefault(c => c.Name.LocalName == localName && !IsMedia(c) && c.Name.Namespace != ItunesNs);

    /// <summary>The last of several (feed parsers keep the last &lt;updated&gt; of an entry that has many).</summary>
    static XElement? LastChild(XElement e, string localName) => e.Elements().LastOrDefault(c => c.Name.LocalName == localName);

    static string? AtomTitle(XElement? e) => AtomText(e) is { } t ? (t.IsHtml ? PlainText(t.Value) : TextOf(t.Value)) : null;

    /// <summary>
    /// An Atom text construct. Besides text, html and xhtml, RFC 4287 §4.1.3.3 says content of any other media type
    /// that is neither text/* nor XML is Base64; Atom 0.3 wrote mode="base64", and some feeds type="base64".
    /// </summary>
    static FeedText? AtomText(XElement? e)
    {
        if (e is null) return null;
        var type = e.Attribute("type")?.Value.Trim().ToLowerInvariant();
        var mode = e.Attribute("mode")?.Value.Trim().ToLowerInvariant();
        bool base64 = mode == "base64" || type == "base64"
                      || (type is not null && type.Contains('/') && !type.StartsWith("text/", StringComparison.Ordinal) && !type.EndsWith("xml", StringComparison.Ordinal));
        FeedText text = base64 ? FromBase64(e.Value, type)
            : type switch
            {
                "xhtml" or "application/xhtml+xml" => new FeedText(string.Concat((e.Elements().FirstOrDefault() ?? e).Nodes().Select(n => n.ToString(SaveOptions.DisableFormatting))), true),
                "html" or "text/html" => new FeedText(e.Value, true),
                _ => new FeedText(e.Value, mode == "escaped" && LooksLikeHtml(e.Value)),
            };
        return string.IsNullOrWhiteSpace(text.Value) ? null : text;
    }

    static FeedText FromBase64(string value, string? type)
    {
        var compact = Whitespace().Replace(value, "");
        var bytes = new byte[compact.Length];
        if (!Convert.TryFromBase64String(compact, bytes, out int length))
            return new FeedText(value, false); // not Base64 after all: the text as written
        var decoded = ContentDecoder.Decode(bytes.AsSpan(0, length)).Text;
        return new FeedText(decoded, type?.Contains("html", StringComparison.Ordinal) == true || LooksLikeHtml(decoded));
    }

    static bool LooksLikeHtml(string s) => HtmlTag().IsMatch(s);

    /// <summary>
    /// The entry's link as feed parsers choose it: the first rel="alternate" link (rel defaults to alternate), else the
    /// first that is not self, an enclosure, replies or edit. The URL is href, or the text of a &lt;link&gt; without one.
    /// </summary>
    static Uri? AtomLink(XElement e, Uri? baseUrl)
    {
        var links = e.Elements().Where(l => l.Name.LocalName == "link")
            .Select(l => (Element: l, Rel: l.Attribute("rel")?.Value.Trim() ?? "alternate", Url: l.Attribute("href")?.Value ?? l.Value))
            .Where(l => !string.IsNullOrWhiteSpace(l.Url))
            .ToList();
        var chosen = links.FirstOrDefault(l => l.Rel == "alternate");
        if (chosen.Element is null) chosen = links.FirstOrDefault(l => l.Rel is not ("self" or "enclosure" or "replies" or "edit" or "edit-media"));
        return chosen.Element is null ? null : ResolveLink(Rebase(chosen.Element, baseUrl), chosen.Url);
    }

    /// <summary>
    /// The base URL in force at an element: the feed's URL, then each xml:base from the root down to the element,
    /// each resolved against the one before ("http://h/blog/" then "posts/" gives "http://h/blog/posts/").
    /// </summary>
    static Uri? XmlBase(XElement element, Uri? feedUrl)
    {
        var current = feedUrl;
        foreach (var e in element.AncestorsAndSelf().Reverse()) current = Rebase(e, current);
        return current;
    }

    static Uri? Rebase(XElement e, Uri? current)
    {
        if (e.Attribute(XNamespace.Xml + "base")?.Value is not { } value || string.IsNullOrWhiteSpace(value)) return current;
        if (current is not null && Uri.TryCreate(current, value.Trim(), out var resolved)) return resolved;
        return Uri.TryCreate(value.Trim(), UriKind.Absolute, out var absolute) ? absolute : current;
    }

    /// <summary>An author written "email (Name)", "Name (email)" or "Name &lt;email&gt;": the name; a bare email: nothing.</summary>
    static string? RssAuthor(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var v = PlainText(value);
        var m = EmailWithName().Match(v);
        if (m.Success) return m.Groups[1].Value.Trim();
        m = NameWithEmail().Match(v);
        if (m.Success) return m.Groups[1].Value.Trim();
        return v.Contains('@') && !v.Contains(' ') ? null : v;
    }

    [GeneratedRegex(@"^\S+@\S+\s*\((.+)\)$")] private static partial Regex EmailWithName();
    [GeneratedRegex(@"^(.+?)\s*[(<]\s*(?:mailto:)?\S+@\S+?\s*[)>]$")] private static partial Regex NameWithEmail();
    [GeneratedRegex(@"\s+")] private static partial Regex Whitespace();
    [GeneratedRegex(@"<(?:p|br|div|a|b|i|em|strong|ul|ol|li|img|span|h[1-6])\b[^>]*>", RegexOptions.IgnoreCase)] private static partial Regex HtmlTag();
}
