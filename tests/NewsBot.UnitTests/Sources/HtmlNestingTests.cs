using NewsBot.Sources.Html;

namespace NewsBot.UnitTests.Sources;

/// <summary>The nesting guard in front of the HTML parser: counts what nests, refuses only absurd depths.</summary>
public sealed class HtmlNestingTests
{
    [Theory]
    [InlineData("<html><body><div><section>Text<br>more<img src=x></section></div></body></html>", 2)]
    [InlineData("<div><script>var s = '<div><div><div>';</script><span>x</span></div>", 2)]
    [InlineData("<div><!-- <div><div> --><span/><em>x</em></div>", 2)]
    [InlineData("<ul><li>a</li><li>b</li><li>c</li></ul>", 1)]
    [InlineData("no tags < at all > here", 0)]
    public void Depth_counts_open_elements_only(string html, int expected)
    {
        Assert.Equal(expected, HtmlNesting.Depth(html, 100));
    }

    [Fact]
    public void Unclosed_paragraphs_list_items_and_table_cells_do_not_count_as_nesting()
    {
        // ordinary old HTML: thousands of <p>, <li> and <td> whose end tags are left out
        var html = "<div><ul>" + string.Concat(Enumerable.Repeat("<li>item <p>text", 3000)) + "</ul><table>"
                   + string.Concat(Enumerable.Repeat("<tr><td>a<td>b", 3000)) + "</table></div>";

        Assert.Equal(2, HtmlNesting.Depth(html, 2000));
        HtmlNesting.EnsureReadable(html);
    }

    [Fact]
    public void A_page_nested_deeper_than_the_limit_is_refused_and_one_at_the_limit_is_not()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("<div>", depth)) + "x" + string.Concat(Enumerable.Repeat("</div>", depth));

        HtmlNesting.EnsureReadable(Nested(HtmlNesting.MaxDepth));
        var ex = Assert.Throws<HtmlTooDeepException>(() => HtmlNesting.EnsureReadable(Nested(HtmlNesting.MaxDepth + 1)));
        Assert.Contains("more than 1,000 levels deep", ex.Message);
    }
}
