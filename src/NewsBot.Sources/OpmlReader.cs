using System.Xml;
using System.Xml.Linq;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;

namespace NewsBot.Sources;

/// <summary>
/// Reads the feeds of an OPML subscription list: every <c>outline</c> with an <c>xmlUrl</c>, nested
/// ones too (folders), titled by <c>title</c> or else <c>text</c>; duplicates (same URL) listed once.
/// </summary>
public sealed class OpmlReader : IOpmlReader
{
    static readonly XmlReaderSettings Settings = new() { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, IgnoreComments = true };

    /// <inheritdoc />
    public IReadOnlyList<OpmlFeed> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"OPML file not found: {Path.GetFullPath(path)}", path);
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    /// <summary>Parses OPML from a stream; <paramref name="name"/> names it in error messages.</summary>
    public static IReadOnlyList<OpmlFeed> Parse(Stream stream, string name)
    {
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(stream, Settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new FormatException($"{name} is not an OPML file: it is not well-formed XML ({ex.Message})", ex);
        }
        var root = doc.Root;
        if (root is null || !string.Equals(root.Name.LocalName, "opml", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"{name} is not an OPML file: the root element is <{root?.Name.LocalName}>, expected <opml>");
        var body = root.Elements().FirstOrDefault(e => e.Name.LocalName.Equals("body", StringComparison.OrdinalIgnoreCase))
                   ?? throw new FormatException($"{name} is not a valid OPML file: <opml> has no <body>");

        var feeds = new List<OpmlFeed>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var outline in body.Descendants().Where(e => e.Name.LocalName.Equals("outline", StringComparison.OrdinalIgnoreCase)))
        {
            var url = Attribute(outline, "xmlUrl")?.Trim();
            if (string.IsNullOrEmpty(url) || !seen.Add(url)) continue;
            var title = Attribute(outline, "title") is { Length: > 0 } t ? t : Attribute(outline, "text");
            title = string.IsNullOrWhiteSpace(title) ? null : TextNormalizer.CleanInline(title);
            feeds.Add(new OpmlFeed(url, title));
        }
        return feeds;
    }

    /// <summary>Attribute by name, case-insensitively (OPML in the wild writes xmlUrl, xmlurl, XMLURL).</summary>
    static string? Attribute(XElement e, string name) =>
        e.Attributes().FirstOrDefault(a => a.Name.LocalName.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;
}
