using NewsBot.Core.Answering;
using NewsBot.Telegram.Formatting;
using Telegram.Bot.Extensions;
using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>The HTML formatter and splitter on their own (no network).</summary>
public sealed class TelegramFormattingTests
{
    [Fact]
    public void Splitting_prefers_paragraphs_then_lines_and_never_cuts_an_entity()
    {
        var paragraph = string.Join(' ', Enumerable.Repeat("a&amp;b", 40)); // 319 chars
        var html = string.Join("\n\n", Enumerable.Repeat(paragraph, 6));
        var parts = HtmlSplitter.Split(html, 1000);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 1000));
        Assert.All(parts, p => Assert.Equal(0, (p.Length + 2) % 321)); // whole paragraphs: 319 chars each, joined by blank lines
        Assert.All(parts, TelegramHtmlChecker.AssertValid);
        Assert.Equal(HtmlText.ToPlain(html).Replace("\n", ""), string.Concat(parts.Select(p => HtmlText.ToPlain(p).Replace("\n", ""))));

        var oneLongLine = string.Join(' ', Enumerable.Repeat("x&lt;y", 500));
        var pieces = HtmlSplitter.Split(oneLongLine, 100);
        Assert.All(pieces, p => Assert.InRange(p.Length, 1, 100));
        Assert.All(pieces, TelegramHtmlChecker.AssertValid);
        Assert.All(pieces, p => Assert.DoesNotContain(" ", p.Trim().Split(' ').Where(w => w != "x&lt;y")));
    }

    [Fact]
    public void A_cut_inside_a_tag_closes_it_and_reopens_it_in_the_next_part()
    {
        var html = "<i>" + string.Join(' ', Enumerable.Repeat("note", 100)) + "</i> after";
        var parts = HtmlSplitter.Split(html, 120);
        Assert.True(parts.Count > 3);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 120));
        Assert.All(parts, TelegramHtmlChecker.AssertValid);
        Assert.All(parts.SkipLast(1), p => Assert.StartsWith("<i>", p));
        Assert.EndsWith("</i> after", parts[^1]);
    }

    [Fact]
    public void Text_without_spaces_is_cut_hard_but_never_inside_an_entity_or_a_surrogate_pair()
    {
        var html = string.Concat(Enumerable.Repeat("&amp;😀x", 300));
        var parts = HtmlSplitter.Split(html, 50);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 50));
        Assert.All(parts, TelegramHtmlChecker.AssertValid);
        Assert.All(parts, p => Assert.False(char.IsLowSurrogate(p[0])));
        Assert.Equal(html, string.Concat(parts));
    }

    [Fact]
    public void Sources_go_in_the_last_part_even_when_they_need_their_own_message()
    {
        var answer = ScriptedAnswerService.CitedAnswer("q", string.Join(' ', Enumerable.Repeat("word", 1000)));
        var parts = AnswerFormatter.Format(answer);
        Assert.True(parts.Count >= 2);
        Assert.StartsWith("Sources:", parts[^1].TrimStart().Split('\n').Last(l => l.StartsWith("Sources:", StringComparison.Ordinal)));
        Assert.All(parts.SkipLast(1), p => Assert.DoesNotContain("Sources:", p));
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 4096));
        Assert.All(parts, TelegramHtmlChecker.AssertValid);
    }

    [Fact]
    public void A_source_line_has_a_link_for_http_urls_only_and_omits_missing_outlet_or_date()
    {
        var c = new Citation { N = 3, Article = new() { Id = "x", Title = "T & <U>", Url = "https://a.example/?q=\"1\"&r=2" }, Snippet = "" };
        Assert.Equal("[3] <a href=\"https://a.example/?q=&quot;1&quot;&amp;r=2\">T &amp; &lt;U&gt;</a>", AnswerFormatter.SourceLine(c));
        Assert.Equal("[3] T &amp; &lt;U&gt; (javascript:alert(1)) — Outlet",
            AnswerFormatter.SourceLine(c with { Article = c.Article with { Url = "javascript:alert(1)", Outlet = "Outlet" } }));
        Assert.Equal("[3] T &amp; &lt;U&gt; — 1 Feb 2024",
            AnswerFormatter.SourceLine(c with { Article = c.Article with { Url = "", Published = new DateTimeOffset(2024, 2, 1, 23, 0, 0, TimeSpan.Zero) } }));
    }
}
