using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>The project's real seed article (shared/, outside the repo) read through ArticleSource; skipped where it is absent.</summary>
public sealed class SeedArticleTests
{
    static string? SeedPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NewsBot.sln")))
            {
                var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "seeds", "kyiv-strikes-peace-talks.txt"));
                return File.Exists(path) ? path : null;
            }
        }
        return null;
    }

    [SkippableFact]
    public async Task Seed_article_has_title_byline_body_and_no_newsletter_footer()
    {
        var path = SeedPath();
        Skip.If(path is null, "shared/seeds/kyiv-strikes-peace-talks.txt is not next to the repository");
        using var services = SourcesTestServices.Build();

        var items = await services.GetRequiredService<IArticleSource>().ReadAllAsync(path!);

        var article = Assert.IsType<ExtractedItem>(Assert.Single(items)).Article;
        Assert.Equal("Ukraine, Russia talks uncertain amid deadly strikes on Kyiv", article.Title);
        Assert.Equal("Stefan J. Bos", article.Author);
        Assert.Contains(article.Paragraphs, p => p.Contains("28 people were killed"));
        Assert.DoesNotContain(article.Paragraphs, p => p.Contains("Thank you for reading", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(article.Paragraphs, p => p.Contains("newsletter", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(article.Paragraphs, p => p.Contains("click here", StringComparison.OrdinalIgnoreCase));
    }
}
