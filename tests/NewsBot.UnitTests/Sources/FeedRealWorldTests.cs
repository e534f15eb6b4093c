using System.Text;
using NewsBot.Core.Text;
using NewsBot.Sources;
using NewsBot.Sources.Feeds;
using NewsBot.Sources.Text;

namespace NewsBot.UnitTests.Sources;

/// <summary>
/// The cases real feeds bring, each checked on its own: item identity within a feed, DOCTYPEs and entities, encodings,
/// and the elements of the extensions (RSS 2.0, RSS 1.0 with Dublin Core terms, Atom 1.0 and 0.3, Media RSS, iTunes).
/// </summary>
public sealed class FeedRealWorldTests
{
    static readonly Uri FeedUrl = new("https://feeds.example/main.xml");

    static ParsedFeed Parse(string xml)
    {
        var result = FeedParser.Parse(xml, FeedUrl);
        return result.Feed ?? throw new Xunit.Sdk.XunitException(result.Error);
    }

    static string Rss(string items) => $"<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>";

    // ---- identity ----

    [Fact]
    public void Items_whose_links_differ_only_by_fragment_get_keys_of_their_own_with_the_fragment()
    {
        var feed = Parse(Rss(string.Concat(Enumerable.Range(1, 3).Select(i => $"<item><title>Post {i}</title><link>https://blog.example/page?utm_source=x#p{i}</link><description>Text {i}</description></item>"))));

        Assert.Equal(["https://blog.example/page#p1", "https://blog.example/page#p2", "https://blog.example/page#p3"], feed.Entries.Select(e => e.LinkKey));
        Assert.All(feed.Entries, e => Assert.True(e.SharesLink));
        Assert.All(feed.Entries, e => Assert.EndsWith("+own", WebReader.SeenKey(e), StringComparison.Ordinal));
    }

    [Fact]
    public void An_item_whose_link_no_other_item_shares_keeps_its_canonical_url_so_existing_article_ids_stay()
    {
        var feed = Parse(Rss("<item><title>A</title><link>https://n.example/a?utm_medium=rss#top</link><guid>g-a</guid><description>x</description></item>"
                             + "<item><title>B</title><link>https://n.example/b</link><description>y</description></item>"));

        Assert.Equal(UrlCanonicalizer.Canonicalize(feed.Entries[0].Link!), feed.Entries[0].LinkKey);
        Assert.Equal("https://n.example/b", feed.Entries[1].LinkKey);
        Assert.All(feed.Entries, e => Assert.False(e.SharesLink));
        Assert.StartsWith("g-a#v=", WebReader.SeenKey(feed.Entries[0]), StringComparison.Ordinal); // the seen key of before
        Assert.DoesNotContain("+own", WebReader.SeenKey(feed.Entries[1]), StringComparison.Ordinal);
    }

    [Fact]
    public void Items_sharing_one_link_are_told_apart_by_guid_or_without_one_by_their_content_and_the_same_item_twice_is_one()
    {
        var feed = Parse(Rss(
            "<item><title>One</title><link>https://live.example/</link><guid isPermaLink=\"false\">a</guid><description>first</description></item>"
            + "<item><title>Two</title><link>https://live.example/</link><guid isPermaLink=\"false\">b</guid><description>second</description></item>"
            + "<item><title>Three</title><link>https://live.example/</link><description>third</description></item>"
            + "<item><title>Four</title><link>https://live.example/</link><description>fourth</description></item>"
            + "<item><title>One</title><link>https://live.example/</link><guid isPermaLink=\"false\">a</guid><description>first, corrected</description></item>"));

        var keys = feed.Entries.Select(e => e.LinkKey!).ToList();
        Assert.Equal(4, keys.Take(4).Distinct().Count());
        Assert.All(keys, k => Assert.StartsWith("https://live.example/#item-", k, StringComparison.Ordinal));
        Assert.Equal(keys[0], keys[4]); // same guid: the same article (a correction updates it)
    }

    // ---- DOCTYPEs and entities ----

    [Fact]
    public void A_doctype_with_an_internal_subset_is_sniffed_past_and_html_entities_are_read()
    {
        const string xml = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [ <!ENTITY nbsp "&#160;"> <!ENTITY rsquo "&#8217;"> <!ENTITY gt2 ">"> ]>
            <rss version="0.91"><channel><title>Old&nbsp;Times</title>
            <item><title>It&rsquo;s here</title><link>https://old.example/1</link><description>ok &amp; fine</description></item></channel></rss>
            """;

        Assert.Equal("rss", FeedParser.RootElementName(xml));
        var feed = Parse(xml);
        Assert.Equal("Old Times", feed.Title);
        Assert.Equal("It’s here", feed.Entries[0].Title);
    }

    [Fact]
    public void An_xhtml_doctype_before_rss_is_a_feed_but_an_html_doctype_before_a_page_is_a_page()
    {
        Assert.Equal("rss", FeedParser.RootElementName("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x.dtd\">\n<rss version=\"2.0\"><channel/></rss>"));
        Assert.Equal("html", FeedParser.RootElementName("<!DOCTYPE html>\n<html><body><p>x</p></body></html>"));
    }

    [Fact]
    public void Entities_defined_by_other_entities_are_refused_as_a_bomb()
    {
        var result = FeedParser.Parse("""
            <!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
            <rss version="2.0"><channel><title>&c;</title><item><title>&c;</title><link>https://x.example/</link></item></channel></rss>
            """, FeedUrl);

        Assert.Null(result.Feed);
        Assert.Contains("expansion bomb", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void External_entities_are_never_read()
    {
        var secretFile = Path.Combine(Path.GetTempPath(), $"newsbot-secret-{Guid.NewGuid():N}.txt");
        File.WriteAllText(secretFile, "TOP-SECRET-CONTENT");
        try
        {
            var feed = Parse($"""
                <?xml version="1.0"?>
                <!DOCTYPE rss [<!ENTITY leak SYSTEM "{new Uri(secretFile).AbsoluteUri}">]>
                <rss version="2.0"><channel><title>Probe</title><item><title>t &leak;</title><link>https://x.example/</link><description>d &leak;</description></item></channel></rss>
                """);

            Assert.DoesNotContain("TOP-SECRET", feed.Entries[0].Title, StringComparison.Ordinal);
            Assert.DoesNotContain("TOP-SECRET", feed.Entries[0].Summary!.Value, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    // ---- encodings ----

    [Theory]
    [InlineData("utf-16LE")]
    [InlineData("utf-16BE")]
    [InlineData("utf-32LE")]
    [InlineData("utf-32BE")]
    public void Utf16_and_utf32_without_a_byte_order_mark_are_text_not_binary(string encodingName)
    {
        var encoding = encodingName switch
        {
            "utf-16LE" => (Encoding)new UnicodeEncoding(false, false),
            "utf-16BE" => new UnicodeEncoding(true, false),
            "utf-32LE" => new UTF32Encoding(false, false),
            _ => new UTF32Encoding(true, false),
        };
        var text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>Fjord – news</title></channel></rss>";
        var bytes = encoding.GetBytes(text);

        Assert.Null(ContentDecoder.DescribeBinary(bytes));
        var decoded = ContentDecoder.Decode(bytes, declaredCharset: "utf-16", sniffMarkup: true);
        Assert.Equal(text, decoded.Text);
        Assert.False(decoded.Uncertain);
    }

    [Fact]
    public void Real_binary_with_nul_bytes_is_still_binary()
    {
        Assert.NotNull(ContentDecoder.DescribeBinary([0x00, 0x01, 0x3C, 0x00, 0x00, 0x9F, 0x10, 0x00, 0x00, 0x00, 0x41, 0x42]));
    }

    [Fact]
    public void Koi8_r_and_windows_1251_are_told_apart_and_hebrew_is_not_taken_for_either()
    {
        const string russian = "Городской совет утвердил новый бюджет на следующий год. Основные расходы пойдут на ремонт дорог и школ.";
        const string hebrew = "מועצת העיר אישרה את התקציב החדש לשנה הבאה. רוב הכסף יופנה לתיקון כבישים ובתי ספר.";

        Assert.Equal(russian, ContentDecoder.Decode(ContentDecoder.ResolveCharset("koi8-r")!.GetBytes(russian)).Text);
        Assert.Equal(russian, ContentDecoder.Decode(ContentDecoder.Windows1251.GetBytes(russian)).Text);
        var decodedHebrew = ContentDecoder.Decode(ContentDecoder.ResolveCharset("windows-1255")!.GetBytes(hebrew));
        Assert.Equal(hebrew, decodedHebrew.Text);
        Assert.Equal("windows-1255", decodedHebrew.Encoding.WebName);
    }

    [Fact]
    public void Utf8_text_with_one_broken_byte_is_read_as_utf8_not_as_a_legacy_encoding()
    {
        const string russian = "Городской совет утвердил новый бюджет на следующий год. Основные расходы пойдут на ремонт дорог, школ и больниц.";
        var bytes = Encoding.UTF8.GetBytes(russian).ToList();
        bytes.Insert(40, 0xFF);

        var decoded = ContentDecoder.Decode([.. bytes]);
        Assert.False(decoded.Uncertain, decoded.Reason);
        Assert.Equal(russian, decoded.Text.Replace("\uFFFD", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Windows_1252_smart_quotes_that_arrive_as_c1_controls_become_the_quotes_they_meant()
    {
        Assert.Equal("“Hi” – it’s €5", ContentDecoder.RepairC1Controls("\u0093Hi\u0094 \u0096 it\u0092s \u00805"));
        var feed = Parse(Rss("<item><title>&#147;Quoted&#148; &#x93;too&#x94;</title><link>https://q.example/</link><description>a\u0092b</description></item>"));
        Assert.Equal("“Quoted” “too”", feed.Entries[0].Title);
        Assert.Equal("a’b", feed.Entries[0].Summary!.Value);
    }

    // ---- elements ----

    [Fact]
    public void Atom_base64_title_summary_and_content_are_decoded()
    {
        static string B(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        var feed = Parse($"""
            <feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>
            <entry><title type="base64">{B("Zürich wins")}</title><id>1</id><link href="https://z.example/1"/>
              <summary type="base64">{B("Short")}</summary><content type="text/html" mode="base64">{B("<p>Long <b>text</b></p>")}</content></entry>
            <entry><title>Two</title><id>2</id><link href="https://z.example/2"/><content type="application/octet-stream">{B("Plain words")}</content></entry>
            </feed>
            """);

        Assert.Equal("Zürich wins", feed.Entries[0].Title);
        Assert.Equal("Short", feed.Entries[0].Summary!.Value);
        Assert.Equal(new FeedText("<p>Long <b>text</b></p>", true), feed.Entries[0].Content);
        Assert.Equal(new FeedText("Plain words", false), feed.Entries[1].Content);
    }

    [Fact]
    public void Text_only_in_media_description_or_itunes_summary_is_the_items_text_and_rss_description_wins_over_them()
    {
        var feed = Parse("""
            <rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>M</title>
            <item><title>Video</title><link>https://m.example/1</link><media:group><media:description>In the group</media:description></media:group></item>
            <item><link>https://m.example/2</link><media:title>Media title</media:title><media:description type="html">&lt;p&gt;Html&lt;/p&gt;</media:description></item>
            <item><title>Podcast</title><link>https://m.example/3</link><itunes:summary>Episode text</itunes:summary></item>
            <item><title>Plain</title><link>https://m.example/5</link><media:description>Line one
            line two</media:description></item>
            <item><title>Both</title><link>https://m.example/4</link><media:description>media</media:description><description>the description</description></item>
            </channel></rss>
            """);

        Assert.Equal(new FeedText("In the group", false), feed.Entries[0].Summary);
        Assert.Equal("Media title", feed.Entries[1].Title);
        Assert.Equal(new FeedText("<p>Html</p>", true), feed.Entries[1].Summary);
        Assert.Equal(new FeedText("Episode text", false), feed.Entries[2].Summary);
        Assert.False(feed.Entries[3].Summary!.IsHtml); // plain text, not read as HTML because its name is "description"
        Assert.Equal("the description", feed.Entries[4].Summary!.Value);
    }

    [Theory]
    [InlineData("<dcterms:issued>2024-05-01T10:00:00Z</dcterms:issued>", "2024-05-01T10:00:00Z")]
    [InlineData("<dcterms:created>2024-05-02T10:00:00Z</dcterms:created>", "2024-05-02T10:00:00Z")]
    [InlineData("<dcterms:modified>2024-05-03T10:00:00Z</dcterms:modified>", "2024-05-03T10:00:00Z")]
    [InlineData("<pubDate>Sat, 04 May 2024 10:00:00 GMT</pubDate><dcterms:modified>2024-05-09T10:00:00Z</dcterms:modified>", "2024-05-04T10:00:00Z")]
    public void Dublin_core_terms_give_the_date_when_nothing_better_does(string element, string expected)
    {
        var feed = Parse($"<rss version=\"2.0\" xmlns:dcterms=\"http://purl.org/dc/terms/\"><channel><title>D</title><item><title>x</title><link>https://d.example/</link>{element}</item></channel></rss>");
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), feed.Entries[0].Published);
    }

    [Fact]
    public void Atom_created_and_the_last_of_several_updated_give_the_date()
    {
        var feed = Parse("""
            <feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
            <entry><title>1</title><id>1</id><link href="https://a.example/1"/><created>2024-01-05T00:00:00Z</created></entry>
            <entry><title>2</title><id>2</id><link href="https://a.example/2"/><updated>2024-01-01T00:00:00Z</updated><updated>2024-01-07T00:00:00Z</updated></entry>
            </feed>
            """);
        Assert.Equal(new DateTimeOffset(2024, 1, 5, 0, 0, 0, TimeSpan.Zero), feed.Entries[0].Published);
        Assert.Equal(new DateTimeOffset(2024, 1, 7, 0, 0, 0, TimeSpan.Zero), feed.Entries[1].Published);
    }

    [Theory]
    [InlineData("Ana Ruiz (ana@x.example)", "Ana Ruiz")]
    [InlineData("ana@x.example (Ana Ruiz)", "Ana Ruiz")]
    [InlineData("Ana Ruiz <ana@x.example>", "Ana Ruiz")]
    [InlineData("Ana Ruiz", "Ana Ruiz")]
    [InlineData("ana@x.example", null)]
    public void An_author_with_an_email_is_stored_as_the_name(string written, string? expected)
    {
        var feed = Parse(Rss($"<item><title>x</title><link>https://a.example/</link><author>{System.Net.WebUtility.HtmlEncode(written)}</author></item>"));
        Assert.Equal(expected, feed.Entries[0].Author);
    }

    [Fact]
    public void Atom_links_prefer_the_alternate_over_an_enclosure_and_read_a_link_written_as_text()
    {
        var feed = Parse("""
            <feed xmlns="http://www.w3.org/2005/Atom"><title>L</title>
            <entry><title>1</title><id>1</id><link rel="enclosure" href="https://l.example/1.mp3"/><link rel="alternate" href="https://l.example/1"/></entry>
            <entry><title>2</title><id>2</id><link>https://l.example/2</link></entry>
            <entry><title>3</title><id>3</id><link rel="self" href="https://l.example/3.xml"/><link rel="enclosure" href="https://l.example/3.mp3"/></entry>
            </feed>
            """);
        Assert.Equal(["https://l.example/1", "https://l.example/2"], feed.Entries.Take(2).Select(e => e.Link!.ToString()));
        Assert.Null(feed.Entries[2].Link);
    }

    [Fact]
    public void Rss_with_items_but_no_channel_is_read()
    {
        var feed = Parse("<rss version=\"2.0\"><title>Bare</title><item><title>Only item</title><link>https://b.example/1</link></item></rss>");
        Assert.Equal("Bare", feed.Title);
        Assert.Equal("Only item", Assert.Single(feed.Entries).Title);
    }
}
