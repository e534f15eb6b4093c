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
