using System.Text;
using System.Text.RegularExpressions;

namespace NewsBot.Core.Answering;

/// <summary>The outcome of checking an answer's citation markers.</summary>
/// <param name="Text">The answer with every marker pointing at a real source, renumbered 1..k in order of first use.</param>
/// <param name="CitedSources">For each new number (index 0 = [1]), the original source number.</param>
/// <param name="Dropped">How many markers pointed at no source and were removed.</param>
public sealed record CitationCheck(string Text, IReadOnlyList<int> CitedSources, int Dropped);

/// <summary>
/// Citation hygiene for any answer: markers like [2], [1, 3], [1][2], [2-3] or [Source 2] are read;
/// markers pointing at no source are removed; the rest are renumbered in order of first use so the
/// sources listed under the answer are exactly the ones cited.
/// </summary>
public static partial class Citations
{
    public static CitationCheck Check(string answer, int sourceCount)
    {
        var order = new List<int>();
        int dropped = 0;
        var text = Marker().Replace(answer, m =>
        {
            var numbers = new List<int>();
            foreach (var part in m.Groups["body"].Value.Split(',', ';'))
            {
                var range = Number().Matches(part);
                if (range.Count == 2 && (part.Contains('-') || part.Contains('–')))
                {
                    int a = int.Parse(range[0].Value), b = int.Parse(range[1].Value);
                    if (b >= a && b - a < 20) for (int i = a; i <= b; i++) numbers.Add(i);
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

    /// <summary>Numbers cited in a text (after <see cref="Check"/>), in order of first use.</summary>
    public static bool HasCitation(string text) => Marker().IsMatch(text);

    [GeneratedRegex(@"(?<ws>\s?)\[(?<body>\s*(?:source\s*)?\d{1,3}(?:\s*[,;–-]\s*(?:source\s*)?\d{1,3})*\s*)\]", RegexOptions.IgnoreCase)]
    private static partial Regex Marker();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    [GeneratedRegex(@" +([.,;:!?])")]
    private static partial Regex SpaceBeforePunctuation();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex DoubleSpaces();
}
