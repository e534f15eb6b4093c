using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using NewsBot.Sources.Html;
using NewsBot.Sources.Text;

namespace NewsBot.Sources.Feeds;

internal enum FeedFormat
{
    Rss2,
    Rss1,
    Atom,
}

/// <summary>Text of a feed element: HTML (RSS description, content:encoded, Atom type="html"/"xhtml") or plain text.</summary>
internal sealed record FeedText(string Value, bool IsHtml);

/// <summary>One item of a feed, as written in the feed (links resolved against the feed URL).</summary>
internal sealed record FeedEntry
{
    /// <summary>1-based position in the feed.</summary>
    public required int Index { get; init; }
    public string? Title { get; init; }
    public Uri? Link { get; init; }
    /// <summary>guid / id / rdf:about, when the item has one.</summary>
    public string? Id { get; init; }
    public DateTimeOffset? Published { get; init; }
    public string? Author { get; init; }
    /// <summary>The full text (content:encoded, Atom content), when given.</summary>
    public FeedText? Content { get; init; }
    /// <summary>The summary (RSS description, Atom summary, or the text of an extension: media:description, itunes:summary).</summary>
    public FeedText? Summary { get; init; }
    /// <summary>The source key of the article the item becomes, when it has a link (see <see cref="FeedItemIdentity"/>).</summary>
    public string? LinkKey { get; init; }
    /// <summary>Other items of the feed share the item's canonical link: its key is its own, not the plain URL.</summary>
    public bool SharesLink { get; init; }
}

/// <summary>An item that could not be read; the rest of the feed still counts.</summary>
internal sealed record FeedEntryError(int Index, string? Link, string Error);

internal sealed record ParsedFeed(FeedFormat Format, string? Title, Uri? Link, IReadOnlyList<FeedEntry> Entries, IReadOnlyList<FeedEntryError> Errors);

/// <summary>The feed, or why the document is not one.</summary>
internal sealed record FeedParseResult(ParsedFeed? Feed, string? Error);

/// <summary>
/// A tolerant RSS 2.0 / RSS 1.0 (RDF) / Atom parser. HTML entities and stray ampersands are
/// repaired; when the document is still not well-formed, each item is parsed on its own, so that one
/// broken item becomes an error while the good ones are kept. DTDs are ignored (no external entities).
/// </summary>
internal static partial class FeedParser
{
    static readonly XNamespace ContentNs = "http://purl.org/rss/1.0/modules/content/";
    static readonly XNamespace RdfNs = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

    static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
        IgnoreProcessingInstructions = true,
        IgnoreComments = true,
        MaxCharactersFromEntities = 1024,
    };

    /// <summary>The local name of the document's root element ("rss", "RDF", "feed", "html", …), or null when it does not look like markup.</summary>
    public static string? RootElementName(string text)
    {
        var tag = RootStartTag(text, out bool htmlDoctype);
        if (tag is null) return htmlDoctype ? "html" : null;
        var name = tag.Groups["name"].Value;
        int colon = name.IndexOf(':');
        var local = colon >= 0 ? name[(colon + 1)..] : name;
        return htmlDoctype && FormatOf(local) is null ? "html" : local; // "<!doctype html><p>…" is a page
    }

    /// <summary>
    /// The start tag of the root element, skipping the XML declaration, processing instructions, comments and the
    /// doctype, including its internal subset (<c>&lt;!DOCTYPE rss [&lt;!ENTITY …&gt;]&gt;</c>). An HTML doctype is
    /// noted but does not decide: an XHTML doctype before &lt;rss&gt; still makes a feed.
    /// </summary>
    static Match? RootStartTag(string text, out bool htmlDoctype)
    {
        htmlDoctype = false;
        int i = 0;
        while (true)
        {
            while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == '\uFEFF')) i++;
            if (i >= text.Length || text[i] != '<') return null;
            if (string.CompareOrdinal(text, i, "<?", 0, 2) == 0) { i = Skip(text, i, "?>"); continue; }
            if (string.CompareOrdinal(text, i, "<!--", 0, 4) == 0) { i = Skip(text, i, "-->"); continue; }
            if (string.Compare(text, i, "<!DOCTYPE", 0, 9, StringComparison.OrdinalIgnoreCase) == 0)
            {
                htmlDoctype |= DoctypeName().Match(text, i + 9) is { Success: true } d && d.Index == i + 9 && d.Groups[1].Value.Equals("html", StringComparison.OrdinalIgnoreCase);
                i = SkipDoctype(text, i);
                continue;
            }
            if (string.CompareOrdinal(text, i, "<!", 0, 2) == 0) { i = Skip(text, i, ">"); continue; }
            var m = StartTag().Match(text, i);
            return m.Success && m.Index == i ? m : null;
        }

        static int Skip(string text, int from, string end)
        {
            int k = text.IndexOf(end, from + 2, StringComparison.Ordinal);
            return k < 0 ? text.Length : k + end.Length;
        }
    }

    /// <summary>The end of a doctype: the first '&gt;' outside quotes and outside the [internal subset].</summary>
    static int SkipDoctype(string text, int from)
    {
        char quote = '\0';
        int depth = 0;
        for (int k = from + 9; k < text.Length; k++)
        {
            char c = text[k];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '"' or '\'') quote = c;
            else if (c == '[') depth++;
            else if (c == ']') depth = Math.Max(0, depth - 1);
            else if (c == '>' && depth == 0) return k + 1;
        }
        return text.Length;
    }

    /// <summary>
    /// Why a doctype is refused, or null. Entities are never expanded (the reader ignores the DTD), so the internal
    /// subset is harmless to reading; but an entity defined by other entities is the shape of an expansion bomb
    /// ("billion laughs"), and a document built that way is refused rather than read with its references as text.
    /// </summary>
    static string? RefusedDoctype(string text)
    {
        if (RootStartTag(text, out _) is not { } root) return null;
        var prolog = text[..root.Index];
        int open = prolog.IndexOf("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);
        if (open < 0 || prolog.IndexOf('[', open) < 0) return null;
        var declared = EntityDeclaration().Matches(prolog).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        foreach (Match m in EntityDeclaration().Matches(prolog))
        {
            foreach (Match r in EntityReference().Matches(m.Groups["value"].Value))
            {
                if (declared.Contains(r.Groups[1].Value))
                    return $"refused: its DOCTYPE defines the entity '{m.Groups["name"].Value}' by other entities (the shape of an XML expansion bomb)";
            }
        }
        return null;
    }

    /// <summary>The feed format of a root element name, if it is one.</summary>
    public static FeedFormat? FormatOf(string? rootName) => rootName switch
    {
        "rss" => FeedFormat.Rss2,
        "RDF" => FeedFormat.Rss1,
        "feed" => FeedFormat.Atom,
        _ => null,
    };

    /// <summary>Parses a feed document; <paramref name="feedUrl"/> resolves relative links.</summary>
    public static FeedParseResult Parse(string text, Uri? feedUrl)
    {
        var rootName = RootElementName(text);
        if (rootName is null)
            return new(null, "not an RSS or Atom feed: the document is not XML");
        if (FormatOf(rootName) is not { } format)
            return new(null, rootName.Equals("html", StringComparison.OrdinalIgnoreCase)
                ? "not an RSS or Atom feed: it is an HTML page"
                : $"not an RSS or Atom feed: the root element is <{rootName}>, expected <rss>, <rdf:RDF> or <feed>");

        if (RefusedDoctype(text) is { } refused)
            return new(null, $"not a feed that can be read safely: {refused}");

        text = RepairC1References(text);
        var doc = TryLoad(text, out var xmlError) ?? TryLoad(Repair(text), out _);
        var result = doc?.Root is { } root ? FromDocument(root, format, feedUrl) : FromFragments(text, format, feedUrl, xmlError);
        return result.Feed is { } feed ? result with { Feed = feed with { Entries = FeedItemIdentity.Assign(feed.Entries) } } : result;
    }

    static XDocument? TryLoad(string text, out string? error)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), ReaderSettings);
            error = null;
            return XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    static FeedParseResult FromDocument(XElement root, FeedFormat format, Uri? feedUrl)
    {
        var entries = new List<FeedEntry>();
        var errors = new List<FeedEntryError>();
        IEnumerable<XElement> items;
        string? title;
        Uri? link;
        switch (format)
        {
            case FeedFormat.Rss2:
                // items straight under <rss>, without a <channel>, are read as feed parsers read them
                var channel = Child(root, "channel") ?? (Child(root, "item") is null ? null : root);
                if (channel is null) return new(null, "not a valid RSS feed: <rss> has no <channel>");
                title = PlainText(Child(channel, "title")?.Value);
                link = ResolveLink(feedUrl, Child(channel, "link")?.Value);
                items = channel.Elements().Where(e => e.Name.LocalName == "item");
                break;
            case FeedFormat.Rss1:
                var rdfChannel = Child(root, "channel");
                if (rdfChannel is null) return new(null, "not an RSS 1.0 feed: <rdf:RDF> has no <channel>");
                title = PlainText(Child(rdfChannel, "title")?.Value);
                link = ResolveLink(feedUrl, Child(rdfChannel, "link")?.Value);
                items = root.Elements().Where(e => e.Name.LocalName == "item");
                break;
            default:
                title = AtomTitle(Child(root, "title"));
                link = AtomLink(root, feedUrl);
                items = root.Elements().Where(e => e.Name.LocalName == "entry");
                break;
        }
        int index = 0;
        foreach (var item in items)
            Add(ParseItem(item, format, feedUrl, ++index), entries, errors);
        return new(new ParsedFeed(format, NullIfEmpty(title), link, entries, errors), null);
    }

    /// <summary>The document is not well-formed even after repair: parse the channel title and each item on its own.</summary>
    static FeedParseResult FromFragments(string text, FeedFormat format, Uri? feedUrl, string? xmlError)
    {
        var rootTag = RootStartTag(text, out _);
        var namespaces = string.Join("", XmlnsAttribute().Matches(rootTag?.Value ?? "").Select(m => m.Value));
        var itemTag = format == FeedFormat.Atom ? "entry" : "item";
        var starts = ItemStart(itemTag).Matches(text).Select(m => m.Index).ToList();
        if (starts.Count == 0)
            return new(null, $"not a valid feed: the XML is malformed ({xmlError}) and no items could be found");
        var titleMatch = TitleElement().Match(text[..starts[0]]);
        string? title = titleMatch.Success ? PlainText(StripCdata(titleMatch.Groups[1].Value)) : null;

        var entries = new List<FeedEntry>();
        var errors = new List<FeedEntryError>();
        for (int i = 0; i < starts.Count; i++)
        {
            int end = i + 1 < starts.Count ? starts[i + 1] : text.Length;
            var segment = text[starts[i]..end];
            var close = segment.LastIndexOf($"</{itemTag}>", StringComparison.Ordinal);
            if (close < 0)
            {
                errors.Add(new FeedEntryError(i + 1, null, $"item {i + 1}: malformed XML (no closing </{itemTag}>)"));
                continue;
            }
            segment = segment[..(close + itemTag.Length + 3)];
            var wrapped = $"<wrapper {namespaces}{UndeclaredPrefixes(segment, namespaces)}>{Repair(segment)}</wrapper>";
            try
            {
                var element = XElement.Parse(wrapped).Elements().First();
                Add(ParseItem(element, format, feedUrl, i + 1), entries, errors);
            }
            catch (XmlException ex)
            {
                var link = LinkInFragment().Match(segment) is { Success: true } lm ? ResolveLink(feedUrl, lm.Groups[1].Success ? lm.Groups[1].Value : lm.Groups[2].Value) : null;
                errors.Add(new FeedEntryError(i + 1, link?.ToString(), $"item {i + 1}{(link is null ? "" : $" ({link})")}: malformed XML ({ex.Message})"));
            }
        }
        return new(new ParsedFeed(format, NullIfEmpty(title), null, entries, errors), null);
    }

    /// <summary>The usual namespaces of feed extensions, for feeds that use a prefix without declaring it.</summary>
    static readonly Dictionary<string, string> WellKnownPrefixes = new(StringComparer.Ordinal)
    {
        ["dc"] = "http://purl.org/dc/elements/1.1/",
        ["content"] = ContentNs.NamespaceName,
        ["media"] = "http://search.yahoo.com/mrss/",
        ["atom"] = "http://www.w3.org/2005/Atom",
        ["slash"] = "http://purl.org/rss/1.0/modules/slash/",
        ["wfw"] = "http://wellformedweb.org/CommentAPI/",
        ["sy"] = "http://purl.org/rss/1.0/modules/syndication/",
        ["itunes"] = "http://www.itunes.com/dtds/podcast-1.0.dtd",
        ["georss"] = "http://www.georss.org/georss",
        ["rdf"] = RdfNs.NamespaceName,
    };

    /// <summary>
    /// Declarations for the prefixes an item uses that the feed never declared ("&lt;dc:creator&gt;" without
    /// xmlns:dc): the usual namespace for the well-known ones, a placeholder for others, so the item can be read.
    /// </summary>
    static string UndeclaredPrefixes(string segment, string declared)
    {
        var sb = new System.Text.StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in UsedPrefix().Matches(segment))
        {
            var prefix = m.Groups["p"].Value;
            if (prefix is "xml" or "xmlns" || !seen.Add(prefix) || declared.Contains($"xmlns:{prefix}=", StringComparison.Ordinal)
                || segment.Contains($"xmlns:{prefix}=", StringComparison.Ordinal)) continue;
            var uri = WellKnownPrefixes.TryGetValue(prefix, out var known) ? known : $"urn:newsbot:undeclared:{prefix}";
            sb.Append(" xmlns:").Append(prefix).Append("=\"").Append(uri).Append('"');
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"</?(?<p>[A-Za-z_][\w.\-]*):[A-Za-z_]|\s(?<p>[A-Za-z_][\w.\-]*):[A-Za-z_][\w.\-]*\s*=")] private static partial Regex UsedPrefix();

    static void Add((FeedEntry? Entry, FeedEntryError? Error) parsed, List<FeedEntry> entries, List<FeedEntryError> errors)
    {
        if (parsed.Entry is not null) entries.Add(parsed.Entry);
        if (parsed.Error is not null) errors.Add(parsed.Error);
    }

    static (FeedEntry?, FeedEntryError?) ParseItem(XElement item, FeedFormat format, Uri? feedUrl, int index)
    {
        try
        {
            var entry = format == FeedFormat.Atom ? ParseAtomEntry(item, feedUrl, index) : ParseRssItem(item, format, feedUrl, index);
            bool hasText = !string.IsNullOrWhiteSpace(entry.Content?.Value) || !string.IsNullOrWhiteSpace(entry.Summary?.Value);
            if (string.IsNullOrWhiteSpace(entry.Title) && entry.Link is null && !hasText)
                return (null, new FeedEntryError(index, null, $"item {index} has no title, no link and no text"));
            return (entry, null);
        }
        catch (Exception ex) when (ex is XmlException or FormatException or UriFormatException or InvalidOperationException)
        {
            return (null, new FeedEntryError(index, null, $"item {index} could not be read: {ex.Message}"));
        }
    }

    static Uri? ResolveLink(Uri? baseUrl, string? href)
    {
        if (string.IsNullOrWhiteSpace(href)) return null;
        href = href.Trim();
        Uri? uri = Uri.TryCreate(href, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" ? absolute
                   : baseUrl is { IsAbsoluteUri: true } && !href.Contains(' ') && Uri.TryCreate(baseUrl, href, out var resolved) ? resolved
                   : null;
        return uri is not null && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri : null;
    }

    static XElement? Child(XElement e, string localName) => e.Elements().FirstOrDefault(c => c.Name.LocalName == localName);

    static string PlainText(string? value) => HtmlArticleExtractor.ToPlainText(value);

    static string TextOf(string value) => NewsBot.Core.Text.TextNormalizer.CleanInline(value);

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    static string StripCdata(string s) => s.Replace("<![CDATA[", "", StringComparison.Ordinal).Replace("]]>", "", StringComparison.Ordinal);

    /// <summary>
    /// "&amp;#147;" and the raw C1 controls (U+0080–U+009F) become the Windows-1252 characters they meant (smart
    /// quotes, dashes), as browsers and feed parsers read them.
    /// </summary>
    static string RepairC1References(string xml)
    {
        var s = C1Reference().Replace(xml, m =>
        {
            int code = m.Groups[1].Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : int.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return code is >= 0x80 and <= 0x9F ? ContentDecoder.RepairC1Controls(((char)code).ToString()) : m.Value;
        });
        return ContentDecoder.RepairC1Controls(s);
    }

    /// <summary>
    /// Repairs common damage outside CDATA sections: HTML named entities (&amp;nbsp;, &amp;eacute;, …) become
    /// character references, bare ampersands become &amp;amp;, and characters XML forbids are dropped.
    /// </summary>
    public static string Repair(string xml)
    {
        var sb = new StringBuilder(xml.Length + 64);
        int pos = 0;
        foreach (Match cdata in Cdata().Matches(xml))
        {
            sb.Append(RepairText(xml[pos..cdata.Index]));
            sb.Append(InvalidXmlChars().Replace(cdata.Value, ""));
            pos = cdata.Index + cdata.Length;
        }
        sb.Append(RepairText(xml[pos..]));
        return sb.ToString();

        static string RepairText(string s)
        {
            s = InvalidXmlChars().Replace(s, "");
            return Ampersand().Replace(s, m =>
            {
                if (m.Groups["numeric"].Success) return m.Value;
                if (!m.Groups["name"].Success) return "&amp;";
                var name = m.Groups["name"].Value;
                if (name is "amp" or "lt" or "gt" or "quot" or "apos") return m.Value;
                var decoded = WebUtility.HtmlDecode($"&{name};");
                if (decoded == $"&{name};") return "&amp;" + name + ";";
                var refs = new StringBuilder();
                for (int i = 0; i < decoded.Length; i += char.IsSurrogatePair(decoded, i) ? 2 : 1)
                    refs.Append("&#x").Append(char.ConvertToUtf32(decoded, i).ToString("X", CultureInfo.InvariantCulture)).Append(';');
                return refs.ToString();
            });
        }
    }

    [GeneratedRegex(@"<(?<name>[A-Za-z_][\w:.\-]*)(?<attrs>(?:\s[^>]*)?)/?>")] private static partial Regex StartTag();
    [GeneratedRegex(@"\s+([A-Za-z_][\w:.\-]*)")] private static partial Regex DoctypeName();
    [GeneratedRegex(@"<!ENTITY\s+(?:%\s+)?(?<name>[\w.\-]+)\s+(?:(?:SYSTEM|PUBLIC)\s+)?(?<q>[""'])(?<value>.*?)\k<q>", RegexOptions.Singleline)] private static partial Regex EntityDeclaration();
    [GeneratedRegex(@"[&%]([\w.\-]+);")] private static partial Regex EntityReference();
    [GeneratedRegex(@"&#(?:(1[2-5][0-9])|x([89][0-9A-Fa-f]));")] private static partial Regex C1Reference();
    [GeneratedRegex(@"\sxmlns(?::[\w.\-]+)?\s*=\s*(?:""[^""]*""|'[^']*')")] private static partial Regex XmlnsAttribute();
    [GeneratedRegex(@"<title\b[^>]*>(.*?)</title>", RegexOptions.Singleline)] private static partial Regex TitleElement();
    [GeneratedRegex(@"<link\b[^>]*>\s*([^<\s]+)\s*</link>|<link\b[^>]*\bhref\s*=\s*[""']([^""']+)[""']")] private static partial Regex LinkInFragment();
    [GeneratedRegex(@"<!\[CDATA\[.*?\]\]>", RegexOptions.Singleline)] private static partial Regex Cdata();
    [GeneratedRegex(@"[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]")] private static partial Regex InvalidXmlChars();
    [GeneratedRegex(@"&(?:(?<numeric>#[0-9]+;|#x[0-9A-Fa-f]+;)|(?<name>[A-Za-z][A-Za-z0-9]{0,31});)?")] private static partial Regex Ampersand();

    static Regex ItemStart(string tag) => tag == "entry" ? EntryStartRegex() : ItemStartRegex();
    [GeneratedRegex(@"<item[\s>/]")] private static partial Regex ItemStartRegex();
    [GeneratedRegex(@"<entry[\s>/]")] private static partial Regex EntryStartRegex();
}
