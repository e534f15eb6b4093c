using NewsBot.Sources.Html;

namespace NewsBot.UnitTests.Sources;

/// <summary>The nesting guard in front of the HTML parser: counts what nests, refuses only absurd depths.</summary>
public sealed class HtmlNestingTests
{
    [Theory]
    [InlineData("<html><body><div><p>Text<br>more<img src=x></p></div></body></html>", 4)]
    [InlineData("<div><script>var s = '<div><div><div>';</script><p>x</p></div>", 2)]
    [InlineData("<div><!-- <div><div> --><span/><p>x</p></div>", 2)]
    [InlineData("<ul><li>a</li><li>b</li><li>c</li></ul>", 2)]
    [InlineData("no tags < at all > here", 0)]
    public void Depth_counts_open_elements_only(string html, int expected)
    {
        Assert.Equal(expected, HtmlNesting.Depth(html, 100));
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
