using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

/// <summary>Markdown articles to plain paragraphs (Markdig underneath), seen through the article parser.</summary>
public sealed class MarkdownTextTests
{
    static IReadOnlyList<string> Body(string markdown) => ArticleTextParser.Parse("Title\n\n" + markdown, markdown: true).Paragraphs;

    [Fact]
    public void Headings_become_plain_paragraphs_of_their_own()
    {
        var p = Body("## Background\nThe talks began in May.\n\nSetext heading\n--------------\n\nMore text.");

        Assert.Equal(["Background", "The talks began in May.", "Setext heading", "More text."], p);
    }

    [Fact]
    public void List_items_become_paragraphs_without_their_markers()
    {
        var p = Body("What changes:\n\n- Trains every *10* minutes\n* Tickets cost £4\n1. Night buses\n2) Bikes allowed\n   continued on a second line");

        Assert.Equal(["What changes:", "Trains every 10 minutes", "Tickets cost £4", "Night buses", "Bikes allowed continued on a second line"], p);
    }

    [Fact]
    public void Links_and_images_keep_their_text_and_lose_their_targets()
    {
        var p = Body("Read [the report](https://example.com/r \"PDF\") and [the annex][a]. ![A flooded street](img.jpg) <https://example.org>\n\n[a]: https://example.com/annex");

        Assert.Equal(["Read the report and the annex. A flooded street https://example.org"], p);
    }

    [Fact]
    public void Emphasis_and_inline_code_are_reduced_to_their_text()
    {
        var p = Body("A **bold**, __strong__, *italic*, _slanted_ and `coded` claim; 3 * 4 = 12 and snake_case_name stay.");

        Assert.Equal(["A bold, strong, italic, slanted and coded claim; 3 * 4 = 12 and snake_case_name stay."], p);
    }

    [Fact]
    public void Code_blocks_keep_their_lines_without_fences()
    {
        var p = Body("Before.\n\n```json\n{\"rate\": 4.5}\n```\n\nAfter.");

        Assert.Equal(["Before.", "{\"rate\": 4.5}", "After."], p);
    }

    [Fact]
    public void Table_rows_become_paragraphs_of_their_cells()
    {
        var p = Body("| Country | Rate |\n|---------|-----:|\n| France  | 3.1% |\n| **Spain** | 2.8% |\n\nSource: statistics office.");

        Assert.Equal(["Country, Rate", "France, 3.1%", "Spain, 2.8%", "Source: statistics office."], p);
    }

    [Fact]
    public void Quotes_rules_and_html_reduce_to_their_text()
    {
        var p = Body("> \"We will not negotiate,\" she said.\n\n---\n\n<!-- editor's note -->\n<p>Filed at <b>noon</b>.</p>\n\nAT&amp;T declined to comment.");

        Assert.Equal(["\"We will not negotiate,\" she said.", "Filed at noon.", "AT&T declined to comment."], p);
    }

    [Fact]
    public void Text_without_blank_lines_stays_one_paragraph_per_line()
    {
        Assert.Equal(["First *line*.", "Second line."], ArticleTextParser.Parse("Title\nFirst *line*.\nSecond line.", markdown: false).Paragraphs);
        Assert.Equal(["First line.", "Second line."], Body("First *line*.\nSecond line."));
    }
}
