using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace NewsBot.Core.Digests;

/// <summary>A chat's daily digest: the local time and the IANA time zone it is sent in.</summary>
public sealed record DailySchedule(LocalTime At, DateTimeZone Zone)
{
    static readonly LocalTimePattern TimePattern = LocalTimePattern.CreateWithInvariantCulture("H:mm");

    public string TimeText => At.ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads "08:00" / "8:30" and an IANA zone id ("Europe/Kyiv"); null with a message naming what is wrong.
    /// </summary>
    public static DailySchedule? TryParse(string time, string zoneId, out string? error)
    {
        error = null;
        var t = TimePattern.Parse(time.Trim());
        if (!t.Success)
        {
            error = $"'{time}' is not a time of day; write it as HH:MM, for example 08:00 or 18:30.";
            return null;
        }
        var zone = FindZone(zoneId);
        if (zone is null)
        {
            error = $"'{zoneId}' is not a time zone I know; use an IANA name such as Europe/London, Europe/Kyiv or America/New_York.";
            return null;
        }
        return new DailySchedule(t.Value, zone);
    }

    /// <summary>An IANA zone by id, case-insensitively ("europe/kyiv" works; "UTC" too).</summary>
    public static DateTimeZone? FindZone(string id)
    {
        id = id.Trim();
        if (id.Length == 0) return null;
        var provider = DateTimeZoneProviders.Tzdb;
        if (provider.GetZoneOrNull(id) is { } exact) return exact;
        var match = provider.Ids.FirstOrDefault(z => string.Equals(z, id, StringComparison.OrdinalIgnoreCase));
        return match is null ? null : provider[match];
    }

    /// <summary>
    /// The instant the digest of <paramref name="date"/> is due. A time that a daylight-saving change skips
    /// (02:30 on the spring-forward night) is sent when the clocks jump past it; a time that occurs twice
    /// (the autumn night) is sent at its first occurrence.
    /// </summary>
    public Instant DueAt(LocalDate date) => Zone.AtLeniently(date + At).ToInstant();

    /// <summary>The local date at an instant.</summary>
    public LocalDate DateAt(Instant instant) => instant.InZone(Zone).Date;

    /// <summary>
    /// The local day whose digest should be sent at <paramref name="now"/>, or null when none is due:
    /// the latest day whose time has come, not already sent, not before the chat subscribed, and at most
    /// <paramref name="grace"/> late (a worker that was down at the time sends one catch-up within the grace
    /// period; beyond it that day is skipped, never sent late in a pile).
    /// </summary>
    public LocalDate? DueDate(Instant now, LocalDate? lastSent, Instant subscribedAt, Duration grace)
    {
        var today = DateAt(now);
        var day = now >= DueAt(today) ? today : today.PlusDays(-1);
        var due = DueAt(day);
        if (lastSent is { } sent && sent >= day) return null;
        if (due < subscribedAt) return null;
        if (now - due > grace) return null;
        return day;
    }

    /// <summary>When to look again after <paramref name="now"/>: the next local day's time.</summary>
    public Instant NextDue(Instant now)
    {
        var today = DateAt(now);
        var due = DueAt(today);
        return due > now ? due : DueAt(today.PlusDays(1));
    }
}
