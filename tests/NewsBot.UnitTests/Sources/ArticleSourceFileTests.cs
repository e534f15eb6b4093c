using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Sources;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>ArticleSource on local files and folders: formats, metadata, order, and every kind of bad input.</summary>
public sealed class ArticleSourceFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("newsbot-files-").FullName;
    readonly ServiceProvider _services;
    readonly IArticleSource _source;

    public ArticleSourceFileTests()
    {
        _services = SourcesTestServices.Build(new IngestionOptions { MaxDocumentBytes = 16384 });
        _source = _services.GetRequiredService<IArticleSource>();
    }

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    string Write(string relative, string text) => WriteBytes(relative, Encoding.UTF8.GetBytes(text));

    string WriteBytes(string relative, byte[] bytes)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    async Task<ExtractedArticle> ReadOneArticleAsync(string input)
    {
        var item = Assert.Single(await _source.ReadAllAsync(input));
        return Assert.IsType<ExtractedItem>(item).Article;
    }

    async Task<string> ReadOneErrorAsync(string input)
    {
        var item = Assert.Single(await _source.ReadAllAsync(input));
        return Assert.IsType<FailedItem>(item).Error;
    }

    [Fact]
    public async Task Txt_file_gives_title_byline_outlet_date_paragraphs_and_file_uri_identity()
    {
        var path = Write("story.txt", """
            Ferry strike ends after three days
            By Noor Haddad
            source: Harbour Times
            date: 2024-02-10

            Ferry crews returned to work on Saturday after the union accepted a new pay offer.

            The first boats left the north pier shortly after six.

            Thank you for reading. Sign up for our newsletter.
            """);

        var article = await ReadOneArticleAsync(path);

        Assert.Equal("Ferry strike ends after three days", article.Title);
        Assert.Equal("Noor Haddad", article.Author);
        Assert.Equal("Harbour Times", article.Outlet);
        Assert.Equal(new DateTimeOffset(2024, 2, 10, 0, 0, 0, TimeSpan.Zero), article.Published);
        Assert.Equal(2, article.Paragraphs.Count); // footer removed
        Assert.Equal(SourceKind.File, article.Kind);
        Assert.Equal(new Uri(path).AbsoluteUri, article.SourceKey);
        Assert.Equal(article.SourceKey, article.Url);
        Assert.StartsWith("file:///", article.Url);
    }

    [Fact]
    public async Task Txt_file_without_metadata_has_no_outlet()
    {
        var article = await ReadOneArticleAsync(Write("plain.txt", "Quiet day at the port\n\nNothing happened at the port today, officials said."));

        Assert.Null(article.Outlet);
        Assert.Null(article.Author);
    }

    [Fact]
    public async Task Markdown_file_is_parsed_as_markdown()
    {
        var article = await ReadOneArticleAsync(Write("note.md", """
            ---
            title: Wind farm gets go-ahead
            author: Lars Berg
            outlet: Nordic Wire
            ---

            The **offshore** wind farm was [approved](https://example.org) on Monday.

            - It will power 300,000 homes.
            """));

        Assert.Equal("Wind farm gets go-ahead", article.Title);
        Assert.Equal("Lars Berg", article.Author);
        Assert.Equal("Nordic Wire", article.Outlet);
        Assert.Equal(["The offshore wind farm was approved on Monday.", "It will power 300,000 homes."], article.Paragraphs);
    }

    [Fact]
    public async Task Html_file_is_extracted_like_a_page_and_is_the_web_article_it_names()
    {
        // a saved page is the article at its canonical address (here og:url: the relative <link rel="canonical"> has
        // no page URL to resolve against), for its citations' link and its identity
        var path = Write("saved/page.html", TestPages.NewsPage);

        var article = await ReadOneArticleAsync(path);

        Assert.Equal("Harbour bridge reopens after two-year repair", article.Title);
        Assert.Equal("Marta Quill", article.Author);
        Assert.Equal("The Coastal Ledger", article.Outlet);
        Assert.Equal("https://www.coastal-ledger.example/news/2024/harbour-bridge-reopens", article.SourceKey);
        Assert.Equal(article.SourceKey, article.Url);
        Assert.DoesNotContain(article.Paragraphs, p => p.Contains("cookie", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(SourceKind.File, article.Kind);
    }

    [Fact]
    public async Task Folder_is_read_recursively_in_ordinal_path_order_skipping_hidden_docs_and_other_extensions()
    {
        const string body = "\n\nSome text for the article body that is long enough.";
        Write("b.txt", "B" + body);
        Write("B.md", "Upper B" + body);
        Write("a.TXT", "a upper-case extension" + body);
        Write("sub/z.htm", "<html><head><title>Z</title></head><body><p>Z page paragraph with a few words in it.</p></body></html>");
        Write("sub/deeper/c.markdown", "# C" + body);
        Write(".hidden.txt", "Hidden" + body);
        Write(".git/objects.txt", "In a hidden folder" + body);
        Write("sub/.cache/d.txt", "In a nested hidden folder" + body);
        Write("README.md", "# Readme" + body);
        Write("SOURCE.md", "# Source" + body);
        Write("data.json", "{}");
        Write("photo.jpg", "not really a jpeg");

        var items = await _source.ReadAllAsync(_dir);

        var expected = new[] { "B.md", "a.TXT", "b.txt", "sub/deeper/c.markdown", "sub/z.htm" }
            .Select(p => Path.Combine(_dir, p)).ToList();
        Assert.Equal(expected, items.Select(i => i.Input));
        Assert.All(items, i => Assert.IsType<ExtractedItem>(i));
        // the same folder read twice gives the same order (resumability depends on it)
        Assert.Equal(expected, (await _source.ReadAllAsync(_dir)).Select(i => i.Input));
    }

    [Fact]
    public async Task Folder_without_article_files_is_one_failure_naming_the_extensions()
    {
        Write("only.csv", "a,b");

        var error = await ReadOneErrorAsync(_dir);

        Assert.Contains("no article files", error);
        Assert.Contains(".txt", error);
        Assert.Contains("Ingestion:FileExtensions", error);
    }

    [Fact]
    public async Task Missing_path_fails_with_no_such_file_or_folder()
    {
        var missing = Path.Combine(_dir, "nope", "gone.txt");

        var error = await ReadOneErrorAsync(missing);

        Assert.Equal($"no such file or folder: {missing}", error);
    }

    [Fact]
    public async Task Empty_and_whitespace_only_files_fail()
    {
        Assert.Contains("is empty", await ReadOneErrorAsync(Write("empty.txt", "")));
        Assert.Contains("is empty (only whitespace)", await ReadOneErrorAsync(Write("blank.txt", " \n\t\n ")));
    }

    [Fact]
    public async Task Title_only_file_fails_with_no_article_text()
    {
        Assert.Contains("no article text", await ReadOneErrorAsync(Write("title.txt", "Just a headline\n")));
    }

    [Theory]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x34, 0x0A, 0x25 }, "PDF")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00 }, "PNG")]
    [InlineData(new byte[] { 0x48, 0x69, 0x00, 0x00, 0x01, 0x02 }, "NUL")]
    public async Task Binary_file_with_a_text_extension_fails_as_binary(byte[] bytes, string what)
    {
        var path = WriteBytes("disguised.txt", bytes);

        var error = await ReadOneErrorAsync(path);

        Assert.Contains("binary file, not text", error);
        Assert.Contains(what, error);
        Assert.Contains(path, error);
    }

    [Fact]
    public async Task File_over_MaxDocumentBytes_fails_naming_its_size_and_the_setting()
    {
        var path = Write("big.txt", "Big\n\n" + new string('x', 20000));

        var error = await ReadOneErrorAsync(path);

        Assert.Contains("20,005 bytes", error);
        Assert.Contains("16,384-byte limit", error);
        Assert.Contains("Ingestion:MaxDocumentBytes", error);
    }

    [Fact]
    public async Task Explicit_file_with_unsupported_extension_fails_naming_the_supported_ones()
    {
        var path = Write("report.docx", "whatever");

        var error = await ReadOneErrorAsync(path);

        Assert.Contains("unsupported file type", error);
        Assert.Contains("'.docx'", error);
        Assert.Contains(".txt, .md, .markdown, .html, .htm", error);
    }

    [Fact]
    public async Task Windows_1252_file_is_decoded_with_accents_and_curly_quotes()
    {
        byte[] text = [.. "Caf"u8, 0xE9, .. " owner wins award\n\nThe owner said: "u8, 0x93, .. "We are thrilled."u8, 0x94];

        var article = await ReadOneArticleAsync(WriteBytes("cp1252.txt", text));

        Assert.Equal("Café owner wins award", article.Title);
        Assert.Equal("The owner said: “We are thrilled.”", article.Paragraphs[0]);
    }

    [Fact]
    public async Task Utf16_file_with_bom_is_read()
    {
        var encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        byte[] bytes = [.. encoding.GetPreamble(), .. encoding.GetBytes("Überraschung im Stadtrat\n\nDer Stadtrat hat überraschend zugestimmt.")];

        var article = await ReadOneArticleAsync(WriteBytes("utf16.txt", bytes));

        Assert.Equal("Überraschung im Stadtrat", article.Title);
        Assert.Equal("Der Stadtrat hat überraschend zugestimmt.", Assert.Single(article.Paragraphs));
    }

    [Fact]
    public async Task File_uri_input_reads_the_file()
    {
        var path = Write("uri.txt", "By URI\n\nRead through a file URI.");

        var article = await ReadOneArticleAsync(new Uri(path).AbsoluteUri);

        Assert.Equal("By URI", article.Title);
    }

    [Theory]
    [InlineData("", "empty input")]
    [InlineData("   ", "empty input")]
    [InlineData("ftp://files.example/news.txt", "unsupported URL scheme 'ftp'")]
    public async Task Unusable_inputs_fail_with_a_reason(string input, string reason)
    {
        Assert.Contains(reason, await ReadOneErrorAsync(input));
    }

    [Fact]
    public async Task Untrusted_input_may_not_read_local_files()
    {
        var path = Write("secret.txt", "Secret\n\nDo not leak.");
        var source = _services.GetRequiredService<ArticleSource>();

        var items = new List<SourceItem>();
        await foreach (var item in source.ReadAsync(path, trusted: false)) items.Add(item);

        Assert.Contains("is not an http(s) URL", Assert.IsType<FailedItem>(Assert.Single(items)).Error);
    }
}
