using System.Text;
using System.Text.RegularExpressions;

namespace NewsBot.Core.Answering;

/// <summary>The outcome of checking an answer's citation markers.</summary>
/// <param name="Text">The answer with every marker pointing at a real source, renumbered 1..k in order of first use.</param>
/// <param name="CitedSources">For each new number (index 0 = [1]), the original source number.</param>
/// <param name="Dropped">How many markers pointed at no source and were removed.</param>
public sealed record CitationCheck(string Text, IReadOnlyList<int> CitedSources, int Dropped);

/// <summary>
/// Citation hygiene for any answer: markers like [2], [1, 3], [1][2], [2-3], [Source 2], [1 and 3], [^2],
/// 【1】 or 【4:0†source】 are read;
/// markers pointing at no source are removed; the rest are renumbered in order of first use so the
/// sources listed under the answer are exactly the ones cited.
/// </summary>
public static partial class Citations
{
    public static CitationCheck Check(string answer, int sourceCount)
    {
        try
        {
            return CheckMarkers(answer, sourceCount);
        }
        catch (RegexMatchTimeoutException)
        {
            return new CitationCheck(answer, [], 0); // unreadable markers: treated as uncited
        }
    }

    static CitationCheck CheckMarkers(string answer, int sourceCount)
    {
        var order = new List<int>();
        int dropped = 0;
        var text = Marker().Replace(answer, m =>
        {
            var numbers = new List<int>();
            foreach (var raw in Separator().Split(m.Groups["body"].Value))
            {
                // "4:0†source" (a source number, a passage index and a label): the source number counts
                var part = Annotation().Replace(raw, "");
                var range = Number().Matches(part);
                if (range.Count == 2 && (part.Contains('-') || part.Contains('–')))
                {
                    int a = int.Parse(range[0].Value), b = int.Parse(range[1].Value);
                    if (b >= a && b - a < 20) for (int i = a; i <= b; i++) numbers.Add(i);
                    else dropped++;
                    continue;
                }
                foreach (Match n in range) numbers.Add(int.Parse(n.Value));
            }
            var sb = new StringBuilder(m.Groups["ws"].Value);
            int lead = sb.Length;
            foreach (var n in numbers.Distinct())
            {
                if (n < 1 || n > sourceCount) { dropped++; continue; }
                if (!order.Contains(n)) order.Add(n);
                sb.Append('[').Append(order.IndexOf(n) + 1).Append(']');
            }
            return sb.Length == lead ? "" : sb.ToString();
        });
        text = SpaceBeforePunctuation().Replace(text, "$1");
        text = DoubleSpaces().Replace(text, " ").Trim();
        return new CitationCheck(text, order, dropped);
    }

    // [2] [1, 3] [2-3] [Source 2] [Sources 1 and 3] [^2] [1†source] 【1】 【4:0†source】
    // A label ("†source") has no spaces or separators, and ":0" only comes before one, so every way through the
    // repeated part is unambiguous (no catastrophic backtracking on an unclosed marker) and "[10:30]" is a time.
    [GeneratedRegex(@"(?<ws>\s?)(?:\[\^?|【)(?<body>\s*(?:sources?\s*:?\s*)?\d{1,3}(?::\d+(?=†))?(?:†[^\]】\s,;&–-]*)?(?:\s*(?:[,;–-]|and|&)\s*(?:sources?\s*:?\s*)?\d{1,3}(?::\d+(?=†))?(?:†[^\]】\s,;&–-]*)?)*\s*)(?:\]|】)", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Marker();

    [GeneratedRegex(@"\s*(?:[,;&]|\band\b)\s*", RegexOptions.IgnoreCase)]
    private static partial Regex Separator();

    [GeneratedRegex(@"(?<=\d):\d+|†.*$")]
    private static partial Regex Annotation();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    // only before a sentence's punctuation, so ".NET" and "3.5" keep their dots
    [GeneratedRegex(@" +([.,;:!?])(?=\s|$)")]
    private static partial Regex SpaceBeforePunctuation();

    // inside a line only: the indentation of a nested list stays
    [GeneratedRegex(@"(?<=\S)[ \t]{2,}")]
    private static partial Regex DoubleSpaces();
}
