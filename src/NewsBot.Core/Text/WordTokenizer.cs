using System.Text.RegularExpressions;

namespace NewsBot.Core.Text;

/// <summary>
/// Words as written, for the answering heuristics (names, numbers, question words): letters and digits with inner
/// apostrophes, hyphens and dots kept ("Russia's", "Kilroy-Silk", "3.5", "U.S"). Not the lexical index's analyzer
/// (<see cref="LexicalAnalyzer"/>), which folds case, splits possessives and stems.
/// </summary>
public static partial class WordTokenizer
{
    /// <summary>The words of <paramref name="text"/> in order, with their positions.</summary>
    public static MatchCollection Words(string text) => Word().Matches(text);

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'’\-\.]*[\p{L}\p{N}]|[\p{L}\p{N}]")]
    private static partial Regex Word();
}
