using NewsBot.Core.Digests;
using NodaTime;

namespace NewsBot.UnitTests.Digests;

public class DailyScheduleTests
{
    static Instant Utc(int y, int mo, int d, int h, int mi) => Instant.FromUtc(y, mo, d, h, mi);

    static readonly Duration Grace = Duration.FromHours(3);
    static readonly Instant LongAgo = Utc(2026, 1, 1, 0, 0);

    [Fact]
    public void Due_at_the_local_time_in_the_chat_zone_and_not_a_minute_before()
    {
        var s = DailySchedule.TryParse("08:00", "Europe/Kyiv", out _)!; // UTC+2 in winter
        Assert.Null(s.DueDate(Utc(2026, 12, 7, 5, 59), null, LongAgo, Grace));
        Assert.Equal(new LocalDate(2026, 12, 7), s.DueDate(Utc(2026, 12, 7, 6, 0), null, LongAgo, Grace));
    }

    [Fact]
    public void Once_a_day_sent_means_nothing_more_until_the_next_day()
    {
        var s = DailySchedule.TryParse("08:00", "UTC", out _)!;
        Assert.Null(s.DueDate(Utc(2026, 12, 7, 9, 0), new LocalDate(2026, 12, 7), LongAgo, Grace));
        Assert.Equal(new LocalDate(2026, 12, 8), s.DueDate(Utc(2026, 12, 8, 8, 0), new LocalDate(2026, 12, 7), LongAgo, Grace));
    }

    [Fact]
    public void A_missed_digest_is_caught_up_within_the_grace_period_and_skipped_beyond_it()
    {
        var s = DailySchedule.TryParse("08:00", "UTC", out _)!;
        Assert.Equal(new LocalDate(2026, 12, 7), s.DueDate(Utc(2026, 12, 7, 10, 59), new LocalDate(2026, 12, 6), LongAgo, Grace));
        Assert.Null(s.DueDate(Utc(2026, 12, 7, 11, 1), new LocalDate(2026, 12, 6), LongAgo, Grace));
    }

    [Fact]
    public void A_chat_that_subscribes_after_todays_time_starts_tomorrow()
    {
        var s = DailySchedule.TryParse("08:00", "UTC", out _)!;
        Assert.Null(s.DueDate(Utc(2026, 12, 7, 9, 0), null, Utc(2026, 12, 7, 8, 30), Grace));
        Assert.Equal(new LocalDate(2026, 12, 8), s.DueDate(Utc(2026, 12, 8, 8, 0), null, Utc(2026, 12, 7, 8, 30), Grace));
    }

    [Fact]
    public void Across_the_spring_daylight_saving_change_the_digest_keeps_its_local_time()
    {
        // Europe/London: GMT until 29 March 2026 01:00 UTC, then BST (UTC+1)
        var s = DailySchedule.TryParse("08:00", "Europe/London", out _)!;
        Assert.Equal(Utc(2026, 3, 28, 8, 0), s.DueAt(new LocalDate(2026, 3, 28)));
        Assert.Equal(Utc(2026, 3, 29, 7, 0), s.DueAt(new LocalDate(2026, 3, 29)));
        Assert.Null(s.DueDate(Utc(2026, 3, 29, 6, 59), new LocalDate(2026, 3, 28), LongAgo, Grace));
        Assert.Equal(new LocalDate(2026, 3, 29), s.DueDate(Utc(2026, 3, 29, 7, 0), new LocalDate(2026, 3, 28), LongAgo, Grace));
    }

    [Fact]
    public void A_time_the_clocks_skip_is_sent_when_they_jump_and_a_repeated_time_once()
    {
        var s = DailySchedule.TryParse("01:30", "Europe/London", out _)!;
        // 01:30 does not exist on 29 March 2026: sent at 02:30 BST = 01:30 UTC, the instant after the gap
        Assert.Equal(Utc(2026, 3, 29, 1, 30), s.DueAt(new LocalDate(2026, 3, 29)));
        // 01:30 happens twice on 25 October 2026: the first (BST, 00:30 UTC)
        Assert.Equal(Utc(2026, 10, 25, 0, 30), s.DueAt(new LocalDate(2026, 10, 25)));
        Assert.Null(s.DueDate(Utc(2026, 10, 25, 1, 30), new LocalDate(2026, 10, 25), LongAgo, Grace));
    }

    [Theory]
    [InlineData("25:99", "UTC", "not a time of day")]
    [InlineData("08:00", "Mars/Olympus", "not a time zone")]
    [InlineData("eight", "Europe/Kyiv", "not a time of day")]
    public void Bad_times_and_zones_are_named_in_the_error(string time, string zone, string expected)
    {
        Assert.Null(DailySchedule.TryParse(time, zone, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Zone_names_are_found_whatever_their_case()
    {
        Assert.Equal("Europe/Kyiv", DailySchedule.FindZone("europe/kyiv")!.Id);
    }
}
