using System.Text.RegularExpressions;
using NewsBot.Core.Time;

namespace NewsBot.Core.Answering;

/// <summary>A question taken apart: search text, outlet filter, date window, recency wish.</summary>
public sealed record ParsedQuestion(string SearchText, IReadOnlyList<string> Outlets, DateWindow? Window, bool WantsLatest);

/// <summary>
/// Reads the filters a user can put in a question: <c>from:NAME</c> or <c>from:"Two Words"</c>
/// (repeatable) for outlets, and time phrases (see <see cref="DatePhraseParser"/>).
/// </summary>
public static partial class QueryParser
{
    public static ParsedQuestion Parse(string question, DateTimeOffset now, TimeZoneInfo zone)
    {
        var outlets = new List<string>();
        var text = FromFilter().Replace(question, m =>
        {
            var name = m.Groups["q"].Success ? m.Groups["q"].Value : m.Groups["w"].Value;
            // "… from:River_Gazette." — the sentence's full stop is not part of the name
            name = name.Replace('_', ' ').TrimEnd('.', ':', ')', ']', '"', '\'', '»', '”').Trim();
            if (name.Length > 0) outlets.Add(name);
            return " ";
        });
        var time = DatePhraseParser.Parse(text.Trim(), now, zone);
        var search = time.Remainder.Trim();
        if (search.Length == 0) search = question.Trim();
        return new ParsedQuestion(search, outlets, time.Window, time.WantsLatest);
    }

    [GeneratedRegex(@"\bfrom:(?:""(?<q>[^""]+)""|(?<w>[^\s,;?!]+))", RegexOptions.IgnoreCase)]
    private static partial Regex FromFilter();

    /// <summary>The <c>from:</c> filters written in a question, as written ("from:Reuters", "from:\"River Gazette\"").</summary>
    public static IReadOnlyList<string> OutletFilters(string question) => FromFilter().Matches(question).Select(m => m.Value).ToList();

    /// <summary>The question without its <c>from:</c> filters.</summary>
    public static string WithoutOutletFilters(string question) => FromFilter().Replace(question, " ");
}
