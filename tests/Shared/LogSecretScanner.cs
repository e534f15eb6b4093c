using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Xunit.Sdk;

// Every test of the assembly ends with the check: a log line with a bot token or API key fails the test that was
// running when it was written (see LogSecretScanner).
[assembly: NewsBot.TestSupport.NoSecretsInLogs]

namespace NewsBot.TestSupport;

/// <summary>
/// "No log line contains a bot token or API key", checked across the whole test suite. This file is compiled into
/// both test projects (unit and integration). Every log a test writes passes through <see cref="Global"/>:
/// <list type="bullet">
/// <item>loggers the tests create: <see cref="TestLog"/> (what the tests use instead of NullLogger) and
/// <see cref="Provider"/>, which every test host adds to its AddLogging (SourcesHost, TelegramBotHarness, …);</item>
/// <item>the console of the test process (a module initializer tees Console.Out and Console.Error through it), so a
/// host started in-process with its own Serilog console sink is read too;</item>
/// <item>the stdout and stderr of every CLI process the integration tests start (CliProcess).</item>
/// </list>
/// A line matching a secret pattern (a Telegram bot token, an OpenAI-style <c>sk-</c> key, a bearer token, an
/// <c>api_key=</c> value) or containing a secret a test registered (<see cref="RegisterSecret"/>) is recorded, and
/// <see cref="NoSecretsInLogsAttribute"/> (applied to the whole assembly) fails the test during or after which it was
/// written. Tests that must print a secret on purpose (the scanner's own tests) use their own instance.
/// </summary>
public sealed partial class LogSecretScanner
{
    /// <summary>The scanner every captured log line of this test assembly goes through.</summary>
    public static LogSecretScanner Global { get; } = new();

    /// <summary>An <see cref="ILoggerProvider"/> that scans every line (all levels) with <see cref="Global"/>.</summary>
    public static ILoggerProvider Provider { get; } = new ScanningLoggerProvider(Global);

    /// <summary>For a test host's AddLogging: every level, every line through <see cref="Global"/>.</summary>
    public static void AddTo(ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Provider);

    [GeneratedRegex(@"(?<![A-Za-z0-9])\d{5,12}:[A-Za-z0-9_-]{30,}")]
    private static partial Regex TelegramToken();

    [GeneratedRegex(@"(?<![A-Za-z0-9])sk-(?:proj-)?[A-Za-z0-9_-]{16,}")]
    private static partial Regex OpenAiKey();

    [GeneratedRegex(@"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}")]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"(?i)\b(?:api[_-]?key|x-api-key|apikey)[""']?\s*[=:]\s*[""']?[A-Za-z0-9_-]{16,}")]
    private static partial Regex ApiKeyAssignment();

    /// <summary>Tokens and keys the test suites hand to NewsBot (add a new one here, or call <see cref="RegisterSecret"/>).</summary>
    static readonly string[] SuiteSecrets =
    [
        "AAHsecretTOKENvalue_0123456789-abcdef", // TelegramBotHarness.Token (after the bot id)
        "AAH-end-to-end-SECRET-token_xyz", "AAH-follow-e2e-SECRET_token", // worker end-to-end tokens
        "s3cr3t-key-value", "sk-test-SECRETKEY-123456", "contract-test-key", "transport-test-key", "reindex-key", // Qdrant and embedding keys
    ];

    static readonly ConcurrentDictionary<string, byte> KnownSecrets = new(StringComparer.Ordinal);

    readonly ConcurrentQueue<string> _violations = new();
    long _lines;

    /// <summary>How many lines this scanner has read (a test of the mechanism checks that logs do arrive).</summary>
    public long LinesScanned => Interlocked.Read(ref _lines);

    /// <summary>A secret a test uses (a bot token, an API key) that must never be logged, whatever its shape.</summary>
    public static void RegisterSecret(string secret)
    {
        if (secret.Length >= 8) KnownSecrets.TryAdd(secret, 0);
    }

    /// <summary>The secrets found in <paramref name="text"/> (pattern matches and registered secrets).</summary>
    public static IReadOnlyList<string> FindSecrets(string text)
    {
        var found = new List<string>();
        foreach (var regex in new[] { TelegramToken(), OpenAiKey(), BearerToken(), ApiKeyAssignment() })
            foreach (Match m in regex.Matches(text)) found.Add(m.Value);
        foreach (var secret in KnownSecrets.Keys)
            if (text.Contains(secret, StringComparison.Ordinal)) found.Add(secret);
        return found;
    }

    /// <summary>Reads one piece of log output (one or more lines) written by <paramref name="source"/>.</summary>
    public void Scan(string source, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        Interlocked.Increment(ref _lines);
        var found = FindSecrets(text);
        if (found.Count > 0)
            _violations.Enqueue($"{source}: a secret ({string.Join(", ", found.Select(Mask))}) in the log line: {Mask(text, found)}");
    }

    /// <summary>The violations recorded since the last call (and forgets them).</summary>
    public IReadOnlyList<string> TakeViolations()
    {
        var taken = new List<string>();
        while (_violations.TryDequeue(out var v)) taken.Add(v);
        return taken;
    }

    // the failure message must not spread the secret further (test logs are kept by CI)
    static string Mask(string secret) => secret.Length <= 8 ? "****" : secret[..6] + "…(" + secret.Length + " chars)";

    static string Mask(string text, IEnumerable<string> secrets)
    {
        foreach (var s in secrets.OrderByDescending(s => s.Length)) text = text.Replace(s, Mask(s), StringComparison.Ordinal);
        return text.Length > 600 ? text[..600] + "…" : text;
    }

    /// <summary>A logger provider that formats every entry (state properties and exception included) and scans it.</summary>
    public sealed class ScanningLoggerProvider(LogSecretScanner scanner) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ScanningLogger(scanner, categoryName);

        public void Dispose()
        {
        }
    }

    sealed class ScanningLogger(LogSecretScanner scanner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            scanner.Scan(category + " (scope)", state.ToString());
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> properties)
                foreach (var (key, value) in properties) line.Append(' ').Append(key).Append('=').Append(value);
            if (exception is not null) line.Append('\n').Append(exception);
            scanner.Scan(category, line.ToString());
        }
    }

    /// <summary>Tees the test process's console (where an in-process host's console logger writes) through the scanner.</summary>
    sealed class ScanningTextWriter(TextWriter inner, string source) : TextWriter
    {
        readonly StringBuilder _line = new();

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            lock (_line)
            {
                if (value == '\n') { Global.Scan(source, _line.ToString()); _line.Clear(); }
                else if (_line.Length < 64 * 1024) _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            inner.Write(value);
            if (value is null) return;
            lock (_line)
            {
                _line.Append(value);
                if (value.Contains('\n')) { Global.Scan(source, _line.ToString()); _line.Clear(); }
                else if (_line.Length >= 64 * 1024) { Global.Scan(source, _line.ToString()); _line.Clear(); }
            }
        }

        public override void WriteLine(string? value) => Write((value ?? "") + "\n");

        public override void Flush() => inner.Flush();
    }

#pragma warning disable CA2255 // a module initializer is the one place that runs before any test of the assembly
    [ModuleInitializer]
    internal static void TeeConsole()
    {
        // the secrets the suites configure, whatever their shape (patterns catch real-looking ones too)
        foreach (var secret in SuiteSecrets) RegisterSecret(secret);
        Console.SetOut(TextWriter.Synchronized(new ScanningTextWriter(Console.Out, "console (stdout)")));
        Console.SetError(TextWriter.Synchronized(new ScanningTextWriter(Console.Error, "console (stderr)")));
    }
#pragma warning restore CA2255
}

/// <summary>Loggers for tests that route every entry through <see cref="LogSecretScanner.Global"/> (instead of NullLogger).</summary>
public static class TestLog
{
    /// <summary>A factory whose loggers write nowhere but the secret scanner, at every level.</summary>
    public static ILoggerFactory Factory { get; } = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(LogSecretScanner.Provider));

    public static ILogger<T> For<T>() => Factory.CreateLogger<T>();

    public static ILogger Any { get; } = Factory.CreateLogger("Tests");
}

/// <summary>
/// Fails a test when a log line with a secret was captured while it ran (or since the previous test ended): applied
/// to the whole assembly above, it runs after every test.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class NoSecretsInLogsAttribute : BeforeAfterTestAttribute
{
    public override void After(MethodInfo methodUnderTest)
    {
        var violations = LogSecretScanner.Global.TakeViolations();
        if (violations.Count > 0)
            throw new XunitException($"A log line contains a bot token or API key ({violations.Count}):\n" + string.Join("\n", violations));
    }
}
