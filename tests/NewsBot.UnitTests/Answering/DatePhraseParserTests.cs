using NewsBot.Core.Time;

namespace NewsBot.UnitTests.Answering;

public class DatePhraseParserTests
{
    // Wednesday 12 March 2025, 15:00 in Berlin (UTC+1)
    static readonly DateTimeOffset Now = new(2025, 3, 12, 14, 0, 0, TimeSpan.Zero);
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    static DateTimeOffset Local(int y, int m, int d)
    {
        var local = new DateTime(y, m, d, 0, 0, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Berlin.GetUtcOffset(local)).ToUniversalTime();
    }

    // windows start at the day, week or month named and also take the reports published after it:
    // up to 7 days after a day or a month, 3 days after a week, never past the end of today (13 March)
    [Theory]
    [InlineData("What happened today in Kyiv?", 2025, 3, 12, 2025, 3, 13)]
    [InlineData("What did the council decide yesterday?", 2025, 3, 11, 2025, 3, 13)]
    [InlineData("news from this week", 2025, 3, 10, 2025, 3, 13)]
    [InlineData("what happened last week?", 2025, 3, 3, 2025, 3, 13)]
    [InlineData("what happened last Monday", 2025, 3, 10, 2025, 3, 13)]
    [InlineData("what happened on Wednesday", 2025, 3, 12, 2025, 3, 13)]
    [InlineData("what did they agree in February?", 2025, 2, 1, 2025, 3, 8)]
    [InlineData("what did they agree in May?", 2024, 5, 1, 2024, 6, 8)]
    [InlineData("what happened on 5 March?", 2025, 3, 5, 2025, 3, 13)]
    [InlineData("what happened on March 5th, 2024?", 2024, 3, 5, 2024, 3, 13)]
    [InlineData("what happened on 2025-01-20", 2025, 1, 20, 2025, 1, 28)]
    [InlineData("stories from last month", 2025, 2, 1, 2025, 3, 8)]
    public void Phrases_become_windows_in_the_configured_time_zone(string q, int y1, int m1, int d1, int y2, int m2, int d2)
    {
        var intent = DatePhraseParser.Parse(q, Now, Berlin);
        Assert.NotNull(intent.Window);
        Assert.Equal(Local(y1, m1, d1), intent.Window!.After);
        Assert.Equal(Local(y2, m2, d2), intent.Window.Before);
    }

    [Fact]
    public void Since_friday_is_open_ended_from_the_last_friday()
    {
        var w = DatePhraseParser.Parse("what changed since Friday?", Now, Berlin).Window!;
        Assert.Equal(Local(2025, 3, 7), w.After);
        Assert.Null(w.Before);
    }

    [Theory]
    // "since" before any dated phrase leaves the window open up to now, and leaves the question
    [InlineData("What changed since 2025-03-01?", 2025, 3, 1)]
    [InlineData("What changed since last month?", 2025, 2, 1)]
    [InlineData("What changed since yesterday?", 2025, 3, 11)]
    [InlineData("What changed since 5 March?", 2025, 3, 5)]
    [InlineData("What changed since 2024?", 2024, 1, 1)]
    [InlineData("What changed since may 5?", 2024, 5, 5)]
    public void Since_a_date_or_a_period_is_open_ended(string q, int y, int m, int d)
    {
        var intent = DatePhraseParser.Parse(q, Now, Berlin);
        Assert.Equal(Local(y, m, d), intent.Window!.After);
        Assert.Null(intent.Window.Before);
        Assert.Equal("What changed?", intent.Remainder);
    }

    [Theory]
    // words that look like dates but are not
    [InlineData("How many of the top 10 may lose their seats?")]
    [InlineData("Why did 20 march in Berlin?")]
    [InlineData("Was there a power cut in 2000 homes?")]
    [InlineData("What happened on the last day of the summit?")]
    [InlineData("What happened on the last day before the vote?")]
    public void Verbs_counts_and_parts_of_events_are_not_dates(string q)
        => Assert.Null(DatePhraseParser.Parse(q, Now, Berlin).Window);

    [Theory]
    [InlineData("What did they say on 20 May?", 2024, 5, 20)]
    [InlineData("What was decided in 2004 in Athens?", 2004, 1, 1)]
    [InlineData("Who won in 2020 elections?", 2020, 1, 1)]
    public void Real_dates_beside_those_words_still_count(string q, int y, int m, int d)
        => Assert.Equal(Local(y, m, d), DatePhraseParser.Parse(q, Now, Berlin).Window!.After);

    [Theory]
    [InlineData("What happened in the past week?", 7)]
    [InlineData("Any news over the last month?", 30)]
    public void The_past_week_or_month_is_a_rolling_span_up_to_now(string q, int days)
    {
        var w = DatePhraseParser.Parse(q, Now, Berlin).Window!;
        Assert.Equal(Now.AddDays(-days), w.After);
        Assert.Null(w.Before);
    }

    [Fact]
    public void This_weekend_asked_on_a_weekday_takes_the_last_weekend_and_the_days_since()
    {
        // Wednesday 12 March: from Saturday 8 March to the end of today, never a window wholly in the future
        var w = DatePhraseParser.Parse("What happened this weekend?", Now, Berlin).Window!;
        Assert.Equal(Local(2025, 3, 8), w.After);
        Assert.Equal(Local(2025, 3, 13), w.Before);
        // on Saturday 15 March: from that Saturday
        var saturday = DatePhraseParser.Parse("What happened this weekend?", new DateTimeOffset(2025, 3, 15, 12, 0, 0, TimeSpan.Zero), Berlin).Window!;
        Assert.Equal(Local(2025, 3, 15), saturday.After);
    }

    [Fact]
    public void The_29th_of_February_without_a_year_is_the_last_leap_day()
    {
        Assert.Equal(Local(2024, 2, 29), DatePhraseParser.Parse("What happened on 29 February?", Now, Berlin).Window!.After);
        var in2028 = new DateTimeOffset(2028, 1, 10, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(Local(2024, 2, 29), DatePhraseParser.Parse("What happened on 29 February?", in2028, Berlin).Window!.After);
    }

    [Fact]
    public void Past_hours_are_relative_to_now()
    {
        var w = DatePhraseParser.Parse("anything in the past 6 hours?", Now, Berlin).Window!;
        Assert.Equal(Now.AddHours(-6), w.After);
    }

    [Fact]
    public void Latest_asks_for_recency_without_a_window_and_the_phrase_is_removed_from_the_remainder()
    {
        var latest = DatePhraseParser.Parse("What is the latest on the strikes?", Now, Berlin);
        Assert.True(latest.WantsLatest);
        Assert.Null(latest.Window);
        var y = DatePhraseParser.Parse("What did Putin say yesterday about NATO?", Now, Berlin);
        Assert.Equal("What did Putin say about NATO?", y.Remainder);
    }

    [Fact]
    public void A_question_without_time_words_has_no_window()
        => Assert.Null(DatePhraseParser.Parse("How many people were killed in Kyiv?", Now, Berlin).Window);

    [Fact]
    public void Cli_spans_and_dates_parse()
    {
        Assert.Equal(Now.AddHours(-24), TimeExpressions.ParseSince("24h", Now, TimeZoneInfo.Utc, out _));
        Assert.Equal(Now.AddDays(-7), TimeExpressions.ParseSince("7d", Now, TimeZoneInfo.Utc, out _));
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero), TimeExpressions.ParseSince("2025-03-01", Now, TimeZoneInfo.Utc, out _));
        Assert.Null(TimeExpressions.ParseSince("soon", Now, TimeZoneInfo.Utc, out var err));
        Assert.Contains("24h", err);
    }
}
