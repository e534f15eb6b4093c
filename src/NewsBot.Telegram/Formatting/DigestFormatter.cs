using System.Text;
using NewsBot.Core.Digests;
using NewsBot.Core.Follows;
using NewsBot.Core.Model;

namespace NewsBot.Telegram.Formatting;

/// <summary>
/// Telegram HTML for what the worker pushes to chats: digests (one story per block: headline, cited summary,
/// outlets, one link per article), quiet days, follow updates (always one message) and follow endings.
/// Every piece of article text is escaped.
/// </summary>
public static class DigestFormatter
{
    /// <summary>Articles linked under one story of a digest (as many as a model summary may cite); the rest are counted.</summary>
    public const int MaxLinksPerStory = 6;

    public static IReadOnlyList<string> Digest(Digest digest, bool scheduled, int maxLength = TelegramHtml.MaxMessageLength)
    {
        if (digest.Stories.Count == 0) return [QuietDay(digest.Since)];
        var sb = new StringBuilder();
        sb.Append("<b>").Append(scheduled ? "Your daily digest" : "Top stories").Append("</b> — since ")
          .Append(TelegramHtml.Escape(TelegramHtml.DateTime(digest.Since)));
        int i = 0;
        foreach (var s in digest.Stories)
        {
            sb.Append("\n\n").Append(++i).Append(". <b>").Append(TelegramHtml.Escape(TelegramHtml.Truncate(s.Title, AnswerFormatter.MaxTitleLength))).Append("</b>");
            if (s.Outlets.Count > 0) sb.Append(" (").Append(TelegramHtml.Escape(string.Join(", ", s.Outlets))).Append(')');
            sb.Append('\n').Append(TelegramHtml.Escape(s.Summary));
            AppendLinks(sb, s.Articles);
        }
        if (digest.Note is { } note) sb.Append("\n\n").Append(TelegramHtml.Italic(note));
        return HtmlSplitter.Split(sb.ToString(), maxLength).ToList();
    }

    public static string QuietDay(DateTimeOffset since)
        => $"Quiet day: nothing new in my sources since {TelegramHtml.Escape(TelegramHtml.DateTime(since))}.";

    /// <summary>A follow update as one message: sentences are dropped from the end until it fits.</summary>
    public static string FollowUpdate(FollowUpdate update, int maxLength = TelegramHtml.MaxMessageLength)
    {
        for (int keep = update.NewSentences.Count; ; keep--)
        {
            var sb = new StringBuilder("<b>Update: ").Append(TelegramHtml.Escape(TelegramHtml.Truncate(update.Headline, AnswerFormatter.MaxTitleLength))).Append("</b>");
            if (update.Outlets.Count > 0)
                sb.Append("\nNew from ").Append(TelegramHtml.Escape(string.Join(", ", update.Outlets))).Append(':');
            foreach (var s in update.NewSentences.Take(keep))
                sb.Append("\n• ").Append(TelegramHtml.Escape(s));
            if (update.NewSentences.Count == 0)
                sb.Append("\nNew coverage, nothing the earlier articles did not say.");
            AppendLinks(sb, update.Articles);
            sb.Append("\n\n<i>/unfollow to stop these updates.</i>");
            var text = sb.ToString();
            if (text.Length <= maxLength || keep == 0) return text.Length <= maxLength ? text : HtmlSplitter.Split(text, maxLength).First();
        }
    }

    public static string FollowEnded(Follow follow, string reason)
        => $"I stopped following <b>{TelegramHtml.Escape(follow.StoryTitle ?? follow.Topic)}</b>: {TelegramHtml.Escape(reason)}. /follow it again any time.";

    /// <summary>/following: numbered, with what each waits for.</summary>
    public static string Following(IReadOnlyList<Follow> follows)
    {
        if (follows.Count == 0) return "This chat follows no story. Try /follow harbour bridge closure.";
        var sb = new StringBuilder("<b>Following</b>");
        int i = 0;
        foreach (var f in follows)
        {
            sb.Append('\n').Append(++i).Append(". ").Append(TelegramHtml.Escape(TelegramHtml.Truncate(f.StoryTitle ?? f.Topic, AnswerFormatter.MaxTitleLength)));
            if (f.StoryId is null) sb.Append(" <i>(waiting for a story to match)</i>");
            if (!f.Filter.IsEmpty) sb.Append(" [").Append(TelegramHtml.Escape(f.Filter.ToString())).Append(']');
        }
        sb.Append("\n\n/unfollow N stops one, /unfollow all stops every follow.");
        return sb.ToString();
    }

    static void AppendLinks(StringBuilder sb, IReadOnlyList<ArticleRef> articles)
    {
        int n = 0;
        foreach (var a in articles.Take(MaxLinksPerStory))
        {
            sb.Append("\n[").Append(++n).Append("] ").Append(TelegramHtml.Link(a.Url, TelegramHtml.Truncate(a.Title, AnswerFormatter.MaxTitleLength)));
            var meta = string.Join(", ", new[] { a.Outlet, TelegramHtml.Date(a.Published) }.Where(m => !string.IsNullOrWhiteSpace(m)));
            if (meta.Length > 0) sb.Append(" — ").Append(TelegramHtml.Escape(meta));
        }
        if (articles.Count > MaxLinksPerStory) sb.Append("\n… and ").Append(articles.Count - MaxLinksPerStory).Append(" more");
    }
}
