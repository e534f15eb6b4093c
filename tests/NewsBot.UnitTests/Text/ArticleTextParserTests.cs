using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

public class ArticleTextParserTests
{
    // Written for these tests in the shape of a wire-service plain-text article: title line, byline,
    // one paragraph per line, a subscription footer at the end.
    const string PlainArticle = """
        Harbour strike halts grain exports from Odesa
        By Maria Lind
        Dock workers walked out on Tuesday, stopping grain shipments from the port for a second day.
        “We cannot work under these conditions,” said union leader Petro Koval.
        Officials said 14 vessels were waiting to load.
        Thank you for reading our article. You can keep up-to-date by subscribing to our daily newsletter. Just click here
        """;

    [Fact]
    public void Plain_text_article_gives_title_byline_paragraphs_and_drops_the_newsletter_footer()
    {
        var p = ArticleTextParser.Parse(PlainArticle, markdown: false);
        Assert.Equal("Harbour strike halts grain exports from Odesa", p.Title);
        Assert.Equal("Maria Lind", p.Author);
        Assert.Equal(3, p.Paragraphs.Count);
        Assert.StartsWith("Dock workers walked out", p.Paragraphs[0]);
        Assert.DoesNotContain(p.Paragraphs, x => x.Contains("newsletter", StringComparison.OrdinalIgnoreCase) || x.Contains("click here", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("By Maria Lind | Harbour Wire", "June 3, 2025")]
    [InlineData("By Maria Lind — Harbour Wire", "3 June 2025")]
    public void A_byline_with_its_outlet_and_a_bare_dateline_are_metadata_not_body(string byline, string dateline)
    {
        var text = $"Harbour strike halts grain exports\n{byline}\n{dateline}\n\nDock workers walked out on Tuesday, stopping grain shipments for a second day.";
        var p = ArticleTextParser.Parse(text, markdown: false);
        Assert.Equal("Maria Lind", p.Author);
        Assert.Equal("Harbour Wire", p.Outlet);
        Assert.Equal(new DateTimeOffset(2025, 6, 3, 0, 0, 0, TimeSpan.Zero), p.Published);
        Assert.StartsWith("Dock workers walked out", Assert.Single(p.Paragraphs));
    }

    [Fact]
    public void A_short_first_paragraph_with_a_number_is_not_taken_for_a_date()
    {
        foreach (var first in new[] { "14 vessels are waiting.", "2000 GMT", "1945 GMT", "Kick-off 1500 GMT", "By Monday — the talks had stalled." })
        {
            var p = ArticleTextParser.Parse($"Title\n\n{first}\n\nSecond paragraph of the story.", markdown: false);
            Assert.Null(p.Published);
            Assert.Null(p.Author);
            Assert.Equal(2, p.Paragraphs.Count);
        }
    }

    [Fact]
    public void Footer_words_inside_the_story_are_kept()
    {
        var text = "Title\n\nThe newsletter industry grew, analysts said, as readers kept subscribing to niche titles.\n\nSecond paragraph of the story.";
        var p = ArticleTextParser.Parse(text, markdown: false);
        Assert.Equal(2, p.Paragraphs.Count);
        Assert.Contains("newsletter industry", p.Paragraphs[0]);
    }

    [Fact]
    public void Metadata_lines_under_the_title_set_outlet_date_url_and_author()
    {
        var text = "Budget vote delayed\nsource: Northern Ledger\ndate: 2025-03-14\nurl: https://ledger.example/budget\nauthor: Tom Reyes\n\nThe council postponed the vote.\n\nA new date was not set.";
        var p = ArticleTextParser.Parse(text, markdown: false);
        Assert.Equal("Budget vote delayed", p.Title);
        Assert.Equal("Northern Ledger", p.Outlet);
        Assert.Equal(new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.Zero), p.Published);
        Assert.Equal("https://ledger.example/budget", p.Url);
        Assert.Equal("Tom Reyes", p.Author);
        Assert.Equal(["The council postponed the vote.", "A new date was not set."], p.Paragraphs);
    }

    [Fact]
    public void Markdown_front_matter_heading_links_and_emphasis_are_reduced_to_text()
    {
        var md = """
            ---
            title: "Rail link opens"
            outlet: Coastal Times
            published: 2025-06-02T08:30:00Z
            tags: [transport]
            ---
            # Rail link opens

            The **new line** links [the airport](https://example.com/a) to the *city centre*.

            - Trains every 10 minutes
            - Tickets cost £4
            """;
        var p = ArticleTextParser.Parse(md, markdown: true);
        Assert.Equal("Rail link opens", p.Title);
        Assert.Equal("Coastal Times", p.Outlet);
        Assert.Equal(new DateTimeOffset(2025, 6, 2, 8, 30, 0, TimeSpan.Zero), p.Published);
        Assert.Contains("The new line links the airport to the city centre.", p.Paragraphs);
        Assert.Contains(p.Paragraphs, x => x.Contains("Trains every 10 minutes"));
        Assert.DoesNotContain(p.Paragraphs, x => x.Contains("**") || x.Contains("](") || x.StartsWith('#'));
    }

    [Fact]
    public void Blank_line_separated_text_joins_wrapped_lines_into_paragraphs()
    {
        var p = ArticleTextParser.Parse("A title\n\nfirst line of a paragraph\ncontinues here.\n\nSecond paragraph.", markdown: false);
        Assert.Equal(["first line of a paragraph continues here.", "Second paragraph."], p.Paragraphs);
    }

    [Fact]
    public void A_date_line_that_is_not_a_date_stays_in_the_body()
    {
        var p = ArticleTextParser.Parse("Snippet title\nDate: Thursday, March 2, 2021. Location: Dallas. The storm knocked out power to thousands of homes.", markdown: false);
        var para = Assert.Single(p.Paragraphs);
        Assert.Contains("storm knocked out power", para);
        Assert.Null(p.Published);
    }

    [Fact]
    public void Known_but_unused_metadata_keys_are_not_body_text()
    {
        var p = ArticleTextParser.Parse("Quiz answers\nsource: Weekly Quiz\ndate: 2024-09-27\nlinked_articles: https://example.test/a https://example.test/b\n\nThe answer was sausages.", markdown: false);
        Assert.Equal(["The answer was sausages."], p.Paragraphs);
        Assert.Equal("Weekly Quiz", p.Outlet);
    }
}
