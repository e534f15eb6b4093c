using System.Text;
using Telegram.Bot.Extensions;

namespace NewsBot.Telegram.Formatting;

/// <summary>
/// Splits well-formed Telegram HTML into parts of at most a given length. Cuts prefer paragraph
/// boundaries, then line breaks, then sentence ends, then spaces; a cut never falls inside a tag,
/// an entity or a surrogate pair, and tags open at a cut are closed at the end of the part and
/// re-opened at the start of the next, so each part is valid HTML on its own.
/// </summary>
public static class HtmlSplitter
{
    private enum Rank { Paragraph = 0, Line = 1, Sentence = 2, Space = 3, Hard = 4 }

    private sealed record OpenTag(string Name, string Markup);

    public static IReadOnlyList<string> Split(string html, int maxLength = TelegramHtml.MaxMessageLength)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 16);
        if (html.Length <= maxLength)
            return IsBlank(html) ? [] : [html.Trim()];

        var (safe, stacks) = Scan(html);
        var parts = new List<string>();
        var start = 0;
        while (true)
        {
            while (start < html.Length && char.IsWhiteSpace(html[start]))
                start++;
            if (start >= html.Length)
                break;

            var prefix = Open(stacks[start]);
            var tail = Close(stacks[html.Length]);
            if (prefix.Length + (html.Length - start) + tail.Length <= maxLength)
            {
                Add(parts, prefix + html[start..].TrimEnd() + tail);
                break;
            }

            var cut = FindCut(html, start, prefix.Length, maxLength, safe, stacks);
            Add(parts, prefix + html[start..cut].TrimEnd() + Close(stacks[cut]));
            start = cut;
        }
        return parts;
    }

    private static int FindCut(string html, int start, int prefixLength, int maxLength, bool[] safe, OpenTag[][] stacks)
    {
        var latest = new int[5];
        Array.Fill(latest, -1);
        for (var c = start + 1; c <= html.Length; c++)
        {
            if (prefixLength + (c - start) > maxLength)
                break;
            if (!safe[c] || prefixLength + (c - start) + CloseLength(stacks[c]) > maxLength)
                continue;
            var insideLink = stacks[c].Any(t => t.Name == "a");
            var rank = insideLink ? Rank.Hard : RankAt(html, c);
            latest[(int)rank] = c;
            if (rank != Rank.Hard)
                latest[(int)Rank.Hard] = c;
        }

        var goodEnough = start + (maxLength - prefixLength) / 2;
        for (var r = Rank.Paragraph; r < Rank.Hard; r++)
            if (latest[(int)r] >= goodEnough)
                return latest[(int)r];
        for (var r = Rank.Paragraph; r < Rank.Hard; r++)
            if (latest[(int)r] > start)
                return latest[(int)r];
        if (latest[(int)Rank.Hard] > start)
            return latest[(int)Rank.Hard];
        throw new InvalidOperationException($"Cannot split HTML into parts of {maxLength} characters: a tag or its re-opened context is too long.");
    }

    private static Rank RankAt(string html, int c)
    {
        var prev = html[c - 1];
        if (prev == '\n')
            return c >= 2 && html[c - 2] == '\n' ? Rank.Paragraph : Rank.Line;
        if (prev == ' ' || prev == '\t')
            return c >= 2 && html[c - 2] is '.' or '!' or '?' or '…' or ';' or ':' ? Rank.Sentence : Rank.Space;
        return Rank.Hard;
    }

    /// <summary>For each cut position 0..Length: whether it is outside tags/entities/surrogate pairs, and the tags open there.</summary>
    private static (bool[] Safe, OpenTag[][] Stacks) Scan(string html)
    {
        var safe = new bool[html.Length + 1];
        var stacks = new OpenTag[html.Length + 1][];
        var stack = new List<OpenTag>();
        OpenTag[] snapshot = [];
        var i = 0;
        while (i < html.Length)
        {
            safe[i] = !(i > 0 && char.IsHighSurrogate(html[i - 1]) && char.IsLowSurrogate(html[i]));
            stacks[i] = snapshot;
            var ch = html[i];
            if (ch == '<')
            {
                var end = html.IndexOf('>', i + 1);
                if (end < 0)
                    throw new FormatException("Unterminated tag in HTML.");
                var markup = html[i..(end + 1)];
                ApplyTag(stack, markup);
                snapshot = [.. stack];
                for (var k = i + 1; k <= end; k++)
                {
                    safe[k] = false;
                    stacks[k] = snapshot;
                }
                i = end + 1;
                continue;
            }
            if (ch == '&')
            {
                var end = EntityEnd(html, i);
                if (end > i)
                {
                    for (var k = i + 1; k <= end; k++)
                    {
                        safe[k] = false;
                        stacks[k] = snapshot;
                    }
                    i = end + 1;
                    continue;
                }
            }
            i++;
        }
        safe[html.Length] = true;
        stacks[html.Length] = snapshot;
        return (safe, stacks);
    }

    private static int EntityEnd(string html, int ampersand)
    {
        for (var k = ampersand + 1; k < html.Length && k <= ampersand + 12; k++)
        {
            var c = html[k];
            if (c == ';')
                return k > ampersand + 1 ? k : -1;
            if (!char.IsAsciiLetterOrDigit(c) && c != '#')
                return -1;
        }
        return -1;
    }

    private static void ApplyTag(List<OpenTag> stack, string markup)
    {
        if (markup.StartsWith("</", StringComparison.Ordinal))
        {
            var name = TagName(markup, 2);
            var index = stack.FindLastIndex(t => t.Name == name);
            if (index >= 0)
                stack.RemoveRange(index, stack.Count - index);
            return;
        }
        if (markup.EndsWith("/>", StringComparison.Ordinal))
            return;
        stack.Add(new OpenTag(TagName(markup, 1), markup));
    }

    private static string TagName(string markup, int from)
    {
        var end = from;
        while (end < markup.Length && (char.IsAsciiLetterOrDigit(markup[end]) || markup[end] == '-'))
            end++;
        return markup[from..end].ToLowerInvariant();
    }

    private static string Open(OpenTag[] stack) => string.Concat(stack.Select(t => t.Markup));

    private static string Close(OpenTag[] stack)
    {
        var sb = new StringBuilder();
        for (var k = stack.Length - 1; k >= 0; k--)
            sb.Append("</").Append(stack[k].Name).Append('>');
        return sb.ToString();
    }

    private static int CloseLength(OpenTag[] stack) => stack.Sum(t => t.Name.Length + 3);

    private static void Add(List<string> parts, string part)
    {
        if (!IsBlank(part))
            parts.Add(part);
    }

    private static bool IsBlank(string html) => string.IsNullOrWhiteSpace(HtmlText.ToPlain(html));
}
