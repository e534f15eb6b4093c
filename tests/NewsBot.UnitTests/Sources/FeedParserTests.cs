using NewsBot.Sources.Feeds;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>RSS 2.0, RSS 1.0 and Atom parsing, including broken items and documents that are not feeds.</summary>
public sealed class FeedParserTests
{
    static readonly Uri FeedUrl = new("https://news.example/feeds/main.xml");

    public const string Rss2WithContent = """
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
          <channel>
            <title>Example News &amp; Views</title>
            <link>https://news.example/</link>
            <description>Invented stories for tests</description>
            <item>
              <title>Tram line extension approved</title>
              <link>https://news.example/trams?utm_source=rss</link>
              <guid isPermaLink="false">tram-2024-001</guid>
              <pubDate>Tue, 05 Mar 2024 09:15:00 GMT</pubDate>
              <dc:creator>Ana Ruiz</dc:creator>
              <description>The council approved the tram extension.</description>
              <content:encoded><![CDATA[<p>The city council approved a four-kilometre extension of the tram line.</p><p>Construction starts in autumn.</p>]]></content:encoded>
            </item>
            <item>
              <title>Museum night draws record crowd</title>
              <link>/culture/museum-night</link>
              <author>desk@news.example (Lena Park)</author>
              <pubDate>Mon, 4 Mar 2024 22:00:00 EST</pubDate>
              <description>&lt;p&gt;More than 20,000 people visited.&lt;/p&gt;</description>
            </item>
          </channel>
        </rss>
        """;

    [Fact]
    public void Rss2_items_with_content_encoded_give_title_link_guid_date_author_and_html_content()
    {
        var result = FeedParser.Parse(Rss2WithContent, FeedUrl);

        var feed = Assert.IsType<ParsedFeed>(result.Feed);
        Assert.Equal(FeedFormat.Rss2, feed.Format);
        Assert.Equal("Example News & Views", feed.Title);
        Assert.Empty(feed.Errors);
        Assert.Equal(2, feed.Entries.Count);

        var first = feed.Entries[0];
        Assert.Equal("Tram line extension approved", first.Title);
        Assert.Equal(new Uri("https://news.example/trams?utm_source=rss"), first.Link);
        Assert.Equal("tram-2024-001", first.Id);
        Assert.Equal(new DateTimeOffset(2024, 3, 5, 9, 15, 0, TimeSpan.Zero), first.Published);
        Assert.Equal("Ana Ruiz", first.Author);
        Assert.True(first.Content!.IsHtml);
        Assert.Contains("four-kilometre extension", first.Content.Value);
        Assert.Equal("The council approved the tram extension.", first.Summary!.Value);
    }

    [Fact]
    public void Prefixes_used_without_a_declaration_do_not_cost_the_items()
    {
        // dc: and media: with no xmlns on the root (a common publishing mistake), and a made-up prefix
        var xml = Rss2WithContent.Replace(" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"", "")
            .Replace("<dc:creator>Ana Ruiz</dc:creator>", "<dc:creator>Ana Ruiz</dc:creator><media:thumbnail url=\"https://news.example/t.jpg\"/><foo:rank>3</foo:rank>");

        var feed = FeedParser.Parse(xml, FeedUrl).Feed!;

        Assert.Empty(feed.Errors);
        Assert.Equal(2, feed.Entries.Count);
        Assert.Equal("Ana Ruiz", feed.Entries[0].Author);
        Assert.Contains("four-kilometre extension", feed.Entries[0].Content!.Value);
    }

    [Fact]
    public void Atom_xml_base_applies_from_the_feed_down_to_the_link()
    {
        const string xml = """
            <feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://h.example/blog/"><title>Blog</title>
              <entry xml:base="posts/"><title>One</title><id>1</id><link href="one.html"/><summary>First post.</summary></entry>
              <entry><title>Two</title><id>2</id><link href="two.html"/><summary>Second post.</summary></entry>
              <entry><title>Three</title><id>3</id><link xml:base="/archive/" href="three.html"/><summary>Third post.</summary></entry>
            </feed>
            """;
        var entries = FeedParser.Parse(xml, FeedUrl).Feed!.Entries;
        Assert.Equal(new Uri("http://h.example/blog/posts/one.html"), entries[0].Link);
        Assert.Equal(new Uri("http://h.example/blog/two.html"), entries[1].Link);
        Assert.Equal(new Uri("http://h.example/archive/three.html"), entries[2].Link);
    }

    [Fact]
    public void Rss2_summary_only_item_resolves_relative_link_reads_email_author_and_named_time_zone()
    {
        var second = FeedParser.Parse(Rss2WithContent, FeedUrl).Feed!.Entries[1];

        Assert.Equal(new Uri("https://news.example/culture/museum-night"), second.Link);
        Assert.Null(second.Id);                                  // no guid: the caller falls back to the link
        Assert.Equal("Lena Park", second.Author);                // "email (Name)"
        Assert.Equal(new DateTimeOffset(2024, 3, 4, 22, 0, 0, TimeSpan.FromHours(-5)), second.Published);
        Assert.Null(second.Content);
        Assert.Equal("<p>More than 20,000 people visited.</p>", second.Summary!.Value); // escaped HTML unescaped once
    }

    [Fact]
    public void Atom_feed_reads_alternate_links_html_and_xhtml_content_authors_and_published_over_updated()
    {
        const string atom = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title type="html">Science &lt;b&gt;Desk&lt;/b&gt;</title>
              <link rel="self" href="https://science.example/atom.xml"/>
              <link rel="alternate" href="https://science.example/"/>
              <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
              <updated>2024-01-02T10:00:00Z</updated>
              <entry>
                <title>Comet visible this week</title>
                <link rel="alternate" type="text/html" href="https://science.example/comet"/>
                <link rel="edit" href="https://science.example/edit/1"/>
                <id>tag:science.example,2024:comet</id>
                <published>2024-01-02T08:00:00+02:00</published>
                <updated>2024-01-03T08:00:00Z</updated>
                <author><name>Kai Yamada</name></author>
                <author><name>Sam Obi</name></author>
                <summary>A comet can be seen with binoculars.</summary>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>A comet is visible <em>low in the west</em> after sunset.</p></div></content>
              </entry>
              <entry>
                <title type="text">Glacier retreat measured</title>
                <link href="glacier"/>
                <id>tag:science.example,2024:glacier</id>
                <updated>2024-01-01T12:00:00Z</updated>
                <content type="html">&lt;p&gt;The glacier lost 30 metres.&lt;/p&gt;</content>
              </entry>
            </feed>
            """;

        var feed = FeedParser.Parse(atom, new Uri("https://science.example/atom.xml")).Feed!;

        Assert.Equal(FeedFormat.Atom, feed.Format);
        Assert.Equal("Science Desk", feed.Title);
        var comet = feed.Entries[0];
        Assert.Equal(new Uri("https://science.example/comet"), comet.Link);
        Assert.Equal("tag:science.example,2024:comet", comet.Id);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 8, 0, 0, TimeSpan.FromHours(2)), comet.Published);
        Assert.Equal("Kai Yamada, Sam Obi", comet.Author);
        Assert.True(comet.Content!.IsHtml);
        Assert.Contains("<em>low in the west</em>", comet.Content.Value);
        Assert.False(comet.Summary!.IsHtml);

        var glacier = feed.Entries[1];
        Assert.Equal(new Uri("https://science.example/glacier"), glacier.Link); // relative href resolved
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero), glacier.Published); // updated when no published
        Assert.Equal("<p>The glacier lost 30 metres.</p>", glacier.Content!.Value);
    }

    [Fact]
    public void Rss1_rdf_items_are_siblings_of_the_channel_and_use_dc_date_creator_and_rdf_about()
    {
        const string rdf = """
            <?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
              <channel rdf:about="https://old.example/">
                <title>Old School Wire</title>
                <link>https://old.example/</link>
                <items><rdf:Seq><rdf:li resource="https://old.example/1"/></rdf:Seq></items>
              </channel>
              <item rdf:about="https://old.example/1">
                <title>Lighthouse keeper retires</title>
                <link>https://old.example/1</link>
                <description>After 40 years on the rock.</description>
                <dc:date>2003-06-10T04:00:00Z</dc:date>
                <dc:creator>Bea Holm</dc:creator>
              </item>
            </rdf:RDF>
            """;

        var feed = FeedParser.Parse(rdf, new Uri("https://old.example/index.rdf")).Feed!;

        Assert.Equal(FeedFormat.Rss1, feed.Format);
        Assert.Equal("Old School Wire", feed.Title);
        var item = Assert.Single(feed.Entries);
        Assert.Equal("Lighthouse keeper retires", item.Title);
        Assert.Equal("https://old.example/1", item.Id);
        Assert.Equal("Bea Holm", item.Author);
        Assert.Equal(new DateTimeOffset(2003, 6, 10, 4, 0, 0, TimeSpan.Zero), item.Published);
    }

    [Fact]
    public void One_item_with_broken_xml_becomes_an_error_while_the_items_around_it_are_kept()
    {
        const string broken = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0"><channel><title>Fragile Feed</title>
            <item><title>Good one</title><link>https://f.example/1</link><description>First good item.</description></item>
            <item><title>Bad <b>one</title><link>https://f.example/2</link><description>Unclosed tag above.</description></item>
            <item><title>Good two</title><link>https://f.example/3</link><description>Third item is fine.</description></item>
            </channel></rss>
            """;

        var feed = FeedParser.Parse(broken, FeedUrl).Feed!;

        Assert.Equal("Fragile Feed", feed.Title);
        Assert.Equal(["Good one", "Good two"], feed.Entries.Select(e => e.Title));
        Assert.Equal([1, 3], feed.Entries.Select(e => e.Index));
        var error = Assert.Single(feed.Errors);
        Assert.Equal(2, error.Index);
        Assert.Contains("malformed XML", error.Error);
        Assert.Equal("https://f.example/2", error.Link);
    }

    [Fact]
    public void Item_without_title_link_or_text_is_an_error_and_an_item_missing_its_closing_tag_too()
    {
        const string feedXml = """
            <rss version="2.0"><channel><title>T</title>
            <item><guid isPermaLink="false">x1</guid></item>
            <item><title>Unclosed item<link>https://f.example/u</link>
            <item><title>Fine</title><link>https://f.example/ok</link></item>
            </channel></rss>
            """;

        var feed = FeedParser.Parse(feedXml, FeedUrl).Feed!;

        Assert.Equal(["Fine"], feed.Entries.Select(e => e.Title));
        Assert.Equal(2, feed.Errors.Count);
        Assert.Contains(feed.Errors, e => e.Index == 1 && e.Error.Contains("no title, no link and no text"));
        Assert.Contains(feed.Errors, e => e.Index == 2 && e.Error.Contains("malformed XML"));
    }

    [Fact]
    public void Html_entities_and_bare_ampersands_outside_cdata_are_repaired_instead_of_failing_the_feed()
    {
        const string sloppy = """
            <rss version="2.0"><channel><title>Caf&eacute; Society</title>
            <item><title>AT&T and Ben &amp; Jerry&rsquo;s</title><link>https://f.example/a?x=1&y=2</link><description>Price:&nbsp;5&euro;</description></item>
            </channel></rss>
            """;

        var feed = FeedParser.Parse(sloppy, FeedUrl).Feed!;

        Assert.Equal("Café Society", feed.Title);
        var item = Assert.Single(feed.Entries);
        Assert.Equal("AT&T and Ben & Jerry’s", item.Title);
        Assert.Equal(new Uri("https://f.example/a?x=1&y=2"), item.Link);
        Assert.Empty(feed.Errors);
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html><head><title>x</title></head><body><p>hi</p></body></html>", "HTML page")]
    [InlineData("<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>https://a.example/</loc></url></urlset>", "<urlset>")]
    [InlineData("{\"version\": \"https://jsonfeed.org/version/1\", \"items\": []}", "not XML")]
    [InlineData("just some words, no markup at all", "not XML")]
    [InlineData("", "not XML")]
    public void Documents_that_are_not_feeds_give_a_clear_reason(string text, string reason)
    {
        var result = FeedParser.Parse(text, FeedUrl);

        Assert.Null(result.Feed);
        Assert.Contains("not an RSS or Atom feed", result.Error);
        Assert.Contains(reason, result.Error);
    }

    [Fact]
    public void Rss_root_that_is_malformed_beyond_repair_and_has_no_items_fails_as_a_whole()
    {
        var result = FeedParser.Parse("<rss version=\"2.0\"><channel><title>Broken</title><oops></channel>", FeedUrl);

        Assert.Null(result.Feed);
        Assert.Contains("malformed", result.Error);
    }

    [Fact]
    public void Rss_without_channel_is_not_a_valid_feed()
    {
        var result = FeedParser.Parse("<rss version=\"2.0\"></rss>", FeedUrl);

        Assert.Null(result.Feed);
        Assert.Contains("no <channel>", result.Error);
    }

    [Theory]
    [InlineData("<?xml version='1.0'?>\n<!-- generated --><?xml-stylesheet href='x.xsl'?>\n<rss version='2.0'/>", "rss")]
    [InlineData("\uFEFF  <feed xmlns='http://www.w3.org/2005/Atom'/>", "feed")]
    [InlineData("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>", "RDF")]
    [InlineData("<!doctype html><p>x", "html")]
    [InlineData("<html><body/></html>", "html")]
    [InlineData("plain text", null)]
    public void Root_element_is_sniffed_past_declarations_comments_and_doctype(string text, string? expected)
    {
        Assert.Equal(expected, FeedParser.RootElementName(text));
    }

    [Fact]
    public void Dtd_with_external_entity_is_ignored_not_resolved()
    {
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <rss version="2.0"><channel><title>X</title><item><title>T</title><description>&xxe;</description><link>https://f.example/x</link></item></channel></rss>
            """;

        var result = FeedParser.Parse(xxe, FeedUrl);

        var all = string.Join(" ", result.Feed?.Entries.Select(e => e.Summary?.Value) ?? []);
        Assert.DoesNotContain("root:", all);
    }
}
