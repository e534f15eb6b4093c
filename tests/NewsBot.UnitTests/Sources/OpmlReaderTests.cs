using NewsBot.Sources;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>OPML subscription lists: nested outlines, titles, duplicates, and files that are not OPML.</summary>
public sealed class OpmlReaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("newsbot-opml-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Reads_feeds_from_nested_outlines_with_title_or_text_and_lists_each_url_once()
    {
        var path = Write("subs.opml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <opml version="2.0">
              <head><title>My feeds</title></head>
              <body>
                <outline text="World">
                  <outline type="rss" text="World text" title="World News" xmlUrl="https://world.example/rss" htmlUrl="https://world.example/"/>
                  <outline text="Deeper">
                    <outline type="rss" text="Science Daily" xmlurl="https://science.example/atom.xml"/>
                  </outline>
                </outline>
                <outline type="rss" xmlUrl="https://local.example/feed"/>
                <outline type="rss" text="Duplicate" xmlUrl="https://world.example/rss"/>
                <outline text="A folder without feeds"/>
              </body>
            </opml>
            """);

        var feeds = new OpmlReader().Read(path);

        Assert.Equal(
        [
            new("https://world.example/rss", "World News"),     // title wins over text
            new("https://science.example/atom.xml", "Science Daily"), // nested two levels; attribute name case-insensitive
            new("https://local.example/feed", null),
        ], feeds);
    }

    [Fact]
    public void Xml_that_is_not_opml_throws_FormatException_naming_the_root()
    {
        var path = Write("feed.xml", "<rss version=\"2.0\"><channel/></rss>");

        var ex = Assert.Throws<FormatException>(() => new OpmlReader().Read(path));
        Assert.Contains("not an OPML file", ex.Message);
        Assert.Contains("<rss>", ex.Message);
    }

    [Fact]
    public void Text_that_is_not_xml_throws_FormatException()
    {
        var path = Write("notes.opml", "https://a.example/feed\nhttps://b.example/feed\n");

        var ex = Assert.Throws<FormatException>(() => new OpmlReader().Read(path));
        Assert.Contains("not well-formed XML", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Opml_without_body_throws_FormatException()
    {
        var path = Write("empty.opml", "<opml version=\"1.0\"><head/></opml>");

        Assert.Contains("no <body>", Assert.Throws<FormatException>(() => new OpmlReader().Read(path)).Message);
    }

    [Fact]
    public void Missing_file_throws_FileNotFoundException_with_the_path()
    {
        var path = Path.Combine(_dir, "nope.opml");

        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => new OpmlReader().Read(path)).Message);
    }
}
