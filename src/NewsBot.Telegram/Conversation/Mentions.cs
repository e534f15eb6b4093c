using System.Text;
using System.Text.RegularExpressions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.Telegram.Conversation;

/// <summary>Finds and strips @mentions of the bot in a group message.</summary>
public static partial class Mentions
{
    /// <summary>
    /// Where the text mentions @<paramref name="username"/> as a whole token: Telegram's "mention" entities when
    /// the message has entities, else occurrences with no username character (A-Z a-z 0-9 _) on either side, so
    /// "@ThisBot_helperbot" or "mail@ThisBot.com" are not mentions. (Start, Length) in UTF-16 units of the untrimmed text.
    /// </summary>
    public static List<(int Start, int Length)> Find(Message m, string username)
    {
        var found = new List<(int Start, int Length)>();
        var text = m.Text ?? "";
        if (username.Length == 0)
            return found;
        var target = "@" + username;
        if (m.Entities is { } entities)
        {
            foreach (var e in entities)
            {
                if (e.Type == MessageEntityType.Mention && e.Offset >= 0 && e.Length == target.Length && e.Offset + e.Length <= text.Length &&
                    string.Compare(text, e.Offset, target, 0, target.Length, StringComparison.OrdinalIgnoreCase) == 0)
                    found.Add((e.Offset, e.Length));
            }
            return found;
        }
        for (var i = text.IndexOf(target, StringComparison.OrdinalIgnoreCase); i >= 0;
             i = text.IndexOf(target, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = i + target.Length;
            if ((i == 0 || !IsUsernameChar(text[i - 1])) && (end == text.Length || !IsUsernameChar(text[end])))
                found.Add((i, target.Length));
        }
        return found;
    }

    /// <summary>Removes the given mentions with the spaces around them and a following "," or ":".</summary>
    public static string Strip(string text, IEnumerable<(int Start, int Length)> mentions)
    {
        var cuts = new List<(int Start, int End)>();
        foreach (var (start, length) in mentions.OrderBy(x => x.Start))
        {
            var s = start;
            var e = start + length;
            if (e < text.Length && text[e] is ',' or ':')
                e++;
            while (e < text.Length && char.IsWhiteSpace(text[e]))
                e++;
            while (s > 0 && char.IsWhiteSpace(text[s - 1]))
                s--;
            if (cuts.Count > 0 && s <= cuts[^1].End)
                cuts[^1] = (cuts[^1].Start, Math.Max(e, cuts[^1].End));
            else
                cuts.Add((s, e));
        }
        var sb = new StringBuilder(text);
        for (var i = cuts.Count - 1; i >= 0; i--)
            sb.Remove(cuts[i].Start, cuts[i].End - cuts[i].Start).Insert(cuts[i].Start, ' ');
        return SpaceBeforePunctuation().Replace(sb.ToString(), "$1").Trim();
    }

    private static bool IsUsernameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    [GeneratedRegex(@"\s+([?.!,;:])")]
    private static partial Regex SpaceBeforePunctuation();
}
