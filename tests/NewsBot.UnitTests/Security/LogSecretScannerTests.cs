using Microsoft.Extensions.Logging;

namespace NewsBot.UnitTests.Security;

/// <summary>
/// The mechanism behind "no log line of the test suite contains a bot token or API key" (tests/Shared/LogSecretScanner.cs):
/// what it recognises, that a logger writes through it, and that the loggers the tests use do reach it.
/// These tests use their own scanner instance where they print secrets on purpose, so the suite-wide check stays clean.
/// </summary>
public sealed class LogSecretScannerTests
{
    [Theory]
    [InlineData("GET https://api.telegram.org/bot7000001:AAHsecretTOKENvalue_0123456789-abcdef/getMe")] // the token in a request URL
    [InlineData("Polling failed for bot 123456789:AAE1bcDEfgH2ijkLMnoPQ3rstUVwxYZ4abc")]
    [InlineData("Calling the model with key sk-proj-AbCdEf0123456789xyzXYZ")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature")]
    [InlineData("request?api_key=0123456789abcdef0123&q=x")]
    [InlineData("Qdrant answered 401 for api-key: 'abcdefghijklmnop1234'")]
    [InlineData("connecting with s3cr3t-key-value")] // a secret a test configures, whatever its shape
    public void A_line_with_a_token_or_key_is_caught(string line)
    {
        Assert.NotEmpty(LogSecretScanner.FindSecrets(line));
    }

    [Theory]
    [InlineData("Daily digest of 2026-12-06 for chat 501: quiet")]
    [InlineData("Telegram:BotToken is missing; set Telegram__BotToken=<token from @BotFather>")]
    [InlineData("Qdrant:ApiKey was refused (check Qdrant__ApiKey)")]
    [InlineData("GET https://api.telegram.org/bot<redacted>/getUpdates at 12:30:45.123")]
    [InlineData("article a1b2c3d4e5f6 chunk 12:0123456789 ready")]
    public void Ordinary_log_lines_are_not_flagged(string line)
    {
        Assert.Empty(LogSecretScanner.FindSecrets(line));
    }

    [Fact]
    public void A_logger_writing_a_token_records_one_violation_with_the_secret_masked()
    {
        var scanner = new LogSecretScanner();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new LogSecretScanner.ScanningLoggerProvider(scanner)));
        var logger = factory.CreateLogger("Probe");

        logger.LogDebug("Connecting to {Url}", "https://api.telegram.org/bot7000001:AAHsecretTOKENvalue_0123456789-abcdef/getMe");
        logger.LogInformation("All good");

        var violation = Assert.Single(scanner.TakeViolations());
        Assert.Contains("Probe", violation);
        Assert.DoesNotContain("AAHsecretTOKENvalue_0123456789-abcdef", violation); // the report does not spread it
        Assert.Empty(scanner.TakeViolations());
        Assert.Equal(2, scanner.LinesScanned);
    }

    [Fact]
    public void An_exception_logged_with_a_token_in_its_message_is_caught()
    {
        var scanner = new LogSecretScanner();
        using var factory = LoggerFactory.Create(b => b.AddProvider(new LogSecretScanner.ScanningLoggerProvider(scanner)));

        factory.CreateLogger("Probe").LogError(new HttpRequestException("POST bot7000001:AAHsecretTOKENvalue_0123456789-abcdef/sendMessage failed"), "Send failed");

        Assert.Single(scanner.TakeViolations());
    }

    [Fact]
    public void The_loggers_the_tests_use_write_through_the_suite_wide_scanner()
    {
        var before = LogSecretScanner.Global.LinesScanned;

        TestLog.For<LogSecretScannerTests>().LogTrace("a trace line reaches the scanner");
        Console.Error.WriteLine("a console line reaches the scanner");

        Assert.True(LogSecretScanner.Global.LinesScanned >= before + 2);
    }
}
