using System.Runtime.CompilerServices;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;

namespace NewsBot.UnitTests.Fakes;

/// <summary>An article source serving prepared articles (or failures) by input name.</summary>
public sealed class FakeArticleSource : IArticleSource
{
    public Dictionary<string, List<SourceItem>> Items { get; } = [];

    public void Add(string input, ExtractedArticle article) => Items[input] = [new ExtractedItem(input, article)];

    public async IAsyncEnumerable<SourceItem> ReadAsync(string input, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await Task.Yield();
        if (!Items.TryGetValue(input, out var items))
        {
            yield return new FailedItem(input, "no such file or folder");
            yield break;
        }
        foreach (var i in items) yield return i;
    }

    public static ExtractedArticle Page(string url, string title, params string[] paragraphs)
        => new(url, url, title, "A. Writer", "Test Outlet", new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero), paragraphs, SourceKind.Page);

    public static ExtractedArticle FileArticle(string path, string title, params string[] paragraphs)
        => new("file://" + path, "file://" + path, title, null, null, null, paragraphs, SourceKind.File);
}
