using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Hosting;
using NewsBot.IntegrationTests.Sources;
using NewsBot.OpenAI;
using NewsBot.Qdrant;
using NewsBot.Sources;
using Polly;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Xunit;

namespace NewsBot.IntegrationTests.Resilience;

/// <summary>
/// The host's pipelines (ResilienceRegistration): feed and page downloads against a real server on loopback through
/// the sources adapter wired as the host wires it, and the Telegram, Qdrant and LLM pipelines on a recording clock.
/// </summary>
public sealed class ResiliencePipelineTests : IAsyncLifetime
{
    const string Page = """
        <html><head><title>Ferry service resumes</title></head><body><article>
        <p>The ferry between the two islands runs again from Monday after storm repairs to the northern pier, the operator said.</p>
        <p>Crossings will run every two hours until the summer timetable begins in June.</p>
        </article></body></html>
        """;

    LoopbackServer _server = null!;
    int _flaky, _limited, _hanging;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/page", () => Results.Content(Page, "text/html"));
            app.MapGet("/flaky", () => Interlocked.Increment(ref _flaky) == 1 ? Results.StatusCode(503) : Results.Content(Page, "text/html"));
            app.MapGet("/missing", () => Results.StatusCode(404));
            app.MapGet("/hang-once", async (HttpContext context) =>
            {
                if (Interlocked.Increment(ref _hanging) == 1) await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted); // past every timeout
                return Results.Content(Page, "text/html");
            });
            app.MapGet("/limited", (HttpContext context) =>
            {
                if (Interlocked.Increment(ref _limited) > 1) return Results.Content(Page, "text/html");
                context.Response.Headers.RetryAfter = "1";
                return Results.StatusCode(429);
            });
            app.MapGet("/pause", (HttpContext context) =>
            {
                context.Response.Headers.RetryAfter = "120"; // longer than Resilience:Sources:MaxRetryAfter (30 s)
                return Results.StatusCode(429);
            });
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The sources adapter with the host's resilience registration; retries wait 50 ms unless the site says otherwise.</summary>
    static ServiceProvider SourcesWithRetries(string attemptTimeout = "00:00:15", int httpTimeoutSeconds = 10)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Resilience:Sources:Delay"] = "00:00:00.050",
            ["Resilience:Sources:MaxDelay"] = "00:00:00.100",
            ["Resilience:Sources:AttemptTimeout"] = attemptTimeout,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(LogSecretScanner.AddTo);
        services.AddSingleton<IOptions<IngestionOptions>>(Options.Create(new IngestionOptions { HttpTimeout = TimeSpan.FromSeconds(httpTimeoutSeconds), UserAgent = "NewsBot-Tests/1.0" }));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IFeedStore>(new InMemoryFeedStore());
        services.AddNewsBotSources();
        services.AddNewsBotResilience(config);
        return services.BuildServiceProvider();
    }

    static async Task<SourceItem> ReadAsync(ServiceProvider sp, Uri url, bool trusted = true)
    {
        var items = new List<SourceItem>();
        await foreach (var item in sp.GetRequiredService<ArticleSource>().ReadAsync(url.ToString(), trusted)) items.Add(item);
        return Assert.Single(items);
    }

    [Fact]
    public async Task A_page_that_answers_503_once_is_fetched_again_and_read()
    {
        await using var sp = SourcesWithRetries();
        var item = await ReadAsync(sp, _server.Url("/flaky"));
        Assert.Equal("Ferry service resumes", Assert.IsType<ExtractedItem>(item).Article.Title);
        Assert.Equal(2, _server.CountRequests("/flaky"));
    }

    [Fact]
    public async Task A_try_that_times_out_is_made_again_within_the_download_timeout()
    {
        // Each try gets 5 s, the whole download 30 s: the hanging first try is cut at 5 s and the second reads the page.
        // (Every try has the same timeout, the successful one too: with 1 s, a loaded machine could time out the second
        // try as well and make a third.)
        await using var sp = SourcesWithRetries(attemptTimeout: "00:00:05", httpTimeoutSeconds: 30);
        var item = await ReadAsync(sp, _server.Url("/hang-once"));
        Assert.Equal("Ferry service resumes", Assert.IsType<ExtractedItem>(item).Article.Title);
        Assert.Equal(2, _server.CountRequests("/hang-once"));
    }

    [Fact]
    public async Task A_404_is_not_retried()
    {
        await using var sp = SourcesWithRetries();
        var error = Assert.IsType<FailedItem>(await ReadAsync(sp, _server.Url("/missing"))).Error;
        Assert.Contains("HTTP 404", error);
        Assert.Equal(1, _server.CountRequests("/missing"));
    }

    [Fact]
    public async Task A_429_waits_for_the_sites_retry_after_then_reads_the_page()
    {
        await using var sp = SourcesWithRetries();
        var watch = Stopwatch.StartNew();
        var item = await ReadAsync(sp, _server.Url("/limited"));
        watch.Stop();
        Assert.IsType<ExtractedItem>(item);
        Assert.Equal(2, _server.CountRequests("/limited"));
        // the configured backoff is 50 ms: only the Retry-After of 1 s explains a wait this long
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"the retry came after {watch.Elapsed.TotalMilliseconds:0} ms, before the Retry-After");
    }

    [Fact]
    public async Task A_retry_after_beyond_the_cap_is_not_waited_for()
    {
        await using var sp = SourcesWithRetries();
        var watch = Stopwatch.StartNew();
        var error = Assert.IsType<FailedItem>(await ReadAsync(sp, _server.Url("/pause"))).Error;
        Assert.Contains("HTTP 429", error);
        Assert.Equal(1, _server.CountRequests("/pause"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_chat_url_the_ssrf_guard_refuses_is_refused_on_the_first_try_and_never_retried()
    {
        await using var sp = SourcesWithRetries();
        // "localhost" is no literal address: only the guard at connection time can refuse it
        var url = new UriBuilder(_server.Url("/page")) { Host = "localhost" }.Uri;
        var error = Assert.IsType<FailedItem>(await ReadAsync(sp, url, trusted: false)).Error;
        Assert.Contains("refused", error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, _server.CountRequests("/page"));
    }

    [Fact]
    public void Retry_after_reads_seconds_and_http_dates()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "7");
        Assert.Equal(TimeSpan.FromSeconds(7), ResilienceRegistration.RetryAfter(seconds, time));

        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", "Sun, 01 Mar 2026 12:00:05 GMT");
        Assert.Equal(TimeSpan.FromSeconds(5), ResilienceRegistration.RetryAfter(date, time));

        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", "Sun, 01 Mar 2026 11:59:00 GMT");
        Assert.Equal(TimeSpan.Zero, ResilienceRegistration.RetryAfter(past, time));
    }

    // ---- Telegram, Qdrant, LLM: the pipelines on a clock that records each wait ----

    static (ResiliencePipeline Pipeline, List<TimeSpan> Waits) Build(string which)
    {
        var waits = new List<TimeSpan>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = new RecordingTimeProvider(waits) };
        var log = TestLog.Any;
        var telegram = new TelegramResilienceOptions();
        switch (which)
        {
            case "qdrant": ResilienceRegistration.ConfigureQdrant(builder, new QdrantOptions { MaxRetries = 3 }, new QdrantResilienceOptions(), log); break;
            case "llm": ResilienceRegistration.ConfigureLlm(builder, new LlmOptions { MaxRetries = 2 }, log); break;
            case "telegram-send": ResilienceRegistration.ConfigureTelegramSend(builder, telegram, e => e.Message, log); break;
            case "telegram-reconnect": ResilienceRegistration.ConfigureTelegramReconnect(builder, telegram, e => e.Message, log); break;
            case "telegram-updates": ResilienceRegistration.ConfigureTelegramUpdates(builder, telegram); break;
            default: throw new ArgumentOutOfRangeException(nameof(which));
        }
        return (builder.Build(), waits);
    }

    /// <summary>Runs <paramref name="failures"/> in turn (then succeeds): how many calls were made, and what the pipeline threw.</summary>
    static async Task<(int Calls, Exception? Error)> RunAsync(ResiliencePipeline pipeline, params Exception[] failures)
    {
        int calls = 0;
        var context = ResilienceContextPool.Shared.Get();
        // as the dispatcher does: the update was tried once before, up to 3 attempts are allowed
        context.Properties.Set(NewsBot.Telegram.TelegramRetry.UpdateAttempts, 1);
        context.Properties.Set(NewsBot.Telegram.TelegramRetry.MaxUpdateAttempts, 3);
        try
        {
            await pipeline.ExecuteAsync(c =>
            {
                c.Properties.Set(NewsBot.Telegram.TelegramRetry.UpdateAttempts, calls + 1);
                return calls++ < failures.Length ? throw failures[calls - 1] : ValueTask.CompletedTask;
            }, context);
            return (calls, null);
        }
        catch (Exception e)
        {
            return (calls, e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    static ApiRequestException Telegram(int code, int? retryAfter = null) =>
        new($"error {code}", code, retryAfter is { } s ? new ResponseParameters { RetryAfter = s } : null);

    [Fact]
    public async Task Telegram_sends_wait_for_retry_after_and_give_up_at_once_on_403()
    {
        var (pipeline, waits) = Build("telegram-send");
        Assert.Equal((2, null), await RunAsync(pipeline, Telegram(429, retryAfter: 7)));
        Assert.Equal([TimeSpan.FromSeconds(7)], waits);

        waits.Clear();
        var (calls, error) = await RunAsync(pipeline, Telegram(403), Telegram(403));
        Assert.Equal(1, calls);
        Assert.Equal(403, Assert.IsType<ApiRequestException>(error).ErrorCode);
        Assert.Empty(waits);

        // a retry_after beyond Resilience:Telegram:MaxRetryAfter (5 min) is not waited for
        Assert.Equal(1, (await RunAsync(pipeline, Telegram(429, retryAfter: 3600), Telegram(429, retryAfter: 3600))).Calls);
        Assert.Empty(waits);
    }

    [Fact]
    public async Task Qdrant_retries_unavailable_but_not_invalid_argument()
    {
        var (pipeline, waits) = Build("qdrant");
        Assert.Equal((3, null), await RunAsync(pipeline, new RpcException(new Status(StatusCode.Unavailable, "")), new RpcException(new Status(StatusCode.Unavailable, ""))));
        Assert.Equal([TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500)], waits);

        waits.Clear();
        var invalid = new RpcException(new Status(StatusCode.InvalidArgument, "bad"));
        var (calls, error) = await RunAsync(pipeline, invalid, invalid);
        Assert.Equal(1, calls);
        Assert.Same(invalid, error);
        Assert.Empty(waits);
    }

    public static TheoryData<string, Exception> TransientFailures => new()
    {
        { "qdrant", new RpcException(new Status(StatusCode.Unavailable, "")) },
        { "llm", new LlmAttemptFailure(true, "HTTP 503", null) },
        { "telegram-send", new ApiRequestException("Bad Gateway", 502) },
        { "telegram-reconnect", new HttpRequestException("connection reset") },
        { "telegram-updates", new ApiRequestException("Bad Request: can't parse entities", 400) },
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task A_NullReferenceException_is_a_bug_and_no_pipeline_retries_it(string which, Exception transient)
    {
        var (pipeline, _) = Build(which);
        Assert.Equal((2, null), await RunAsync(pipeline, transient)); // the pipeline does retry what is transient …

        var (calls, error) = await RunAsync(pipeline, new NullReferenceException(), new NullReferenceException());
        Assert.Equal(1, calls); // … but never a bug
        Assert.IsType<NullReferenceException>(error);
    }
}
