using System.Text;
using NewsBot.Core.Stories;

namespace NewsBot.Telegram.Formatting;

/// <summary>
/// The <c>/stories</c> reply: the most covered stories of the last 24 hours, each with its outlets and one link per
/// article, as Telegram HTML split into messages. Pure: the command handler fetches
/// <c>IStoryStore.ListStoriesAsync(now - 24h, top)</c> and sends what this returns.
/// </summary>
public static class StoriesFormatter
{
    /// <summary>The window the command covers.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    /// <summary>Stories shown (most covered first, as the store lists them).</summary>
    public const int DefaultTop = 10;

    /// <summary>Articles linked per story; the rest are counted.</summary>
    public const int MaxArticlesPerStory = 5;

    const int MaxTitleLength = 160;

    public static IReadOnlyList<string> Format(IReadOnlyList<Story> stories, int maxLength = TelegramHtml.MaxMessageLength)
    {
        if (stories.Count == 0)
            return ["No stories in the last 24 hours yet. Stories appear as feeds are polled and articles ingested."];
        var sb = new StringBuilder();
        sb.Append(TelegramHtml.Bold($"Top stories of the last 24 hours ({stories.Count})"));
        int n = 0;
        foreach (var s in stories)
        {
            sb.Append("\n\n").Append(++n).Append(". ").Append(TelegramHtml.Bold(TelegramHtml.Truncate(s.Title, MaxTitleLength)));
            var outlets = s.Outlets.Count == 0 ? "no named outlet" : string.Join(", ", s.Outlets);
            sb.Append('\n').Append(TelegramHtml.Italic($"{s.Articles.Count} article{(s.Articles.Count == 1 ? "" : "s")} · {outlets}"));
            foreach (var a in s.Articles.Take(MaxArticlesPerStory))
            {
                sb.Append("\n• ").Append(TelegramHtml.Link(a.Url, TelegramHtml.Truncate(a.Title, MaxTitleLength)));
                var meta = string.Join(", ", new[] { a.Outlet, TelegramHtml.Date(a.Published) }.Where(x => !string.IsNullOrWhiteSpace(x)));
                if (meta.Length > 0) sb.Append(" — ").Append(TelegramHtml.Escape(meta));
            }
            if (s.Articles.Count > MaxArticlesPerStory)
                sb.Append("\n• ").Append(TelegramHtml.Escape($"and {s.Articles.Count - MaxArticlesPerStory} more"));
        }
        return HtmlSplitter.Split(sb.ToString(), maxLength);
    }
}
