using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

public class UrlAndHashingTests
{
    [Theory]
    [InlineData("https://News.Example.com:443/world/story/?utm_source=x&utm_medium=y&id=7&fbclid=abc#comments", "https://news.example.com/world/story?id=7")]
    [InlineData("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2")]
    [InlineData("https://example.com/", "https://example.com/")]
    [InlineData("https://example.com/path/?gclid=1", "https://example.com/path")]
    public void Canonical_urls_drop_tracking_fragments_default_ports_and_sort_parameters(string input, string expected)
        => Assert.Equal(expected, UrlCanonicalizer.Canonicalize(input));

    [Theory]
    [InlineData("https://www.news.example/story", "https://news.example/story")]
    [InlineData("https://news.example/www.story", "https://news.example/www.story")]
    [InlineData("http://www2.news.example/a", "http://www2.news.example/a")]
    [InlineData("file:///home/www.txt", "file:///home/www.txt")]
    public void The_identity_of_a_url_drops_a_leading_www_of_the_host_only(string url, string expected)
        => Assert.Equal(expected, UrlCanonicalizer.IdentityKey(url));

    [Fact]
    public void Content_hash_ignores_whitespace_case_and_punctuation_but_not_words()
    {
        Assert.Equal(Hashing.ContentHash("Hello,  World!\n\nAgain."), Hashing.ContentHash("hello world again"));
        Assert.NotEqual(Hashing.ContentHash("hello world again"), Hashing.ContentHash("hello world once"));
    }

    [Fact]
    public void Chunk_point_ids_are_stable_uuids_that_differ_by_position_and_article()
    {
        var a0 = Identity.ChunkPointId("u123", 0);
        Assert.Equal(a0, Identity.ChunkPointId("u123", 0));
        Assert.NotEqual(a0, Identity.ChunkPointId("u123", 1));
        Assert.NotEqual(a0, Identity.ChunkPointId("u124", 0));
        var s = a0.ToString();
        Assert.Equal('8', s[14]); // version nibble
        Assert.Contains(s[19], "89ab");
    }

    [Fact]
    public void Article_ids_come_from_the_canonical_url_or_the_content_hash()
    {
        Assert.Equal(Identity.ForUrl("https://a.example/x"), Identity.ForUrl("https://a.example/x"));
        Assert.StartsWith("u", Identity.ForUrl("https://a.example/x"));
        Assert.StartsWith("f", Identity.ForContent(Hashing.ContentHash("body")));
    }
}
