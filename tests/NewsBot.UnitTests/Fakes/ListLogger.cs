namespace NewsBot.UnitTests.Fakes;

/// <summary>Keeps the index's log messages (every level), for tests that count what it did.</summary>
public sealed class ListLogger : Microsoft.Extensions.Logging.ILogger<NewsBot.Sqlite.SqliteArticleIndex>
{
    public List<string> Messages { get; } = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Messages) Messages.Add(formatter(state, exception));
    }
}
