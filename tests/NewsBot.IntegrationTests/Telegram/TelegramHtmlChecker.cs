using System.Text.RegularExpressions;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// Checks text against Telegram's HTML parse mode rules: only the supported tags, properly nested and
/// closed; attributes double-quoted; every &amp; starts a supported entity; no bare &lt; or &gt;.
/// </summary>
public static partial class TelegramHtmlChecker
{
    private static readonly HashSet<string> Allowed =
        ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji", "code", "pre", "blockquote"];

    [GeneratedRegex("^&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")]
    private static partial Regex Entity();

    [GeneratedRegex("""^<(?<close>/)?(?<name>[a-z-]+)(?<attrs>(\s+[a-z-]+(="[^"<>]*")?)*)\s*>$""")]
    private static partial Regex Tag();

    [GeneratedRegex("""(?<key>[a-z-]+)(="(?<value>[^"]*)")?""")]
    private static partial Regex Attribute();

    public static IReadOnlyList<string> Problems(string html)
    {
        var problems = new List<string>();
        var stack = new Stack<string>();
        for (var i = 0; i < html.Length; i++)
        {
            var c = html[i];
            if (c == '<')
            {
                var end = html.IndexOf('>', i);
                if (end < 0)
                {
                    problems.Add($"unterminated tag at {i}");
                    break;
                }
                var markup = html[i..(end + 1)];
                var m = Tag().Match(markup);
                if (!m.Success)
                    problems.Add($"malformed tag {markup}");
                else
                {
                    var name = m.Groups["name"].Value;
                    if (!Allowed.Contains(name))
                        problems.Add($"tag <{name}> is not supported by Telegram");
                    if (m.Groups["close"].Success)
                    {
                        if (stack.Count == 0 || stack.Pop() != name)
                            problems.Add($"unbalanced closing tag {markup}");
                    }
                    else
                    {
                        CheckAttributes(name, m.Groups["attrs"].Value, problems);
                        stack.Push(name);
                    }
                }
                i = end;
            }
            else if (c == '>')
                problems.Add($"bare '>' at {i}");
            else if (c == '&' && !Entity().IsMatch(html.AsSpan(i, Math.Min(12, html.Length - i)).ToString()))
                problems.Add($"bare '&' or unsupported entity at {i}: {html.Substring(i, Math.Min(10, html.Length - i))}");
        }
        if (stack.Count > 0)
            problems.Add("unclosed tags: " + string.Join(", ", stack));
        return problems;
    }

    private static void CheckAttributes(string tag, string attrs, List<string> problems)
    {
        foreach (Match a in Attribute().Matches(attrs))
        {
            var key = a.Groups["key"].Value;
            var ok = (tag, key) switch
            {
                ("a", "href") => true,
                ("span", "class") => a.Groups["value"].Value == "tg-spoiler",
                ("tg-emoji", "emoji-id") => true,
                ("code", "class") => true,
                ("blockquote", "expandable") => true,
                _ => false,
            };
            if (!ok)
                problems.Add($"attribute {key} not allowed on <{tag}>");
        }
        if (tag == "a" && !attrs.Contains("href=\"", StringComparison.Ordinal))
            problems.Add("<a> without href");
    }

    public static void AssertValid(string html)
    {
        var problems = Problems(html);
        Xunit.Assert.True(problems.Count == 0, "Invalid Telegram HTML: " + string.Join("; ", problems) + "\n---\n" + html);
    }
}
