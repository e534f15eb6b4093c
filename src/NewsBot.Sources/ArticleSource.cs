using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using NewsBot.Sources.Html;
using NewsBot.Sources.Text;

namespace NewsBot.Sources;

/// <summary>
/// Reads what the operator gives: a file (.txt, .md/.markdown, .html/.htm), a folder of such files
/// (recursively, in ordinal path order, hidden files and folders skipped), a web page URL or an
/// RSS/Atom feed URL. Never throws for bad input: every problem becomes a <see cref="FailedItem"/>
/// whose message names the path or URL, what is wrong and, where it helps, how to fix it.
/// </summary>
public sealed class ArticleSource : IArticleSource
{
    /// <summary>
    /// File names (without extension, case-insensitive) that are documentation rather than articles;
    /// they are skipped when reading a folder (a file named explicitly is still read).
    /// </summary>
    public static IReadOnlySet<string> NonArticleFileNames { get; } =
        new HashSet<string>(["README", "SOURCE", "LICENSE", "LICENCE", "CHANGELOG", "CONTRIBUTING", "NOTICE"], StringComparer.OrdinalIgnoreCase);

    readonly WebReader _web;
    readonly IOptions<IngestionOptions> _options;
    readonly IOptions<FileSourceOptions> _fileOptions;
    readonly ILogger<ArticleSource> _logger;

    internal ArticleSource(WebReader web, IOptions<IngestionOptions> options, IOptions<FileSourceOptions> fileOptions, ILogger<ArticleSource> logger)
    {
        _web = web;
        _options = options;
        _fileOptions = fileOptions;
        _logger = logger;
    }

    IngestionOptions Options => _options.Value;

    /// <summary>Reads an operator's input (trusted: URLs may point at private addresses).</summary>
    public IAsyncEnumerable<SourceItem> ReadAsync(string input, CancellationToken ct = default) => ReadAsync(input, trusted: true, ct);

    /// <summary>
    /// Reads <paramref name="input"/>. Untrusted input (a URL sent through a chat) must be an http(s) URL,
    /// and its downloads pass the SSRF guard; local paths are refused for it.
    /// </summary>
    public async IAsyncEnumerable<SourceItem> ReadAsync(string input, bool trusted, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var trimmed = (input ?? "").Trim();
        if (trimmed.Length == 0)
        {
            yield return new FailedItem(input ?? "", "empty input: give a file, a folder, or an http(s) URL of a page or feed");
            yield break;
        }

        if (UrlCanonicalizer.IsHttpUrl(trimmed, out var url))
        {
            await foreach (var item in ReadUrlAsync(trimmed, url, trusted, ct).ConfigureAwait(false))
                yield return item;
            yield break;
        }

        if (!trusted)
        {
            yield return new FailedItem(trimmed, $"refused: {trimmed} is not an http(s) URL (chats may send web page or feed URLs only)");
            yield break;
        }

        string? path = ToLocalPath(trimmed, out var pathError);
        if (path is null)
        {
            yield return new FailedItem(trimmed, pathError!);
            yield break;
        }

        if (Directory.Exists(path))
        {
            await foreach (var item in ReadFolderAsync(path, ct).ConfigureAwait(false))
                yield return item;
        }
        else if (File.Exists(path))
        {
            yield return await ReadFileAsync(path, explicitFile: true, ct).ConfigureAwait(false);
        }
        else
        {
            yield return new FailedItem(trimmed, $"no such file or folder: {path}");
        }
    }

    static string? ToLocalPath(string input, out string? error)
    {
        error = null;
        if (Uri.TryCreate(input, UriKind.Absolute, out var uri) && !Path.IsPathRooted(input))
        {
            if (uri.IsFile) return uri.LocalPath;
            error = $"unsupported URL scheme '{uri.Scheme}' in {input}: give an http(s) URL, a file or a folder";
            return null;
        }
        try
        {
            if (input == "~" || input.StartsWith("~/", StringComparison.Ordinal))
                input = Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), input[1..]);
            return Path.GetFullPath(input);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"invalid path {input}: {ex.Message}";
            return null;
        }
    }

    async IAsyncEnumerable<SourceItem> ReadUrlAsync(string input, Uri url, bool trusted, [EnumeratorCancellation] CancellationToken ct)
    {
        var content = await _web.FetchAsync(url, trusted, null, ct).ConfigureAwait(false);
        switch (content.Kind)
        {
            case WebContentKind.Feed:
                _logger.LogInformation("{Url} is a feed with {Count} items", url, content.Feed!.Entries.Count);
                await foreach (var item in _web.FeedItemsAsync(input, content.Url, content.Feed, trusted, skip: null, ct).ConfigureAwait(false))
                    yield return item;
                if (content.Feed.Entries.Count + content.Feed.Errors.Count == 0)
                    yield return new FailedItem(input, "the feed has no items");
                break;
            case WebContentKind.Page or WebContentKind.PlainText:
                yield return WebReader.SafePageItem(input, content, _logger);
                break;
            default:
                yield return new FailedItem(input, content.Error ?? $"{url}: nothing to read");
                break;
        }
    }

    async IAsyncEnumerable<SourceItem> ReadFolderAsync(string folder, [EnumeratorCancellation] CancellationToken ct)
    {
        List<string> files;
        string? error = null;
        try
        {
            files = EnumerateArticleFiles(folder, Options.FileExtensions);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            files = [];
            error = $"could not list folder {folder}: {ex.Message}";
        }
        if (error is not null)
        {
            yield return new FailedItem(folder, error);
            yield break;
        }
        if (files.Count == 0)
        {
            yield return new FailedItem(folder, $"no article files in folder {folder} (looked for {string.Join(", ", Options.FileExtensions)}; setting Ingestion:FileExtensions)");
            yield break;
        }
        _logger.LogInformation("Reading {Count} files from {Folder}", files.Count, folder);
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            yield return await ReadFileAsync(file, explicitFile: false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The article files under <paramref name="folder"/>: recursively, extensions from
    /// <paramref name="extensions"/>, hidden files and folders (names starting with '.') and
    /// <see cref="NonArticleFileNames"/> left out, sorted ordinally by full path (a deterministic order,
    /// so that an interrupted run resumes in the same order).
    /// </summary>
    public static List<string> EnumerateArticleFiles(string folder, IEnumerable<string> extensions)
    {
        var wanted = new HashSet<string>(extensions.Select(e => e.StartsWith('.') ? e : "." + e), StringComparer.OrdinalIgnoreCase);
        var root = Path.GetFullPath(folder);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.System, ReturnSpecialDirectories = false };
        return Directory.EnumerateFiles(root, "*", options)
            .Where(f => wanted.Contains(Path.GetExtension(f)))
            .Where(f => !NonArticleFileNames.Contains(Path.GetFileNameWithoutExtension(f)))
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The canonical form of a document's own <c>url:</c> line when it is an http(s) URL: a saved copy of a web article
    /// is that article (its link in citations, its identity for updates and duplicates), like an HTML file's
    /// <c>&lt;link rel="canonical"&gt;</c>. Null for anything else (a relative or non-web link).
    /// </summary>
    internal static string? CanonicalOrNull(string? url) =>
        url is not null && UrlCanonicalizer.IsHttpUrl(url, out var uri) ? UrlCanonicalizer.Canonicalize(uri) : null;

    /// <summary>The source key of a file whose link is <paramref name="link"/>: the link itself, or the file under <see cref="FileIdentity.File"/>.</summary>
    string KeyOf(string link, string fileUri) => _fileOptions.Value.Identity == FileIdentity.File ? fileUri : link;

    async Task<SourceItem> ReadFileAsync(string path, bool explicitFile, CancellationToken ct)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (explicitFile && !Options.FileExtensions.Any(e => string.Equals(e.StartsWith('.') ? e : "." + e, extension, StringComparison.OrdinalIgnoreCase)))
        {
            var shown = extension.Length == 0 ? "a file without extension" : $"'{extension}' files";
            return new FailedItem(path, $"unsupported file type: {path} ({shown} are not read); supported: {string.Join(", ", Options.FileExtensions)} (setting Ingestion:FileExtensions)");
        }
        try
        {
            var info = new FileInfo(path);
            long max = Options.MaxDocumentBytes;
            if (info.Length > max)
                return new FailedItem(path, $"{path} is {info.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes, over the {max.ToString("N0", CultureInfo.InvariantCulture)}-byte limit (setting Ingestion:MaxDocumentBytes)");
            if (info.Length == 0)
                return new FailedItem(path, $"{path} is empty");

            var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
            if (ContentDecoder.DescribeBinary(bytes) is { } binary)
                return new FailedItem(path, $"{path}: binary file, not text ({binary})");

            bool html = extension is ".html" or ".htm" or ".xhtml";
            var decoded = ContentDecoder.Decode(bytes, sniffMarkup: html);
            if (decoded.Uncertain)
                return new FailedItem(path, $"{path}: not read, {decoded.Reason} (save it as UTF-8)");
            var text = decoded.Text;
            if (string.IsNullOrWhiteSpace(text.Replace("\uFEFF", "", StringComparison.Ordinal)))
                return new FailedItem(path, $"{path} is empty (only whitespace)");

            var fileUri = new Uri(path).AbsoluteUri;
            ExtractedArticle article;
            if (html)
            {
                var page = HtmlArticleExtractor.Extract(text, null);
                var link = page.CanonicalUrl ?? fileUri; // already canonical (http(s) only)
                article = new ExtractedArticle(KeyOf(link, fileUri), link, page.Title, page.Author, page.Outlet, page.Published, page.Paragraphs, SourceKind.File);
            }
            else
            {
                var parsed = ArticleTextParser.Parse(text, markdown: extension is ".md" or ".markdown");
                var link = CanonicalOrNull(parsed.Url) ?? fileUri;
                article = new ExtractedArticle(KeyOf(link, fileUri), link, parsed.Title, parsed.Author, parsed.Outlet, parsed.Published, parsed.Paragraphs, SourceKind.File);
            }
            if (article.Paragraphs.Count == 0)
                return new FailedItem(path, $"no article text found in {path} (a title line alone is not an article)");
            return new ExtractedItem(path, article);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Html.HtmlTooDeepException)
        {
            return new FailedItem(path, $"could not read {path}: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The contract: bad input never throws. A parser failing on a strange document is bad input.
            _logger.LogWarning(ex, "Unexpected error reading {Path}", path);
            return new FailedItem(path, $"could not read {path}: unexpected {ex.GetType().Name}: {ex.Message}");
        }
    }
}
