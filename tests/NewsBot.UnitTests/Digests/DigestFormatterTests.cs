using NewsBot.Core.Digests;
using NewsBot.Core.Follows;
using NewsBot.Core.Model;
using NewsBot.Telegram.Formatting;

namespace NewsBot.UnitTests.Digests;

public class DigestFormatterTests
{
    static readonly DateTimeOffset At = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    static ArticleRef Article(string id, string title, string outlet) => new() { Id = id, Title = title, Outlet = outlet, Published = At, Url = $"https://{outlet.ToLowerInvariant()}.test/{id}?a=1&b=2" };

    [Fact]
    public void A_digest_escapes_article_text_and_links_each_article_under_its_story()
    {
        var digest = new Digest
        {
            Since = At.AddDays(-1), Until = At,
            Stories = [new DigestItem
            {
                StoryId = "s1", Title = "Rates <up> & away", Summary = "Rates rose to 5% <b>today</b> [1][2].",
                Outlets = ["Wire", "Herald"], Articles = [Article("a", "Rates <up>", "Wire"), Article("b", "Rates rise", "Herald")],
            }],
        };
        var text = Assert.Single(DigestFormatter.Digest(digest, scheduled: true));
        Assert.Contains("<b>Your daily digest</b>", text);
        Assert.Contains("1. <b>Rates &lt;up&gt; &amp; away</b> (Wire, Herald)", text);
        Assert.Contains("Rates rose to 5% &lt;b&gt;today&lt;/b&gt; [1][2].", text);
        Assert.Contains("[1] <a href=\"https://wire.test/a?a=1&amp;b=2\">Rates &lt;up&gt;</a> — Wire, 6 Dec 2026", text);
        Assert.Contains("[2] <a href=\"https://herald.test/b?a=1&amp;b=2\">Rates rise</a> — Herald", text);
    }

    [Fact]
    public void An_empty_digest_is_a_quiet_day_message()
    {
        var text = Assert.Single(DigestFormatter.Digest(new Digest { Since = At.AddDays(-1), Until = At, Stories = [] }, scheduled: true));
        Assert.StartsWith("Quiet day", text);
    }

    [Fact]
    public void A_follow_update_is_always_one_message_even_with_huge_sentences()
    {
        var follow = new Follow { Id = "f", ChatId = 1, Topic = "bridge", CreatedAt = At, LastActivityAt = At };
        var update = new FollowUpdate
        {
            Follow = follow, StoryId = "s", Headline = "Bridge <closed>",
            NewSentences = [new string('x', 3000) + " [1]", new string('y', 3000) + " [1]"],
            Articles = [Article("a", "Bridge", "Wire")], Outlets = ["Wire"],
        };
        var text = DigestFormatter.FollowUpdate(update);
        Assert.True(text.Length <= 4096);
        Assert.Contains("<b>Update: Bridge &lt;closed&gt;</b>", text);
        Assert.Contains("New from Wire:", text);
        Assert.Contains("xxxx", text);
        Assert.DoesNotContain("yyyy", text);
        Assert.Contains("[1] <a href=", text);
    }
}
