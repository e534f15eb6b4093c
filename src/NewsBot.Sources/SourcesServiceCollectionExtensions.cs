using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Sources.Http;

namespace NewsBot.Sources;

/// <summary>Registers the sources adapter.</summary>
public static class SourcesServiceCollectionExtensions
{
    /// <summary>The named HttpClient for operator URLs (the host adds its resilience handler to it).</summary>
    public const string TrustedHttpClient = SafeHttpFetcher.TrustedClientName;

    /// <summary>The named HttpClient for chat URLs, every connection through the SSRF guard.</summary>
    public const string UntrustedHttpClient = SafeHttpFetcher.UntrustedClientName;

    /// <summary>The SSRF guard refused the address: retrying cannot change that.</summary>
    public static bool IsRefusedByGuard(Exception e) => e is BlockedAddressException;

    /// <summary>
    /// Registers <see cref="IArticleSource"/> (and <see cref="ArticleSource"/>), <see cref="IFeedPoller"/>,
    /// <see cref="IOpmlReader"/> and the named HTTP clients <c>newsbot-sources</c> (operator URLs) and
    /// <c>newsbot-sources-untrusted</c> (chat URLs, every connection through the SSRF guard).
    /// The host registers <see cref="IOptions{TOptions}"/> of <see cref="IngestionOptions"/>
    /// (for example <c>AddOptions&lt;IngestionOptions&gt;().Bind(…)</c>), <see cref="IFeedStore"/>,
    /// <see cref="TimeProvider"/> and logging.
    /// </summary>
    public static IServiceCollection AddNewsBotSources(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddHttpClient(SafeHttpFetcher.TrustedClientName, ConfigureClient)
            .ConfigurePrimaryHttpMessageHandler(() => CreateHandler(guarded: false));
        services.AddHttpClient(SafeHttpFetcher.UntrustedClientName, ConfigureClient)
            .ConfigurePrimaryHttpMessageHandler(sp => CreateHandler(
                guarded: !sp.GetRequiredService<IOptions<IngestionOptions>>().Value.AllowPrivateNetworkForChatUrls,
                sp.GetService<NetworkGuardPolicy>()));

        services.TryAddSingleton<SafeHttpFetcher>();
        services.TryAddSingleton<WebReader>();
        services.TryAddSingleton(sp => new ArticleSource(
            sp.GetRequiredService<WebReader>(),
            sp.GetRequiredService<IOptions<IngestionOptions>>(),
            sp.GetService<IOptions<FileSourceOptions>>() ?? Options.Create(new FileSourceOptions()),
            sp.GetRequiredService<ILogger<ArticleSource>>()));
        services.TryAddSingleton<IArticleSource>(sp => sp.GetRequiredService<ArticleSource>());
        services.TryAddSingleton<IFeedPoller>(sp => new FeedPoller(
            sp.GetRequiredService<WebReader>(),
            sp.GetRequiredService<IFeedStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<FeedPoller>>()));
        services.TryAddSingleton<IOpmlReader, OpmlReader>();
        return services;
    }

    static void ConfigureClient(HttpClient client)
    {
        // The fetcher applies Ingestion:HttpTimeout to each request itself (with a clear message).
        client.Timeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>
    /// The primary handler: redirects followed by the fetcher (so every hop is checked and counted),
    /// gzip/deflate/brotli decompression, no cookies. The guarded handler connects only to public
    /// addresses (<see cref="NetworkGuard.GuardedConnectAsync"/>) and never through a proxy, which
    /// would connect on its behalf.
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(bool guarded, NetworkGuardPolicy? policy = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (guarded)
        {
            handler.UseProxy = false;
            var checks = policy ?? NetworkGuardPolicy.Default;
            handler.ConnectCallback = (context, ct) => NetworkGuard.GuardedConnectAsync(context, checks, ct);
        }
        return handler;
    }
}
