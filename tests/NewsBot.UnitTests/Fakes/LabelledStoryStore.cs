using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Stories;

namespace NewsBot.UnitTests.Fakes;

/// <summary>
/// TEST DOUBLE for the story store: groups the articles of a real article store into stories by a label the test
/// gives them (by default the first word of the file or page name: "tarnow-ledger.txt" and "https://x.test/tarnow-fire"
/// are story "tarnow"), instead of clustering. Stands in for the real SQLite story store in coverage tests.
/// </summary>
public sealed class LabelledStoryStore(IArticleStore articles, Func<ArticleRecord, string?>? label = null) : IStoryStore
{
    readonly Func<ArticleRecord, string?> _label = label ?? ByNamePrefix;

    /// <summary>The last path segment's text before its first '-' or '.'.</summary>
    public static string? ByNamePrefix(ArticleRecord a)
    {
        var last = a.SourceKey.TrimEnd('/').Split('/')[^1];
        var cut = last.IndexOfAny(['-', '.']);
        return cut > 0 ? last[..cut] : last;
    }

    async Task<List<Story>> StoriesAsync(CancellationToken ct)
    {
        var all = new List<ArticleRecord>();
        long after = 0;
        while (true)
        {
            var page = await articles.ListArticlesAsync(after, 500, ct);
            if (page.Count == 0) break;
            all.AddRange(page);
            after = page[^1].Sequence;
        }
        return all.Where(a => _label(a) is not null).GroupBy(a => _label(a)!).Select(g =>
        {
            var ordered = g.OrderBy(a => a.Article.Published ?? a.IngestedAt).ToList();
            var refs = ordered.Select(a => a.Article).ToList();
            return new Story
            {
                Id = "story-" + g.Key,
                Title = ordered[0].Article.Title,
                FirstSeen = ordered[0].Article.Published ?? ordered[0].IngestedAt,
                LastSeen = ordered[^1].Article.Published ?? ordered[^1].IngestedAt,
                Articles = refs,
                Outlets = refs.Where(r => r.Outlet is not null).Select(r => r.Outlet!).Distinct().ToList(),
            };
        }).ToList();
    }

    public async Task<Story?> GetStoryAsync(string storyId, CancellationToken ct = default)
        => (await StoriesAsync(ct)).FirstOrDefault(s => s.Id == storyId);

    public async Task<Story?> GetStoryOfArticleAsync(string articleId, CancellationToken ct = default)
        => (await StoriesAsync(ct)).FirstOrDefault(s => s.Articles.Any(a => a.Id == articleId));

    public async Task<IReadOnlyList<Story>> ListStoriesAsync(DateTimeOffset? since, int? top, CancellationToken ct = default)
    {
        var list = (await StoriesAsync(ct)).Where(s => since is null || s.LastSeen >= since)
            .OrderByDescending(s => s.Outlets.Count).ThenByDescending(s => s.Articles.Count).ThenByDescending(s => s.LastSeen);
        return top is { } n ? list.Take(n).ToList() : list.ToList();
    }
}
