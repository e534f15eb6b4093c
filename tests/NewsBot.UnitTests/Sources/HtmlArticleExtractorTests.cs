using Xunit;
using NewsBot.Sources.Html;

namespace NewsBot.UnitTests.Sources;

/// <summary>Main-content and metadata extraction from hand-written HTML pages.</summary>
public sealed class HtmlArticleExtractorTests
{
    static readonly Uri PageUrl = new("https://www.coastal-ledger.example/news/2024/harbour-bridge-reopens?utm_campaign=x");

    [Fact]
    public void NewsPage_body_keeps_the_article_paragraphs_headings_and_list_items_in_order()
    {
        var article = HtmlArticleExtractor.Extract(TestPages.NewsPage, PageUrl);

        Assert.Equal(
        [
            "The Harbour Bridge reopened to traffic on Tuesday morning after a repair programme that lasted almost two years and cost the city 48 million euros.",
            "Engineers replaced all 212 suspension cables and the steel deck plates, which inspectors had found badly corroded during a routine survey in 2021.",
            "Traffic returns",
            "By eight o'clock the first buses were crossing again, and the ferry operator said it would return to its normal winter timetable next week.",
            "Mayor Ilse Brandt called the reopening \"a relief for every commuter on the east bank\" and thanked residents for their patience.",
            "Cycle lanes on both sides are now separated from traffic by a kerb.",
            "The speed limit on the bridge has been lowered to 40 km/h.",
        ], article.Paragraphs);
    }

    [Theory]
    [InlineData("cookie")]            // cookie banner
    [InlineData("Accept all")]        // its buttons
    [InlineData("Skip to content")]   // skip link
    [InlineData("Weather")]           // navigation
    [InlineData("Share on")]          // share widget
    [InlineData("Related stories")]   // related-links box inside the body
    [InlineData("Ferry timetable")]   // its links
    [InlineData("newsletter")]        // newsletter pitch
    [InlineData("Reader One")]        // comments
    [InlineData("Most read")]         // sidebar
    [InlineData("Storm warning")]
    [InlineData("All rights reserved")] // footer
    [InlineData("Photo: Ledger staff")] // figure caption
    [InlineData("Marta Quill")]       // byline is metadata, not body
    [InlineData("analytics")]         // scripts
    [InlineData("position: fixed")]   // styles
    public void NewsPage_body_leaves_out_boilerplate(string boilerplate)
    {
        var article = HtmlArticleExtractor.Extract(TestPages.NewsPage, PageUrl);

        Assert.DoesNotContain(article.Paragraphs, p => p.Contains(boilerplate, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_cookie_notice_in_an_unnamed_box_and_read_more_teasers_are_left_out()
    {
        const string html = """
            <html><head><title>Ferry fares rise</title></head><body>
            <div class="x1"><p>This website uses cookies to improve your experience. By continuing to browse you agree to our use of cookies. Accept</p></div>
            <article><h1>Ferry fares rise</h1>
            <p>Ferry fares on the harbour route will rise by five percent from May, the operator said on Monday.</p>
            <p>Read more: Harbour bridge reopens after two-year repair</p>
            <p>The operator blamed higher fuel costs and said season tickets would keep their current price until the summer.</p>
            <p>Commuters said the rise was modest but asked why the cookies sold on board cost more than in town.</p>
            <p>The regulator fined the operator last year, saying its use of cookies to track passengers breached the law.</p>
            <p>Related-party transactions rose 5% in the quarter, the filing showed.</p>
            </article></body></html>
            """;
        var article = HtmlArticleExtractor.Extract(html, PageUrl);

        Assert.DoesNotContain(article.Paragraphs, p => p.Contains("uses cookies", StringComparison.Ordinal));
        Assert.DoesNotContain(article.Paragraphs, p => p.StartsWith("Read more", StringComparison.Ordinal));
        Assert.Equal(5, article.Paragraphs.Count); // the story's own mentions of cookies stay, and "Related-party …"
        Assert.StartsWith("Ferry fares on the harbour route", article.Paragraphs[0]);
    }

    [Fact]
    public void The_headline_is_not_the_first_paragraph_when_the_page_title_words_it_differently()
    {
        const string html = """
            <html><head><title>Harbour News: transport, weather and more</title></head><body>
            <article><h1>Ferry fares rise by five percent</h1>
            <p>Ferry fares on the harbour route will rise by five percent from May, the operator said on Monday.</p>
            <p>The operator blamed higher fuel costs and said season tickets would keep their current price until the summer.</p>
            </article></body></html>
            """;
        var article = HtmlArticleExtractor.Extract(html, PageUrl);

        Assert.Equal("Ferry fares rise by five percent", article.Title);
        Assert.Equal(2, article.Paragraphs.Count);
        Assert.StartsWith("Ferry fares on the harbour route", article.Paragraphs[0]);
    }

    [Fact]
    public void NewsPage_metadata_comes_from_og_tags_json_ld_and_canonical_link()
    {
        var article = HtmlArticleExtractor.Extract(TestPages.NewsPage, PageUrl);

        Assert.Equal("Harbour bridge reopens after two-year repair", article.Title); // " | The Coastal Ledger" trimmed
        Assert.Equal("Marta Quill", article.Author);
        Assert.Equal("The Coastal Ledger", article.Outlet);
        Assert.Equal(new DateTimeOffset(2024, 3, 5, 8, 30, 0, TimeSpan.FromHours(1)), article.Published);
        // relative canonical resolved against the page, utm_* dropped, trailing slash removed, host lower-cased
        Assert.Equal("https://www.coastal-ledger.example/news/2024/harbour-bridge-reopens?id=77", article.CanonicalUrl);
        Assert.Equal([new Uri("https://www.coastal-ledger.example/feeds/news.xml")], article.FeedLinks);
    }

    [Fact]
    public void Json_ld_in_a_graph_with_author_reference_gives_author_date_and_publisher_when_meta_tags_are_missing()
    {
        const string html = """
            <html><head><title>Dam inspection finds cracks — Valley Post</title>
            <script type="application/ld+json">
            {"@context":"https://schema.org","@graph":[
              {"@type":"WebSite","@id":"https://valley.example/#site","name":"Valley Post"},
              {"@type":"Person","@id":"https://valley.example/#jo","name":"Jo Ferreira"},
              {"@type":["NewsArticle"],"headline":"Dam inspection finds cracks","datePublished":"2023-11-20T14:00:00Z",
               "author":{"@id":"https://valley.example/#jo"},"publisher":{"@type":"Organization","name":"Valley Post"}}
            ]}
            </script></head>
            <body><div class="content"><p>Inspectors found hairline cracks in the northern spillway of the Oster dam during the annual survey, the water board said on Monday.</p>
            <p>The board said there was no immediate danger but that the reservoir level would be kept two metres lower until repairs are done in spring.</p></div></body></html>
            """;

        var article = HtmlArticleExtractor.Extract(html, new Uri("https://valley.example/dam"));

        Assert.Equal("Jo Ferreira", article.Author);
        Assert.Equal(new DateTimeOffset(2023, 11, 20, 14, 0, 0, TimeSpan.Zero), article.Published);
        Assert.Equal("Valley Post", article.Outlet);
        Assert.Equal("Dam inspection finds cracks", article.Title); // <title> " — Valley Post" trimmed (no og:title)
        Assert.Equal(2, article.Paragraphs.Count);
        Assert.Null(article.CanonicalUrl); // no canonical: the caller falls back to the final URL
    }

    [Fact]
    public void Without_site_name_the_outlet_is_the_host_without_www_and_a_matching_title_suffix_is_trimmed()
    {
        const string html = """
            <html><head><title>Library extends opening hours | townnews.example</title>
            <meta name="author" content="By Priya Natarajan"><meta name="dc.date" content="2022-07-01">
            </head><body><h1>Library extends opening hours</h1>
            <p>The central library will stay open until ten in the evening on weekdays from August, the council announced, after a survey of more than three thousand residents.</p>
            </body></html>
            """;

        var article = HtmlArticleExtractor.Extract(html, new Uri("https://www.townnews.example/library"));

        Assert.Equal("townnews.example", article.Outlet);
        Assert.Equal("Library extends opening hours", article.Title);
        Assert.Equal("Priya Natarajan", article.Author); // "By " stripped
        Assert.Equal(new DateTimeOffset(2022, 7, 1, 0, 0, 0, TimeSpan.Zero), article.Published);
        Assert.DoesNotContain("Library extends opening hours", article.Paragraphs); // the h1 is the title, not body
    }

    [Fact]
    public void Title_suffix_that_is_not_the_outlet_is_kept()
    {
        Assert.Equal("Budget talks - what happens next", HtmlArticleExtractor.TrimSiteName("Budget talks - what happens next", "Daily Example", new Uri("https://daily.example/x")));
        Assert.Equal("Budget talks", HtmlArticleExtractor.TrimSiteName("Daily Example | Budget talks", "Daily Example", null));
    }

    [Fact]
    public void Time_element_and_byline_element_are_used_when_there_is_no_meta_or_json_ld()
    {
        const string html = """
            <html><body><article>
            <h1>Orchard harvest best in a decade</h1>
            <div class="meta"><span class="byline">by Tomas Lind</span> <time datetime="2021-09-14T06:00:00Z">14 Sep</time></div>
            <p>Apple growers in the valley expect their best harvest in ten years after a warm spring and a wet summer, the growers' association said.</p>
            </article></body></html>
            """;

        var article = HtmlArticleExtractor.Extract(html, new Uri("https://orchard.example/harvest"));

        Assert.Equal("Tomas Lind", article.Author);
        Assert.Equal(new DateTimeOffset(2021, 9, 14, 6, 0, 0, TimeSpan.Zero), article.Published);
        Assert.Equal("Orchard harvest best in a decade", article.Title);
        Assert.Single(article.Paragraphs);
    }

    [Fact]
    public void Page_without_article_container_is_read_with_readability_and_keeps_the_prose()
    {
        var paragraphs = string.Join("\n", Enumerable.Range(1, 6).Select(i =>
            $"<p>Paragraph {i} of the report says the regional rail line carried more passengers this year than in any year since it opened, and that delays fell by a third.</p>"));
        var html = $"""
            <html><head><title>Rail report</title></head><body>
            <div id="top"><a href="/">Home</a> <a href="/rail">Rail</a> <a href="/bus">Bus</a></div>
            <div id="wrapper"><div class="story">{paragraphs}</div></div>
            <div class="links"><a href="/x">Timetables</a> <a href="/y">Fares</a></div>
            </body></html>
            """;

        var article = HtmlArticleExtractor.Extract(html, new Uri("https://rail.example/report"));

        Assert.Equal(6, article.Paragraphs.Count);
        Assert.StartsWith("Paragraph 1 of the report", article.Paragraphs[0]);
        Assert.DoesNotContain(article.Paragraphs, p => p.Contains("Timetables") || p.Contains("Home"));
    }

    [Fact]
    public void Double_br_splits_paragraphs_and_inline_markup_is_flattened()
    {
        const string html = """
            <html><body><article><div>First line of a <b>very</b> <a href="/x">old-fashioned</a> page written with breaks instead of paragraphs, as some small outlets still do.<br><br>Second paragraph after two breaks, with enough words to count as proper article prose.</div></article></body></html>
            """;

        var paragraphs = HtmlArticleExtractor.Extract(html, null).Paragraphs;

        Assert.Equal(2, paragraphs.Count);
        Assert.Equal("First line of a very old-fashioned page written with breaks instead of paragraphs, as some small outlets still do.", paragraphs[0]);
    }

    [Fact]
    public void Trailing_newsletter_footer_inside_the_article_is_removed()
    {
        const string html = """
            <html><body><article>
            <p>The city council voted on Thursday to build a new swimming pool in the northern district, ending a debate that lasted six years.</p>
            <p>Thank you for reading. Click here to subscribe to our newsletter.</p>
            </article></body></html>
            """;

        var paragraphs = HtmlArticleExtractor.Extract(html, null).Paragraphs;

        Assert.Single(paragraphs);
    }

    [Fact]
    public void Fragment_of_feed_html_becomes_paragraphs_without_the_appeared_first_on_line()
    {
        var paragraphs = HtmlArticleExtractor.FragmentToParagraphs(
            "<p>Snow closed the mountain pass for the first time this winter.</p><p>Ploughs are expected to clear it by the evening.</p><p>The post Pass closed appeared first on Alpine Daily.</p>");

        Assert.Equal(["Snow closed the mountain pass for the first time this winter.", "Ploughs are expected to clear it by the evening."], paragraphs);
    }

    [Fact]
    public void Html_entities_and_tags_in_titles_become_plain_text()
    {
        Assert.Equal("Rock & roll — “live”", HtmlArticleExtractor.ToPlainText("<b>Rock</b> &amp; roll &mdash; &ldquo;live&rdquo;"));
    }
}
