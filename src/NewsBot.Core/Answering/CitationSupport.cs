using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>
/// The answerability judgement applied to a language model's answer: a sentence that cites a source must
/// be supported by it — every name (a capitalised word after the sentence's first) and every number the
/// sentence states occurs in that source (a name by a clear variant, <see cref="ExtractiveAnswerer.IsVariant"/>).
/// A marker whose source does not support its sentence is removed; the caller falls back as for an uncited
/// answer when none is left. Only plain markers ("[2]", "[1, 3]", the format the prompt asks for) are checked;
/// others pass to <see cref="Citations.Check"/> unchanged.
/// </summary>
public static partial class CitationSupport
{
    /// <param name="answer">The model's answer.</param>
    /// <param name="sourceTexts">Each numbered source's headline and text (index 0 = [1]).</param>
    /// <returns>The answer without unsupported markers, and how many markers were removed.</returns>
    public static (string Text, int Removed) Prune(string answer, IReadOnlyList<string> sourceTexts)
    {
        int removed = 0;
        var words = sourceTexts.Select(t => WordTokenizer.Words(t).Select(m => m.Value).ToList()).ToList();
        var numbers = sourceTexts.Select(t => NumberToken().Matches(t).Select(m => Digits(m.Value)).ToHashSet()).ToList();
        var lines = answer.Split('\n');
        for (int l = 0; l < lines.Length; l++)
        {
            var sentences = SentenceEnd().Split(lines[l]);
            for (int s = 0; s < sentences.Length; s++)
            {
                var claim = PlainMarker().Replace(sentences[s], " ");
                var names = ClaimNames(claim);
                var figures = NumberToken().Matches(claim).Select(m => Digits(m.Value)).ToList();
                sentences[s] = PlainMarker().Replace(sentences[s], m =>
                {
                    var kept = m.Groups["n"].Value.Split(',').Select(x => int.Parse(x.Trim(), System.Globalization.CultureInfo.InvariantCulture))
                        .Where(n => n < 1 || n > sourceTexts.Count || Supports(n - 1)).ToList(); // out-of-range numbers: Citations.Check drops them
                    removed += m.Groups["n"].Value.Split(',').Length - kept.Count;
                    return kept.Count == 0 ? "" : m.Groups["ws"].Value + "[" + string.Join(", ", kept) + "]";
                });

                bool Supports(int i) => figures.All(numbers[i].Contains) && names.All(n => words[i].Any(w => ExtractiveAnswerer.IsVariant(n, w)));
            }
            lines[l] = string.Concat(sentences);
        }
        return (string.Join('\n', lines), removed);
    }

    /// <summary>Capitalised words after the sentence's first word, stop words left out.</summary>
    static List<string> ClaimNames(string sentence)
    {
        var names = new List<string>();
        bool first = true;
        foreach (Match m in WordTokenizer.Words(sentence))
        {
            var w = m.Value;
            if (first) { first = false; continue; }
            if (w.Length >= 2 && char.IsUpper(w[0]) && !StopWords.IsQueryNoise(w.ToLowerInvariant())) names.Add(Possessive().Replace(w, ""));
        }
        return names;
    }

    /// <summary>A number's digits only ("1,400" and "1400" are the same figure).</summary>
    static string Digits(string s) => new(s.Where(char.IsDigit).ToArray());

    [GeneratedRegex(@"\d[\d,.]*\d|\d")]
    private static partial Regex NumberToken();

    // keeps the end of each sentence (its punctuation and the space after it) with the sentence
    [GeneratedRegex(@"(?<=[.!?][""”’)]?\s)")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"(?<ws>\s?)\[(?<n>\s*\d{1,3}(?:\s*,\s*\d{1,3})*\s*)\]")]
    private static partial Regex PlainMarker();

    [GeneratedRegex(@"['’]s$")]
    private static partial Regex Possessive();
}
