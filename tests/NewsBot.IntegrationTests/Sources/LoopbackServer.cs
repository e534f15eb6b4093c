using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NewsBot.IntegrationTests.Sources;

/// <summary>A request the loopback server received (path and the headers the tests look at).</summary>
internal sealed record RecordedRequest(string Path, string? IfNoneMatch, string? IfModifiedSince, string? UserAgent);

/// <summary>
/// A real Kestrel server on 127.0.0.1 with an OS-assigned port, for tests of downloading, redirects,
/// conditional GET and limits. Traffic never leaves the loopback interface.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    readonly WebApplication _app;

    LoopbackServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>The server's own origin as the client sees it ("http://127.0.0.1:PORT"), for absolute links in served documents.</summary>
    public static string Origin(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";

    public Uri Url(string pathAndQuery) => new(BaseUrl, pathAndQuery);

    public int CountRequests(string path) => Requests.Count(r => r.Path == path);

    public static async Task<LoopbackServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LoopbackServer? server = null;
        app.Use(async (context, next) =>
        {
            server?.Requests.Enqueue(new RecordedRequest(
                context.Request.Path.Value ?? "",
                context.Request.Headers.IfNoneMatch.FirstOrDefault(),
                context.Request.Headers.IfModifiedSince.FirstOrDefault(),
                context.Request.Headers.UserAgent.FirstOrDefault()));
            await next(context);
        });
        map(app);
        await app.StartAsync();
        var baseUrl = new Uri(app.Urls.Single().TrimEnd('/') + "/");
        server = new LoopbackServer(app, baseUrl);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
