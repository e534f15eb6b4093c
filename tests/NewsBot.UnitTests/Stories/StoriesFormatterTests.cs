using NewsBot.Core.Model;
using NewsBot.Core.Stories;
using NewsBot.Telegram.Formatting;

namespace NewsBot.UnitTests.Stories;

public class StoriesFormatterTests
{
    static readonly DateTimeOffset At = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);

    static ArticleRef Ref(string id, string title, string outlet, string url) => new() { Id = id, Title = title, Outlet = outlet, Url = url, Published = At };

    static Story Story(string id, string title, params ArticleRef[] articles) => new()
    {
        Id = id, Title = title, FirstSeen = At, LastSeen = At, Articles = articles,
        Outlets = [.. articles.Select(a => a.Outlet!).Distinct()],
    };

    [Fact]
    public void Each_story_shows_its_outlets_and_a_link_per_article_with_text_escaped()
    {
        var html = string.Concat(StoriesFormatter.Format(
        [
            Story("s1", "Ferry & cargo ship <collide>",
                Ref("a", "Ferry hits ship", "Harbor Herald", "https://herald.example/ferry?a=1&b=2"),
                Ref("b", "17 hurt in \"fog\" crash", "Metro Wire", "https://wire.example/ferry")),
            Story("s2", "Kiprop wins marathon", Ref("c", "Kiprop wins", "Coastal Times", "file:///tmp/marathon.txt")),
        ]));
        Assert.StartsWith("<b>Top stories of the last 24 hours (2)</b>\n\n1. <b>", html);
        Assert.Contains("\n\n2. <b>Kiprop wins marathon</b>", html);
        Assert.Contains("<b>Ferry &amp; cargo ship &lt;collide&gt;</b>", html);
        Assert.Contains("<i>2 articles · Harbor Herald, Metro Wire</i>", html);
        Assert.Contains("<a href=\"https://herald.example/ferry?a=1&amp;b=2\">Ferry hits ship</a> — Harbor Herald, 2 Nov 2026", html);
        Assert.Contains("<a href=\"https://wire.example/ferry\">17 hurt in &quot;fog&quot; crash</a>", html);
        // a file is no clickable link: the title with the address as text
        Assert.Contains("Kiprop wins (file:///tmp/marathon.txt)", html);
        Assert.True(html.IndexOf("Ferry &amp;", StringComparison.Ordinal) < html.IndexOf("Kiprop wins marathon", StringComparison.Ordinal));
        Assert.DoesNotContain("<collide>", html);
    }

    [Fact]
    public void Long_lists_are_cut_per_story_and_split_into_messages_under_the_limit()
    {
        var many = Enumerable.Range(0, 8).Select(i => Ref("a" + i, "Report " + i, "Outlet " + i, $"https://o{i}.example/x")).ToArray();
        var stories = Enumerable.Range(0, 30).Select(i => Story("s" + i, $"Story number {i} with a fairly long headline to fill the message", many)).ToList();
        var parts = StoriesFormatter.Format(stories, 1000);
        Assert.True(parts.Count > 1);
        Assert.All(parts, p => Assert.True(p.Length <= 1000));
        var all = string.Concat(parts);
        Assert.Contains("and 3 more", all);
        Assert.DoesNotContain("Report 5", all);
        Assert.Contains("Story number 29", all);
    }

    [Fact]
    public void No_stories_says_so()
        => Assert.Contains("No stories in the last 24 hours", Assert.Single(StoriesFormatter.Format([])));
}
