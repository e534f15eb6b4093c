using System.Globalization;
using System.Text;
using NewsBot.Core.Text;
using NewsBot.Sources.Feeds;
using NewsBot.Sources.Html;
using NewsBot.Sources.Text;

namespace NewsBot.UnitTests.Sources;

/// <summary>
/// The feed corpus (Sources/FeedCorpus): small feeds written from the RSS 0.91/1.0/2.0 and Atom specifications and
/// the extensions real feeds use, each read as the bot reads a download (bytes decoded, then parsed), summarised and
/// compared with its .expected.txt. A parser change that reads any of them differently fails here; when the change
/// is intended, run with NEWSBOT_UPDATE_FEED_CORPUS=1 to rewrite the summaries, and review the diff. The feeds in
/// legacy encodings (KOI8-R, Windows-1255, Shift_JIS, EUC-JP, EUC-KR, TIS-620, UTF-16/32 without a BOM…) are bytes,
/// written by make-encoded.py in the folder from the texts in it; the others are plain text files.
/// </summary>
public sealed class FeedCorpusTests
{
    static readonly string Folder = FindFolder();

    public static TheoryData<string> Feeds()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Folder, "*.xml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Feeds))]
    public void Each_feed_of_the_corpus_reads_as_its_expected_summary(string name)
    {
        var summary = Summarise(File.ReadAllBytes(Path.Combine(Folder, name)), new Uri($"https://corpus.example/feeds/{name}"));
        var expectedPath = Path.Combine(Folder, Path.ChangeExtension(name, ".expected.txt"));
        if (Environment.GetEnvironmentVariable("NEWSBOT_UPDATE_FEED_CORPUS") == "1")
            File.WriteAllText(expectedPath, summary, new UTF8Encoding(false));
        Assert.True(File.Exists(expectedPath), $"{name} has no expected summary; write it with NEWSBOT_UPDATE_FEED_CORPUS=1 and review it");
        Assert.Equal(File.ReadAllText(expectedPath).ReplaceLineEndings("\n"), summary);
    }

    [Fact]
    public void Every_expected_summary_belongs_to_a_feed_of_the_corpus()
    {
        var feeds = Directory.GetFiles(Folder, "*.xml").Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var orphans = Directory.GetFiles(Folder, "*.expected.txt").Select(f => Path.GetFileName(f)[..^".expected.txt".Length]).Where(n => !feeds.Contains(n)).ToList();
        Assert.Empty(orphans);
        Assert.True(feeds.Count >= 20, $"the corpus has {feeds.Count} feeds");
    }

    /// <summary>What the bot makes of the bytes: the encoding, then the feed and each item as the parser gives it.</summary>
    internal static string Summarise(byte[] bytes, Uri url)
    {
        var sb = new StringBuilder();
        if (ContentDecoder.DescribeBinary(bytes) is { } binary) return $"refused as binary: {binary}\n";
        var decoded = ContentDecoder.Decode(bytes, declaredCharset: null, sniffMarkup: true);
        if (decoded.Uncertain) return $"not decoded: {decoded.Reason}\n";
        sb.Append("encoding: ").Append(decoded.Encoding.WebName).Append('\n');
        var result = FeedParser.Parse(decoded.Text, url);
        if (result.Feed is not { } feed) return sb.Append("error: ").Append(result.Error).Append('\n').ToString();
        sb.Append("format: ").Append(feed.Format).Append('\n');
        Line(sb, "title", feed.Title);
        Line(sb, "link", feed.Link?.ToString());
        sb.Append("items: ").Append(feed.Entries.Count).Append(", errors: ").Append(feed.Errors.Count).Append('\n');
        foreach (var e in feed.Entries)
        {
            sb.Append("item ").Append(e.Index).Append('\n');
            Line(sb, "  title", e.Title);
            Line(sb, "  link", e.Link?.ToString());
            Line(sb, "  key", e.LinkKey is null ? null : e.LinkKey + (e.SharesLink ? " (shares its link)" : ""));
            Line(sb, "  id", e.Id);
            Line(sb, "  published", e.Published?.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
            Line(sb, "  author", e.Author);
            Line(sb, "  content", Text(e.Content));
            Line(sb, "  summary", Text(e.Summary));
        }
        foreach (var error in feed.Errors) sb.Append("error ").Append(error.Index).Append(": ").Append(error.Error).Append('\n');
        return sb.ToString();
    }

    static string? Text(FeedText? t) => t is null ? null
        : (t.IsHtml ? "html: " + HtmlArticleExtractor.ToPlainText(t.Value) : "text: " + TextNormalizer.CleanInline(t.Value));

    static void Line(StringBuilder sb, string label, string? value)
    {
        if (value is not null) sb.Append(label).Append(": ").Append(value.ReplaceLineEndings(" ")).Append('\n');
    }

    static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "NewsBot.UnitTests", "Sources", "FeedCorpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/NewsBot.UnitTests/Sources/FeedCorpus not found above " + AppContext.BaseDirectory);
    }
}
