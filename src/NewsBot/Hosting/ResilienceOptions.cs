namespace NewsBot.Hosting;

/// <summary>
/// Section <c>Resilience</c>: how often and how long NewsBot retries what fails for a moment. The language model's
/// retries keep their settings in <c>Llm</c> (MaxRetries, RetryDelay, MaxRetryAfter, Timeout) and Qdrant's attempts
/// in <c>Qdrant:MaxRetries</c>; Telegram updates are tried at most <c>Telegram:MaxUpdateAttempts</c> times.
/// </summary>
public sealed class ResilienceOptions
{
    public const string SectionName = "Resilience";

    /// <summary>Feed and web-page downloads.</summary>
    public SourcesResilienceOptions Sources { get; set; } = new();

    /// <summary>Bot API calls and Telegram updates.</summary>
    public TelegramResilienceOptions Telegram { get; set; } = new();

    /// <summary>The waits between Qdrant retries (their number is <c>Qdrant:MaxRetries</c>).</summary>
    public QdrantResilienceOptions Qdrant { get; set; } = new();

    /// <summary>The worker's scheduled jobs (feed polling …).</summary>
    public ScheduledJobsResilienceOptions ScheduledJobs { get; set; } = new();

    public IEnumerable<string> Validate()
    {
        static IEnumerable<string> Check(string key, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
                yield return $"{SectionName}:{key}: must be between {min} and {max} (got {value}).";
        }

        if (Sources.MaxRetries is < 0 or > 10) yield return $"{SectionName}:Sources:MaxRetries: must be between 0 and 10 (got {Sources.MaxRetries}).";
        if (ScheduledJobs.MaxRetries is < 0 or > 10) yield return $"{SectionName}:ScheduledJobs:MaxRetries: must be between 0 and 10 (got {ScheduledJobs.MaxRetries}).";
        if (Telegram.SendRetries is < 0 or > 10) yield return $"{SectionName}:Telegram:SendRetries: must be between 0 and 10 (got {Telegram.SendRetries}).";
        var second = TimeSpan.FromSeconds(1);
        foreach (var e in Check("Sources:Delay", Sources.Delay, TimeSpan.Zero, TimeSpan.FromMinutes(1))
                     .Concat(Check("Sources:MaxDelay", Sources.MaxDelay, TimeSpan.Zero, TimeSpan.FromMinutes(5)))
                     .Concat(Check("Sources:MaxRetryAfter", Sources.MaxRetryAfter, TimeSpan.Zero, TimeSpan.FromMinutes(10)))
                     .Concat(Check("Sources:AttemptTimeout", Sources.AttemptTimeout, second, TimeSpan.FromMinutes(10)))
                     .Concat(Check("Telegram:SendDelay", Telegram.SendDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1)))
                     .Concat(Check("Telegram:MaxRetryAfter", Telegram.MaxRetryAfter, TimeSpan.Zero, TimeSpan.FromHours(1)))
                     .Concat(Check("Telegram:ReconnectDelay", Telegram.ReconnectDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1)))
                     .Concat(Check("Telegram:ReconnectMaxDelay", Telegram.ReconnectMaxDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(30)))
                     .Concat(Check("Telegram:UpdateDelay", Telegram.UpdateDelay, TimeSpan.Zero, TimeSpan.FromMinutes(10)))
                     .Concat(Check("Qdrant:Delay", Qdrant.Delay, TimeSpan.Zero, TimeSpan.FromMinutes(1)))
                     .Concat(Check("Qdrant:MaxDelay", Qdrant.MaxDelay, TimeSpan.Zero, TimeSpan.FromMinutes(5)))
                     .Concat(Check("ScheduledJobs:Delay", ScheduledJobs.Delay, TimeSpan.Zero, TimeSpan.FromHours(1)))
                     .Concat(Check("ScheduledJobs:MaxDelay", ScheduledJobs.MaxDelay, TimeSpan.Zero, TimeSpan.FromHours(6))))
            yield return e;
    }
}

public sealed class SourcesResilienceOptions
{
    /// <summary>Retries of a download after a timeout, a connection failure, 408, 429 or 5xx (never other 4xx).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>First wait (doubles each retry, with jitter) when the site gives no Retry-After.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A Retry-After longer than this is not waited for: the download fails with the site's answer.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time one try may take to get the response headers (<c>Ingestion:HttpTimeout</c> bounds the whole download).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

public sealed class TelegramResilienceOptions
{
    /// <summary>Retries of one message part (sendMessage, editMessageText, answerCallbackQuery) after 429, 5xx or a network error.</summary>
    public int SendRetries { get; set; } = 3;

    /// <summary>First wait between those retries (doubles each retry) when Telegram gives no retry_after.</summary>
    public TimeSpan SendDelay { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>A retry_after longer than this is not waited for.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Starting the bot, reading the inbox, getUpdates: retried until they work, first after this (doubling, with jitter) …</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>… up to this wait.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Wait before handling a failed update again (doubles each attempt; <c>Telegram:MaxUpdateAttempts</c> bounds them).</summary>
    public TimeSpan UpdateDelay { get; set; } = TimeSpan.FromSeconds(2);
}

public sealed class QdrantResilienceOptions
{
    /// <summary>First wait between retries (doubles each retry).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(4);
}

public sealed class ScheduledJobsResilienceOptions
{
    /// <summary>Retries of a failed run before the job waits for its next scheduled time.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First wait (doubles each retry, with jitter).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(15);
}
