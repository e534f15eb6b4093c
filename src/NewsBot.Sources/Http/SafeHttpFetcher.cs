using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using Polly.Timeout;

namespace NewsBot.Sources.Http;

/// <summary>Validators of a previous response, sent as If-None-Match / If-Modified-Since.</summary>
internal sealed record ConditionalValidators(string? ETag, string? LastModified);

/// <summary>The outcome of one download: a body, "not modified", or an error message meant for people.</summary>
internal sealed record FetchResult
{
    /// <summary>The URL asked for.</summary>
    public required Uri RequestedUrl { get; init; }

    /// <summary>The URL of the last response (after redirects).</summary>
    public Uri? FinalUrl { get; init; }

    /// <summary>Null when the download worked; otherwise what went wrong, naming the URL.</summary>
    public string? Error { get; init; }

    public HttpStatusCode? Status { get; init; }

    /// <summary>The server answered 304 Not Modified to a conditional request.</summary>
    public bool NotModified { get; init; }

    /// <summary>The media type of <c>Content-Type</c>, lower case, without parameters.</summary>
    public string? MediaType { get; init; }

    /// <summary>The <c>charset</c> parameter of <c>Content-Type</c>, if any.</summary>
    public string? Charset { get; init; }

    public byte[] Body { get; init; } = [];

    public string? ETag { get; init; }

    public string? LastModified { get; init; }

    public bool Ok => Error is null;

    public static FetchResult Failed(Uri url, string error, HttpStatusCode? status = null, Uri? finalUrl = null) =>
        new() { RequestedUrl = url, Error = error, Status = status, FinalUrl = finalUrl };
}

/// <summary>
/// Downloads web pages and feeds: named clients from <see cref="IHttpClientFactory"/> (the guarded one
/// for untrusted URLs), a per-request timeout, redirects followed by hand (limit and loop detection,
/// every hop through the same guarded client), a hard cap on the body size (whatever Content-Length
/// says), content-type checks, and errors turned into messages that name the URL and the fix. Transient failures
/// (timeouts, connection failures, 408, 429, 5xx) are retried by the resilience handler the host adds to both
/// clients, inside each hop: every try connects through the same handler, so the SSRF guard checks it.
/// Never throws for network or server problems; only cancellation of the caller's token propagates.
/// </summary>
internal sealed class SafeHttpFetcher(
    IHttpClientFactory clients,
    IOptions<IngestionOptions> options,
    TimeProvider time,
    ILogger<SafeHttpFetcher> logger)
{
    /// <summary>Named client for operator URLs (command line, configuration): may reach private addresses.</summary>
    public const string TrustedClientName = "newsbot-sources";

    /// <summary>Named client for chat URLs: connections pass the SSRF guard.</summary>
    public const string UntrustedClientName = "newsbot-sources-untrusted";

    const string Accept = "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/rdf+xml;q=0.9,application/xml;q=0.9,text/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5";

    IngestionOptions Options => options.Value;

    /// <summary>
    /// GETs <paramref name="url"/>. Untrusted URLs go through the guarded client (and a literal private
    /// address is refused before any connection). <paramref name="validators"/> makes the request conditional.
    /// </summary>
    public async Task<FetchResult> FetchAsync(Uri url, bool trusted, ConditionalValidators? validators = null, CancellationToken ct = default)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            return FetchResult.Failed(url, $"refused: {url} is not an http(s) URL");

        var client = clients.CreateClient(trusted ? TrustedClientName : UntrustedClientName);
        var visited = new List<Uri>();
        var current = url;
        for (int hop = 0; ; hop++)
        {
            if (!trusted && !Options.AllowPrivateNetworkForChatUrls && IPAddress.TryParse(current.IdnHost.Trim('[', ']'), out var literal)
                && NetworkGuard.Classify(literal) is { } kind)
                return FetchResult.Failed(url, NetworkGuard.RefusalMessage(literal, kind), finalUrl: current);

            visited.Add(current);
            var hopResult = await SendOnceAsync(client, url, current, validators, ct).ConfigureAwait(false);
            if (hopResult.Redirect is not { } next)
                return hopResult.Result!;

            if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
                return FetchResult.Failed(url, $"refused: {current} redirects to {next}, which is not an http(s) URL", finalUrl: current);
            if (visited.Contains(next))
                return FetchResult.Failed(url, $"redirect loop: {string.Join(" → ", visited.Append(next))}", finalUrl: current);
            if (hop + 1 > Options.MaxRedirects)
                return FetchResult.Failed(url, $"{url} redirects more than {Options.MaxRedirects} times (setting Ingestion:MaxRedirects); last hop: {current} → {next}", finalUrl: current);
            logger.LogDebug("Redirect {From} → {To}", current, next);
            current = next;
        }
    }

    readonly record struct HopResult(FetchResult? Result, Uri? Redirect);

    async Task<HopResult> SendOnceAsync(HttpClient client, Uri requested, Uri url, ConditionalValidators? validators, CancellationToken ct)
    {
        var timeout = Options.HttpTimeout;
        using var timeoutCts = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        var token = linked.Token;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
            request.Headers.TryAddWithoutValidation("Accept", Accept);
            if (validators?.ETag is { Length: > 0 } etag) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            if (validators?.LastModified is { Length: > 0 } lastModified) request.Headers.TryAddWithoutValidation("If-Modified-Since", lastModified);

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            int code = (int)response.StatusCode;
            logger.LogDebug("GET {Url} → {Status}", url, code);

            if (code is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location;
                if (location is null)
                    return new(FetchResult.Failed(requested, $"{url} answered HTTP {code} (redirect) without a Location header", response.StatusCode, url), null);
                return new(null, location.IsAbsoluteUri ? location : new Uri(url, location));
            }

            string? etagOut = response.Headers.ETag?.ToString();
            string? lastModifiedOut = response.Content.Headers.LastModified?.ToString("R", CultureInfo.InvariantCulture);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new(new FetchResult
                {
                    RequestedUrl = requested, FinalUrl = url, Status = response.StatusCode, NotModified = true,
                    ETag = etagOut ?? validators?.ETag, LastModified = lastModifiedOut ?? validators?.LastModified,
                }, null);
            }
            if (!response.IsSuccessStatusCode)
            {
                var reason = string.IsNullOrWhiteSpace(response.ReasonPhrase) ? "" : $" {response.ReasonPhrase}";
                var hint = code switch
                {
                    404 or 410 => " — check the URL",
                    401 or 403 => " — the site refuses the bot (login or blocking)",
                    429 => " — the site is rate-limiting; try later",
                    >= 500 => " — the site has a problem; try later",
                    _ => "",
                };
                return new(FetchResult.Failed(requested, $"{url} answered HTTP {code}{reason}{hint}", response.StatusCode, url), null);
            }

            var contentType = response.Content.Headers.ContentType;
            var mediaType = contentType?.MediaType?.Trim().ToLowerInvariant();
            if (!IsTextualMediaType(mediaType))
                return new(FetchResult.Failed(requested, $"unsupported content type {mediaType} at {url} (expected a web page or an RSS/Atom feed)", response.StatusCode, url), null);

            long max = Options.MaxDocumentBytes;
            if (response.Content.Headers.ContentLength is long declared && declared > max)
                return new(FetchResult.Failed(requested, TooLarge(url, max, declared), response.StatusCode, url), null);

            var body = await ReadCappedAsync(response.Content, max, token).ConfigureAwait(false);
            if (body is null)
                return new(FetchResult.Failed(requested, TooLarge(url, max, null), response.StatusCode, url), null);

            return new(new FetchResult
            {
                RequestedUrl = requested,
                FinalUrl = url,
                Status = response.StatusCode,
                MediaType = mediaType,
                Charset = contentType?.CharSet?.Trim('"', '\''),
                Body = body,
                ETag = etagOut,
                LastModified = lastModifiedOut,
            }, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && timeoutCts.IsCancellationRequested)
        {
            return new(FetchResult.Failed(requested, $"{url} timed out after {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s (setting Ingestion:HttpTimeout)", finalUrl: url), null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException ex)
        {
            // the host's resilience handler bounds each try (Resilience:Sources:AttemptTimeout) and retries it
            return new(FetchResult.Failed(requested, $"{url} did not answer within {ex.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s on its last try (setting Resilience:Sources:AttemptTimeout)", finalUrl: url), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or AuthenticationException or InvalidOperationException or OperationCanceledException)
        {
            return new(FetchResult.Failed(requested, Describe(url, ex), finalUrl: url), null);
        }
    }

    static string TooLarge(Uri url, long max, long? declared) =>
        declared is long d
            ? $"{url} is {d.ToString("N0", CultureInfo.InvariantCulture)} bytes, over the {max.ToString("N0", CultureInfo.InvariantCulture)}-byte limit (setting Ingestion:MaxDocumentBytes)"
            : $"{url} is larger than the {max.ToString("N0", CultureInfo.InvariantCulture)}-byte limit (setting Ingestion:MaxDocumentBytes); the download was stopped";

    /// <summary>Reads at most <paramref name="max"/> bytes; null when the body is longer.</summary>
    static async Task<byte[]?> ReadCappedAsync(HttpContent content, long max, CancellationToken ct)
    {
        var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = ArrayPool<byte>.Shared.Rent(81920);
            try
            {
                int read;
                while ((read = await stream.ReadAsync(chunk.AsMemory(), ct).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > max) return null;
                    buffer.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            return buffer.ToArray();
        }
    }

    /// <summary>
    /// Media types worth reading: none given (sniffed later), text/*, XHTML and XML (RSS, Atom, RDF).
    /// Images, PDFs, JSON, archives and octet-streams are refused before their body is read.
    /// </summary>
    public static bool IsTextualMediaType(string? mediaType) =>
        string.IsNullOrEmpty(mediaType)
        || (mediaType.StartsWith("text/", StringComparison.Ordinal) && mediaType is not ("text/css" or "text/javascript" or "text/csv" or "text/calendar"))
        || mediaType is "application/xhtml+xml" or "application/xml" or "application/rss+xml" or "application/atom+xml" or "application/rdf+xml"
        || (mediaType.StartsWith("application/", StringComparison.Ordinal) && mediaType.EndsWith("+xml", StringComparison.Ordinal) && !mediaType.Contains("svg", StringComparison.Ordinal));

    static string Describe(Uri url, Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is BlockedAddressException blocked) return blocked.Message;
        }
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException se)
            {
                return se.SocketErrorCode switch
                {
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"{url.Host} could not be found (DNS) — check the URL",
                    SocketError.ConnectionRefused => $"{url.Authority} refused the connection",
                    SocketError.TimedOut => $"connecting to {url.Authority} timed out",
                    _ => $"could not connect to {url.Authority}: {se.Message}",
                };
            }
            if (e is AuthenticationException) return $"TLS handshake with {url.Authority} failed: {e.Message}";
        }
        return $"downloading {url} failed: {ex.GetBaseException().Message}";
    }
}
