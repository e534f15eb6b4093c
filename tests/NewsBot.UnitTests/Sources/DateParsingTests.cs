using NewsBot.Sources.Text;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>The tolerant date parser used for feeds and page metadata.</summary>
public sealed class DateParsingTests
{
    [Theory]
    [InlineData("Tue, 05 Mar 2024 09:15:00 GMT", "2024-03-05T09:15:00+00:00")]
    [InlineData("Tue, 5 Mar 2024 09:15:00 +0100", "2024-03-05T09:15:00+01:00")]
    [InlineData("Mon, 05 Mar 2024 09:15:00 PDT", "2024-03-05T09:15:00-07:00")] // wrong weekday is tolerated
    [InlineData("5 Mar 2024 09:15 EST", "2024-03-05T09:15:00-05:00")]
    [InlineData("05 Mar 24 09:15:00 Z", "2024-03-05T09:15:00+00:00")]
    [InlineData("2024-03-05T09:15:00Z", "2024-03-05T09:15:00+00:00")]
    [InlineData("2024-03-05T09:15:00.123+02:00", "2024-03-05T09:15:00.123+02:00")]
    [InlineData("2024-03-05", "2024-03-05T00:00:00+00:00")]
    [InlineData("March 5, 2024", "2024-03-05T00:00:00+00:00")]
    public void Parses_rfc822_iso8601_and_common_forms(string input, string expected)
    {
        Assert.True(DateParsing.TryParse(input, out var date));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), date);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).Offset, date.Offset);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("yesterday-ish")]
    public void Rejects_what_is_not_a_date(string? input) => Assert.False(DateParsing.TryParse(input, out _));
}
