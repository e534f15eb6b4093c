using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NewsBot.OpenAI;
using NewsBot.Qdrant;
using NewsBot.Sources;
using NewsBot.Telegram;
using Polly;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;

namespace NewsBot.Hosting;

/// <summary>
/// Every retry in NewsBot, in one place: Polly pipelines for feed and page downloads (a resilience handler on the
/// sources' HttpClients, so each try and each redirect hop still connects through the SSRF guard), the language
/// model, Telegram (message parts, reconnecting, updates) and Qdrant. The adapters say what is transient
/// (<see cref="QdrantRetry"/>, <see cref="TelegramRetry"/>, <see cref="LlmRetry"/>); this says how often and how long,
/// from section <c>Resilience</c> and the adapters' existing settings (<c>Llm:MaxRetries</c>, <c>Qdrant:MaxRetries</c>,
/// <c>Telegram:MaxUpdateAttempts</c> …). Programming errors (<see cref="IsBug"/>) are never retried.
/// The Telegram and LLM HttpClients get no HTTP-level handler: their failures are read at the call (Telegram's
/// <c>retry_after</c> is in the JSON body; an empty model answer is a 200), and a second layer would multiply the tries.
/// </summary>
public static class ResilienceRegistration
{
    /// <summary>The pipeline name of the sources' HttpClient resilience handler.</summary>
    public const string SourcesPipeline = "newsbot-sources";

    public static IServiceCollection AddNewsBotResilience(this IServiceCollection services, IConfiguration config)
    {
        services.AddSection<ResilienceOptions>(config, ResilienceOptions.SectionName, o => o.Validate());
        // Polly's own telemetry logs every attempt with the full exception, whose text can hold the bot token (in
        // Telegram URLs): the OnRetry callbacks below log each retry instead, redacted and in one line
        // (whatever logging provider the host uses: Serilog ignores Microsoft.Extensions.Logging filters)
        services.PostConfigure<TelemetryOptions>(o => o.LoggerFactory = NullLoggerFactory.Instance);

        foreach (var client in new[] { SourcesServiceCollectionExtensions.TrustedHttpClient, SourcesServiceCollectionExtensions.UntrustedHttpClient })
        {
            services.AddHttpClient(client).AddResilienceHandler(SourcesPipeline, (builder, ctx) =>
            {
                var sp = ctx.ServiceProvider;
                ConfigureSources(builder, sp.GetRequiredService<IOptions<ResilienceOptions>>().Value.Sources,
                    sp.GetService<TimeProvider>() ?? TimeProvider.System, Log(sp, "Sources"));
            });
        }

        services.AddResiliencePipeline(QdrantRetry.PipelineKey, (builder, ctx) =>
        {
            var sp = ctx.ServiceProvider;
            ConfigureQdrant(builder, sp.GetRequiredService<IOptions<QdrantOptions>>().Value,
                sp.GetRequiredService<IOptions<ResilienceOptions>>().Value.Qdrant, Log(sp, "Qdrant"));
        });
        services.AddResiliencePipeline(LlmRetry.PipelineKey, (builder, ctx) =>
            ConfigureLlm(builder, ctx.ServiceProvider.GetRequiredService<IOptions<LlmOptions>>().Value, Log(ctx.ServiceProvider, "OpenAI")));
        services.AddResiliencePipeline(TelegramRetry.SendPipelineKey, (builder, ctx) =>
            ConfigureTelegramSend(builder, TelegramOptionsOf(ctx.ServiceProvider), Redacted(ctx.ServiceProvider), Log(ctx.ServiceProvider, "Telegram")));
        services.AddResiliencePipeline(TelegramRetry.ReconnectPipelineKey, (builder, ctx) =>
            ConfigureTelegramReconnect(builder, TelegramOptionsOf(ctx.ServiceProvider), Redacted(ctx.ServiceProvider), Log(ctx.ServiceProvider, "Telegram")));
        services.AddResiliencePipeline(TelegramRetry.UpdatePipelineKey, (builder, ctx) =>
            ConfigureTelegramUpdates(builder, TelegramOptionsOf(ctx.ServiceProvider)));
        services.AddResiliencePipeline(NewsBot.Worker.ScheduledJobsService.PipelineKey, (builder, ctx) =>
            ConfigureScheduledJobs(builder, ctx.ServiceProvider.GetRequiredService<IOptions<ResilienceOptions>>().Value.ScheduledJobs, Log(ctx.ServiceProvider, "Worker")));
        return services;
    }

    /// <summary>Retries log under the adapter's namespace ("NewsBot.Qdrant.Retry" …), so its log levels apply to them.</summary>
    static ILogger Log(IServiceProvider sp, string adapter) => sp.GetRequiredService<ILoggerFactory>().CreateLogger($"NewsBot.{adapter}.Retry");

    static TelegramResilienceOptions TelegramOptionsOf(IServiceProvider sp) => sp.GetRequiredService<IOptions<ResilienceOptions>>().Value.Telegram;

    /// <summary>Telegram errors can carry the bot token (in URLs): they are logged through the channel's redaction.</summary>
    static Func<Exception, string> Redacted(IServiceProvider sp) => sp.GetRequiredService<LogRedaction>().Describe;

    /// <summary>
    /// A bug, not a transient failure: retrying runs the same code into the same wall. (An InvalidOperationException
    /// from a client parsing a malformed reply is classified by the adapter before it gets here: the LLM's is retried.)
    /// </summary>
    public static bool IsBug(Exception e) =>
        e is NullReferenceException or ArgumentException or InvalidOperationException or InvalidCastException
            or NotImplementedException or NotSupportedException or IndexOutOfRangeException or KeyNotFoundException;

    /// <summary>
    /// Feeds and pages: retries timeouts (per try: AttemptTimeout), connection failures, 408, 429 and 5xx, honouring
    /// Retry-After (seconds or an HTTP date) up to MaxRetryAfter; never other 4xx, a refusal of the SSRF guard, a
    /// name that does not resolve or a failed TLS handshake.
    /// </summary>
    public static void ConfigureSources(ResiliencePipelineBuilder<HttpResponseMessage> builder, SourcesResilienceOptions o, TimeProvider time, ILogger log)
    {
        if (o.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = o.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.Delay,
                MaxDelay = o.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                    ? IsTransientDownloadFailure(e, args.Context.CancellationToken)
                    : IsTransientStatus(args.Outcome.Result!, time, o.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfter(r, time) : null),
                OnRetry = args =>
                {
                    var uri = args.Outcome.Result?.RequestMessage?.RequestUri;
                    log.LogInformation("Download {Url} failed ({Error}); retrying in {Delay:0.#} s (retry {Retry} of {MaxRetries})",
                        uri?.GetLeftPart(UriPartial.Path) ?? "(request)",
                        args.Outcome.Exception?.GetBaseException().Message ?? $"HTTP {(int)args.Outcome.Result!.StatusCode}",
                        args.RetryDelay.TotalSeconds, args.AttemptNumber + 1, o.MaxRetries);
                    return ValueTask.CompletedTask;
                },
            });
        }
        builder.AddTimeout(o.AttemptTimeout);
    }

    static bool IsTransientStatus(HttpResponseMessage response, TimeProvider time, TimeSpan maxRetryAfter)
    {
        int code = (int)response.StatusCode;
        if (code is not (408 or 429) && code < 500) return false;
        // a site that asks for a long pause gets it: the download fails now with its answer, the next poll tries again
        return RetryAfter(response, time) is not { } wait || wait <= maxRetryAfter;
    }

    static bool IsTransientDownloadFailure(Exception e, CancellationToken ct)
    {
        if (e is OperationCanceledException) return !ct.IsCancellationRequested;
        if (e is TimeoutRejectedException) return true;
        if (e is not (HttpRequestException or IOException)) return false;
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (SourcesServiceCollectionExtensions.IsRefusedByGuard(inner) || inner is AuthenticationException) return false;
            if (inner is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }) return false;
        }
        return true;
    }

    /// <summary>A response's Retry-After (delta seconds, or an HTTP date from now; never negative), if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait is { } w && w < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>Qdrant: transient gRPC statuses, Qdrant:MaxRetries times, waits doubling from Delay up to MaxDelay (no jitter).</summary>
    public static void ConfigureQdrant(ResiliencePipelineBuilder builder, QdrantOptions qdrant, QdrantResilienceOptions o, ILogger log)
    {
        if (qdrant.MaxRetries <= 0) return;
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = qdrant.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            Delay = o.Delay,
            MaxDelay = o.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && QdrantRetry.IsTransient(e) && !args.Context.CancellationToken.IsCancellationRequested),
            OnRetry = args =>
            {
                log.LogWarning("Qdrant {Operation} at {Endpoint} failed with gRPC {Status} (attempt {Attempt} of {Attempts}); retrying in {DelayMs} ms",
                    args.Context.OperationKey, qdrant.DisplayEndpoint, (args.Outcome.Exception as Grpc.Core.RpcException)?.StatusCode,
                    args.AttemptNumber + 1, qdrant.MaxRetries + 1, (int)args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>The language model: Llm:MaxRetries retries, Retry-After honoured up to Llm:MaxRetryAfter, else waits doubling from Llm:RetryDelay.</summary>
    public static void ConfigureLlm(ResiliencePipelineBuilder builder, LlmOptions llm, ILogger log)
    {
        if (llm.MaxRetries <= 0) return;
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = llm.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            Delay = llm.RetryDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && LlmRetry.IsTransient(e)
                && (LlmRetry.RetryAfter(e) is not { } wait || wait <= llm.MaxRetryAfter)),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } e ? LlmRetry.RetryAfter(e) : null),
            OnRetry = args =>
            {
                log.LogWarning("Language model attempt {Attempt} failed ({Reason}); retrying in {Delay} ms",
                    args.AttemptNumber + 1, (args.Outcome.Exception as LlmAttemptFailure)?.Reason, (int)args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>One Telegram message part: SendRetries retries of 429 (after retry_after, up to MaxRetryAfter), 5xx and network errors.</summary>
    public static void ConfigureTelegramSend(ResiliencePipelineBuilder builder, TelegramResilienceOptions o, Func<Exception, string> describe, ILogger log)
    {
        if (o.SendRetries <= 0) return;
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = o.SendRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            Delay = o.SendDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                && TelegramRetry.IsTransientSendFailure(e, args.Context.CancellationToken)
                && (TelegramRetry.RetryAfter(e) is not { } wait || wait <= o.MaxRetryAfter)),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } e ? TelegramRetry.RetryAfter(e) : null),
            OnRetry = args =>
            {
                log.LogWarning("Telegram {Method} failed ({Error}); retrying in {Delay:0.#} s ({Retry} of {MaxRetries})",
                    args.Context.OperationKey, describe(args.Outcome.Exception!), args.RetryDelay.TotalSeconds, args.AttemptNumber + 1, o.SendRetries);
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>Starting the bot, reading the inbox, getUpdates: retried until they work (or the host stops), except a rejected token and bugs.</summary>
    public static void ConfigureTelegramReconnect(ResiliencePipelineBuilder builder, TelegramResilienceOptions o, Func<Exception, string> describe, ILogger log)
    {
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = o.ReconnectDelay,
            MaxDelay = o.ReconnectMaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !TelegramRetry.IsFatal(e) && !IsBug(e)
                && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } e ? TelegramRetry.RetryAfter(e) : null),
            OnRetry = args =>
            {
                var e = args.Outcome.Exception!;
                log.LogWarning("Telegram failed{Hint}, retrying in {Delay:0.#} s: {Error}", TelegramRetry.Hint(e), args.RetryDelay.TotalSeconds, describe(e));
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>A failed run of a scheduled job (feed polling …): MaxRetries retries, waits doubling from Delay (with jitter) up to MaxDelay.</summary>
    public static void ConfigureScheduledJobs(ResiliencePipelineBuilder builder, ScheduledJobsResilienceOptions o, ILogger log)
    {
        if (o.MaxRetries <= 0) return;
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = o.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = o.Delay,
            MaxDelay = o.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !IsBug(e)
                && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
            OnRetry = args =>
            {
                log.LogWarning("Scheduled job {Job} failed ({Error}); retrying in {Delay:0} s ({Retry} of {MaxRetries})",
                    args.Context.OperationKey, args.Outcome.Exception?.Message, args.RetryDelay.TotalSeconds, args.AttemptNumber + 1, o.MaxRetries);
                return ValueTask.CompletedTask;
            },
        });
    }

    /// <summary>
    /// A failed Telegram update runs again while fewer than Telegram:MaxUpdateAttempts were made (the count survives
    /// restarts: it is stored in the inbox), after UpdateDelay doubling with each attempt; never after a bug or a
    /// permanent refusal.
    /// </summary>
    public static void ConfigureTelegramUpdates(ResiliencePipelineBuilder builder, TelegramResilienceOptions o)
    {
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue, // bounded by the stored attempts below
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && !TelegramRetry.IsFatal(e) && !IsBug(e)
                && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)
                && args.Context.Properties.GetValue(TelegramRetry.UpdateAttempts, int.MaxValue) < args.Context.Properties.GetValue(TelegramRetry.MaxUpdateAttempts, 0)),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                o.UpdateDelay * Math.Pow(2, Math.Max(0, args.Context.Properties.GetValue(TelegramRetry.UpdateAttempts, 1) - 1))),
        });
    }
}
