using System.Globalization;
using System.Text.RegularExpressions;

namespace NewsBot.Core.Time;

/// <summary>Command-line time arguments: relative spans ("24h", "7d", "2w", "90m") or dates ("2025-03-01", ISO 8601).</summary>
public static partial class TimeExpressions
{
    /// <summary>Parses a --since value into an instant; null with an error message when it cannot.</summary>
    public static DateTimeOffset? ParseSince(string value, DateTimeOffset now, TimeZoneInfo zone, out string? error)
    {
        error = null;
        var m = Relative().Match(value.Trim());
        if (m.Success)
        {
            var n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            var span = m.Groups["u"].Value.ToLowerInvariant() switch
            {
                "m" or "min" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                "d" => TimeSpan.FromDays(n),
                "w" => TimeSpan.FromDays(7 * n),
                "mo" => TimeSpan.FromDays(30 * n),
                "y" => TimeSpan.FromDays(365 * n),
                _ => TimeSpan.Zero,
            };
            return now - span;
        }
        return ParseDate(value, zone, out error);
    }

    /// <summary>Parses a date or date-time; a bare date means its start in <paramref name="zone"/>.</summary>
    public static DateTimeOffset? ParseDate(string value, TimeZoneInfo zone, out string? error)
    {
        error = null;
        value = value.Trim();
        if (DateOnly.TryParseExact(value, ["yyyy-MM-dd", "yyyy/MM/dd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return StartOfDay(d, zone);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dt))
            return dt;
        error = $"'{value}' is not a time: use a span like 24h, 7d, 2w or a date like 2025-03-01";
        return null;
    }

    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    [GeneratedRegex(@"^(?<n>\d{1,5})\s*(?<u>mo|min|m|h|d|w|y)$", RegexOptions.IgnoreCase)]
    private static partial Regex Relative();
}
