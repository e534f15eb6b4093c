using System.Globalization;
using System.Text.RegularExpressions;

namespace NewsBot.Core.Time;

/// <summary>A published-date window found in a question, and the question without the phrase.</summary>
/// <param name="After">Inclusive start (UTC instant).</param>
/// <param name="Before">Exclusive end (UTC instant).</param>
/// <param name="Phrase">The words that set the window ("last Monday").</param>
public sealed record DateWindow(DateTimeOffset? After, DateTimeOffset? Before, string Phrase);

/// <summary>What a question says about time: a window, and whether it asks for the latest news.</summary>
public sealed record TimeIntent(DateWindow? Window, bool WantsLatest, string Remainder);

/// <summary>
/// Turns time phrases in English questions into published-date windows relative to "now" in the
/// configured time zone: today, yesterday, tonight, this/last week, this/last month, this/last year,
/// last/on/this Monday, since Friday, in March (the most recent March, or March 2024), on 5 March,
/// March 5th 2025, 2025-03-05, in the past/last N hours/days/weeks, the past few days, recently.
/// "latest", "newest", "recent", "most recent", "just now" ask for a recency preference instead.
/// A window for a past day, week or month also takes the reports published after it (news about Monday's
/// events appears on Monday and in the days after): up to 7 days after a day or a month, 3 days after a
/// week, and never past the end of today.
/// </summary>
public static partial class DatePhraseParser
{
    static readonly string[] Months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
    static readonly string[] Days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    public static TimeIntent Parse(string question, DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var today = DateOnly.FromDateTime(local.DateTime);
        bool latest = Latest().IsMatch(question);

        foreach (var (regex, resolve) in Rules)
        {
            var m = regex.Match(question);
            if (!m.Success) continue;
            var window = resolve(m, today, local, zone);
            if (window is null) continue;
            int start = m.Index;
            // "since 2025-03-01", "since last month", "since yesterday", "since may 5": from the start of that time until now
            if (SinceBefore().Match(question[..m.Index]) is { Success: true } since && window.After is not null)
            {
                start = since.Index;
                window = window with { Before = null };
            }
            else if (m.Value.StartsWith("since", StringComparison.OrdinalIgnoreCase) && window.After is not null)
                window = window with { Before = null };
            else window = WithReportingLag(window, m.Value, today, zone);
            var phrase = question[start..(m.Index + m.Length)];
            var remainder = (question[..start] + " " + question[(m.Index + m.Length)..]).Trim();
            remainder = SpaceBeforeMark().Replace(Spaces().Replace(remainder, " "), "$1").Trim(' ', ',');
            return new TimeIntent(window with { Phrase = phrase.Trim() }, latest, remainder);
        }
        return new TimeIntent(null, latest, question);
    }

    delegate DateWindow? Resolver(Match m, DateOnly today, DateTimeOffset localNow, TimeZoneInfo zone);

    static DateTimeOffset Start(DateOnly d, TimeZoneInfo zone) => TimeExpressions.StartOfDay(d, zone).ToUniversalTime();

    static DateWindow Days_(DateOnly from, DateOnly toExclusive, TimeZoneInfo zone) => new(Start(from, zone), Start(toExclusive, zone), "");

    static DateOnly WeekStart(DateOnly d) => d.AddDays(-(((int)d.DayOfWeek + 6) % 7)); // Monday

    static int MonthIndex(string s)
    {
        s = s.ToLowerInvariant();
        for (int i = 0; i < 12; i++)
            if (Months[i] == s || (s.Length >= 3 && Months[i].StartsWith(s, StringComparison.Ordinal) && s.Length <= Months[i].Length)) return i + 1;
        return 0;
    }

    static int DayIndex(string s) => Array.IndexOf(Days, s.ToLowerInvariant());

    static readonly List<(Regex, Resolver)> Rules =
    [
        // explicit ISO date
        (new Regex(@"\b(?:on\s+)?(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            if (!DateOnly.TryParseExact(m.Value.Trim().Split(' ')[^1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return null;
            return Days_(d, d.AddDays(1), z);
        }),
        // "on 5 March 2025", "5th of March", "March 5", "March 5th, 2024"
        (new Regex(@"\b(?:(?:on|since)\s+)?(?:(?<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|(?<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\s+(?<d>\d{1,2})(?:st|nd|rd|th)?)(?:,?\s+(?<y>\d{4}))?\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var mon = m.Groups["mon"].Value;
            // "how many of the top 10 may lose …", "why did 20 march …": lower-case verbs, not dates, unless
            // "on" or a year says so
            if (mon is "may" or "mar" or "march" && !m.Value.TrimStart().StartsWith("on", StringComparison.OrdinalIgnoreCase)
                && !m.Value.TrimStart().StartsWith("since", StringComparison.OrdinalIgnoreCase) && !m.Groups["y"].Success)
                return null;
            int month = MonthIndex(mon);
            int day = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (month == 0 || day < 1 || day > 31) return null;
            if (m.Groups["y"].Success)
            {
                int year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
                if (day > DateTime.DaysInMonth(year, month)) return null;
                var given = new DateOnly(year, month, day);
                return Days_(given, given.AddDays(1), z);
            }
            // no year: the most recent such day (29 February: the last leap year's)
            for (int year = today.Year; year > today.Year - 8; year--)
            {
                if (day > DateTime.DaysInMonth(year, month)) continue;
                var d = new DateOnly(year, month, day);
                if (d <= today) return Days_(d, d.AddDays(1), z);
            }
            return null;
        }),
        (new Regex(@"\b(?:in\s+the\s+)?(?:past|last)\s+(?<n>\d{1,3}|few|couple of)\s+(?<u>hours?|days?|weeks?|months?)\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var nText = m.Groups["n"].Value.ToLowerInvariant();
            int n = nText == "few" ? 3 : nText == "couple of" ? 2 : int.Parse(nText, CultureInfo.InvariantCulture);
            var u = m.Groups["u"].Value.ToLowerInvariant();
            var span = u.StartsWith("hour") ? TimeSpan.FromHours(n) : u.StartsWith("day") ? TimeSpan.FromDays(n) : u.StartsWith("week") ? TimeSpan.FromDays(7 * n) : TimeSpan.FromDays(30 * n);
            return new DateWindow((now - span).ToUniversalTime(), null, "");
        }),
        // "in the past week", "over the last month": a rolling span up to now (not last calendar week)
        // ("the last day before the vote", "the last week of the trial" are parts of an event, not spans up to now)
        (new Regex(@"(?:\b(?:in|over|during|within|for)\s+the\s+(?:past|last)\s+(?<u>hour|day|week|fortnight|month|year)\b(?!\s+(?:of|before|after|when|that)\b)|\bthe\s+past\s+(?<u>hour|day|week|fortnight|month|year)\b(?=\s*(?:[?.!,]|$)))", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var span = m.Groups["u"].Value.ToLowerInvariant() switch
            {
                "hour" => TimeSpan.FromHours(1), "day" => TimeSpan.FromDays(1), "week" => TimeSpan.FromDays(7),
                "fortnight" => TimeSpan.FromDays(14), "month" => TimeSpan.FromDays(30), _ => TimeSpan.FromDays(365),
            };
            return new DateWindow((now - span).ToUniversalTime(), null, "");
        }),
        (new Regex(@"\b(?:in\s+the\s+)?(?:past|last)\s+24\s*h\b|\bovernight\b", RegexOptions.IgnoreCase), (m, today, now, z) => new DateWindow((now - TimeSpan.FromHours(24)).ToUniversalTime(), null, "")),
        (new Regex(@"\b(?:today|tonight|this morning|this afternoon|this evening)(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(today, today.AddDays(1), z)),
        (new Regex(@"\byesterday(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(today.AddDays(-1), today, z)),
        (new Regex(@"\bthis\s+week(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(WeekStart(today), today.AddDays(1), z)),
        (new Regex(@"\blast\s+week(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(WeekStart(today).AddDays(-7), WeekStart(today), z)),
        // on a weekend, this one; on a weekday, the last one and the days since (reports of it, previews of the next)
        (new Regex(@"\bthis\s+weekend\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var sat = today.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? WeekStart(today).AddDays(5) : WeekStart(today).AddDays(-2);
            return Days_(sat, today.AddDays(1), z);
        }),
        (new Regex(@"\blast\s+weekend\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var sat = WeekStart(today).AddDays(-2);
            return Days_(sat, sat.AddDays(2), z);
        }),
        (new Regex(@"\bthis\s+month(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(new DateOnly(today.Year, today.Month, 1), today.AddDays(1), z)),
        (new Regex(@"\blast\s+month(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var first = new DateOnly(today.Year, today.Month, 1);
            return Days_(first.AddMonths(-1), first, z);
        }),
        (new Regex(@"\bthis\s+year(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(new DateOnly(today.Year, 1, 1), today.AddDays(1), z)),
        (new Regex(@"\blast\s+year(?:'s)?\b", RegexOptions.IgnoreCase), (m, today, now, z) => Days_(new DateOnly(today.Year - 1, 1, 1), new DateOnly(today.Year, 1, 1), z)),
        // since Friday / since March (since a date, "since last month", "since yesterday": any window above, left open)
        (new Regex(@"\bsince\s+(?:last\s+)?(?<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var d = MostRecent(today, DayIndex(m.Groups["day"].Value), allowToday: false);
            return new DateWindow(Start(d, z), null, "");
        }),
        (new Regex(@"\bsince\s+(?<mon>january|february|march|april|may|june|july|august|september|october|november|december)\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            int month = MonthIndex(m.Groups["mon"].Value);
            var first = new DateOnly(today.Year, month, 1);
            if (first > today) first = first.AddYears(-1);
            return new DateWindow(Start(first, z), null, "");
        }),
        // last Monday / on Monday / this Monday
        (new Regex(@"\b(?:last|on|this|past)\s+(?<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            var d = MostRecent(today, DayIndex(m.Groups["day"].Value), allowToday: !m.Value.StartsWith("last", StringComparison.OrdinalIgnoreCase));
            return Days_(d, d.AddDays(1), z);
        }),
        // in March / in March 2024 / during May
        (new Regex(@"\b(?:in|during|throughout)\s+(?:early\s+|late\s+|mid-?)?(?<mon>january|february|march|april|may|june|july|august|september|october|november|december)(?:\s+(?<y>\d{4}))?\b", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            int month = MonthIndex(m.Groups["mon"].Value);
            int year = m.Groups["y"].Success ? int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture) : today.Year;
            var first = new DateOnly(year, month, 1);
            if (!m.Groups["y"].Success && first > today) first = first.AddYears(-1);
            return Days_(first, first.AddMonths(1), z);
        }),
        (new Regex(@"\bsince\s+(?<y>(?:19|20)\d{2})\b(?![\-/]\d)", RegexOptions.IgnoreCase), (m, today, now, z) =>
            new DateWindow(Start(new DateOnly(int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture), 1, 1), z), null, "")),
        // "in 2004", "in 2020 elections", but not a count ("a power cut in 2000 homes")
        (new Regex(@"\bin\s+(?<y>(?:19|20)\d{2})\b(?!\s+(?:homes|houses|households|flats|people|residents|patients|cases|deaths|jobs|schools|pupils|students|cars|vehicles|flights|workers|employees|staff|properties|buildings|businesses|customers|users|children|members|troops|soldiers|beds|acres|hectares|tonnes|tons|miles|kilometres|km|metres|feet|dollars|euros|pounds)\b)", RegexOptions.IgnoreCase), (m, today, now, z) =>
        {
            int year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            return Days_(new DateOnly(year, 1, 1), new DateOnly(year + 1, 1, 1), z);
        }),
        (new Regex(@"\b(?:in\s+)?recent\s+days\b|\bthese\s+days\b", RegexOptions.IgnoreCase), (m, today, now, z) => new DateWindow((now - TimeSpan.FromDays(7)).ToUniversalTime(), null, "")),
    ];

    static DateWindow WithReportingLag(DateWindow w, string phrase, DateOnly today, TimeZoneInfo zone)
    {
        if (w.After is not { } after || w.Before is not { } before) return w;
        var endOfToday = Start(today.AddDays(1), zone);
        var span = before - after;
        var lag = span <= TimeSpan.FromDays(1.1) ? TimeSpan.FromDays(7) : span <= TimeSpan.FromDays(7.1) ? TimeSpan.FromDays(3) : span <= TimeSpan.FromDays(31.1) ? TimeSpan.FromDays(7) : TimeSpan.Zero;
        if (Regex.IsMatch(phrase, @"\b(today|tonight|this)\b", RegexOptions.IgnoreCase)) lag = TimeSpan.Zero; // already running up to now
        var end = before + lag;
        if (end > endOfToday) end = endOfToday;
        if (end < before) end = before;
        return w with { Before = end };
    }

    static DateOnly MostRecent(DateOnly today, int dayOfWeek, bool allowToday)
    {
        var d = today;
        if (!allowToday) d = d.AddDays(-1);
        while ((int)d.DayOfWeek != dayOfWeek) d = d.AddDays(-1);
        return d;
    }

    [GeneratedRegex(@"\b(latest|newest|most recent|recent(ly)?|just now|breaking|up[- ]to[- ]date|current(ly)?|now)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Latest();

    [GeneratedRegex(@"\bsince\s+(?:on\s+|the\s+)?$", RegexOptions.IgnoreCase)]
    private static partial Regex SinceBefore();

    [GeneratedRegex(@"\s+([?!.,;:])(?=\s|$)")]
    private static partial Regex SpaceBeforeMark();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Spaces();
}
