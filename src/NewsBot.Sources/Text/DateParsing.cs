using System.Globalization;
using System.Text.RegularExpressions;
using NewsBot.Core.Text;

namespace NewsBot.Sources.Text;

/// <summary>
/// Tolerant parsing of the dates found in feeds and pages: RFC 822/1123 (with named zones such as
/// GMT, EST or PDT, and a wrong or missing weekday), ISO 8601 / W3C-DTF, and the formats
/// <see cref="ArticleTextParser.TryParseDate"/> knows. Dates without a zone are taken as UTC.
/// </summary>
internal static partial class DateParsing
{
    static readonly Dictionary<string, string> Zones = new(StringComparer.OrdinalIgnoreCase)
    {
        ["UT"] = "+00:00", ["UTC"] = "+00:00", ["GMT"] = "+00:00", ["Z"] = "+00:00",
        ["EST"] = "-05:00", ["EDT"] = "-04:00", ["CST"] = "-06:00", ["CDT"] = "-05:00",
        ["MST"] = "-07:00", ["MDT"] = "-06:00", ["PST"] = "-08:00", ["PDT"] = "-07:00",
        ["BST"] = "+01:00", ["CET"] = "+01:00", ["CEST"] = "+02:00", ["EET"] = "+02:00", ["EEST"] = "+03:00",
        ["MSK"] = "+03:00", ["IST"] = "+05:30", ["JST"] = "+09:00", ["AEST"] = "+10:00", ["AEDT"] = "+11:00",
    };

    static readonly string[] Rfc822Formats =
    [
        "d MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm zzz", "d MMM yy HH:mm:ss zzz", "d MMM yy HH:mm zzz",
        "d MMMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm:ss", "d MMM yyyy",
    ];

    /// <summary>Parses <paramref name="value"/>; false when it is empty or not a recognisable date.</summary>
    public static bool TryParse(string? value, out DateTimeOffset date)
    {
        date = default;
        if (string.IsNullOrWhiteSpace(value)) return false;
        var s = TextNormalizer.CleanInline(value);

        // RFC 822: optional weekday, named or numeric zone.
        var rfc = Rfc822().Match(s);
        if (rfc.Success)
        {
            var zone = rfc.Groups["zone"].Value;
            string offset = zone.Length == 0 ? "+00:00"
                : Zones.TryGetValue(zone, out var named) ? named
                : zone.Length == 5 && (zone[0] is '+' or '-') ? zone[..3] + ":" + zone[3..]
                : zone;
            var day = $"{rfc.Groups["day"].Value} {rfc.Groups["month"].Value[..3]} {rfc.Groups["year"].Value}";
            var core = rfc.Groups["time"].Success ? $"{day} {rfc.Groups["time"].Value} {offset}" : day;
            if (DateTimeOffset.TryParseExact(core, Rfc822Formats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out date))
                return true;
        }
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out date))
            return true;
        return ArticleTextParser.TryParseDate(s, out date);
    }

    /// <summary>The first of <paramref name="values"/> that parses.</summary>
    public static DateTimeOffset? First(params IEnumerable<string?> values)
    {
        foreach (var v in values)
            if (TryParse(v, out var d)) return d;
        return null;
    }

    [GeneratedRegex(@"^(?:[A-Za-z]{3,9},?\s+)?(?<day>\d{1,2})\s+(?<month>[A-Za-z]{3,9})\.?\s+(?<year>\d{2,4})(?:\s+(?<time>\d{1,2}:\d{2}(?::\d{2})?))?\s*(?<zone>[A-Za-z]{1,5}|[+\-]\d{4}|[+\-]\d{2}:\d{2})?$")]
    private static partial Regex Rfc822();
}
