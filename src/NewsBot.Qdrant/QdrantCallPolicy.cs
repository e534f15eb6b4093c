using Grpc.Core;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Ports;
using Qdrant.Client;

namespace NewsBot.Qdrant;

/// <summary>
/// Runs Qdrant calls: retries transient gRPC failures (Unavailable, DeadlineExceeded, ResourceExhausted, Aborted)
/// with bounded exponential backoff, then gives up with one <see cref="IndexUnavailableException"/> that names
/// Qdrant, the endpoint and the setting to check; non-transient failures are not retried and are wrapped the same way.
/// Cancellation by the caller passes through as <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class QdrantCallPolicy(QdrantOptions options, ILogger logger, TimeProvider time)
{
    /// <summary>First backoff; each retry doubles it, up to <see cref="MaxDelay"/>.</summary>
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(4);

    /// <summary>Waits between attempts (tests replace it to record delays instead of sleeping).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; set; } = (d, ct) => Task.Delay(d, time, ct);

    public static bool IsTransient(StatusCode code)
        => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;

    public static TimeSpan Backoff(int retry)
    {
        var ms = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }

    public async Task RunAsync(string operation, Func<CancellationToken, Task> call, CancellationToken ct)
        => await RunAsync<bool>(operation, async c =>
        {
            await call(c).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        int attempts = Math.Max(0, options.MaxRetries) + 1;
        for (int attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return await call(ct).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                throw new OperationCanceledException(ct);
            }
            catch (RpcException e) when (IsTransient(e.StatusCode) && !ct.IsCancellationRequested)
            {
                if (attempt >= attempts) throw GaveUp(operation, e, attempts);
                var delay = Backoff(attempt);
                logger.LogWarning("Qdrant {Operation} at {Endpoint} failed with gRPC {Status} (attempt {Attempt} of {Attempts}); retrying in {DelayMs} ms",
                    operation, options.DisplayEndpoint, e.StatusCode, attempt, attempts, (int)delay.TotalMilliseconds);
                await Delay(delay, ct).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw Rejected(operation, e);
            }
            catch (QdrantException e)
            {
                throw new IndexUnavailableException($"Qdrant at {options.DisplayEndpoint} could not {operation} in collection '{options.Collection}': {e.Message}", e);
            }
        }
    }

    /// <summary>The message after the last transient failure.</summary>
    internal IndexUnavailableException GaveUp(string operation, RpcException e, int attempts)
    {
        var endpoint = options.DisplayEndpoint;
        var what = $"gRPC {e.StatusCode} after {attempts} attempt{(attempts == 1 ? "" : "s")}";
        string message = e.StatusCode switch
        {
            StatusCode.Unavailable =>
                $"Cannot reach Qdrant at {endpoint} ({what}). Check Qdrant:Endpoint (Qdrant's gRPC port, 6334 by default) and that Qdrant is running, " +
                "e.g. docker run -p 6333:6333 -p 6334:6334 qdrant/qdrant." + PortHint(),
            StatusCode.DeadlineExceeded =>
                $"Qdrant at {endpoint} did not answer {operation} within Qdrant:Timeout ({options.Timeout}) ({what}). " +
                "Check that Qdrant is healthy, or raise Qdrant:Timeout.",
            _ =>
                $"Qdrant at {endpoint} kept refusing {operation} ({what}): the server is overloaded or busy. Try again later, " +
                "or lower Qdrant:UpsertBatchSize when this happens while ingesting.",
        };
        return new IndexUnavailableException(message + Detail(e), e);
    }

    /// <summary>
    /// The exception for a failure that retrying cannot fix: a vector size Qdrant refuses is a model mismatch;
    /// everything else is an <see cref="IndexUnavailableException"/> naming what to check.
    /// </summary>
    internal Exception Rejected(string operation, RpcException e)
    {
        var endpoint = options.DisplayEndpoint;
        var collection = options.Collection;
        if (e.StatusCode == StatusCode.InvalidArgument && e.Status.Detail.Contains("dimension error", StringComparison.OrdinalIgnoreCase))
            return new IndexModelMismatchException(
                $"Qdrant at {endpoint} refused the vectors of {operation} for collection '{collection}': the collection was built for " +
                "another vector size, so another embedding model. Run `newsbot reindex` to rebuild it with the configured model, " +
                "or set Qdrant:Collection to another collection." + Detail(e));
        string message = e.StatusCode switch
        {
            StatusCode.Unauthenticated or StatusCode.PermissionDenied =>
                $"Qdrant at {endpoint} refused {operation} (gRPC {e.StatusCode}): the API key is missing or wrong. " +
                "Check Qdrant:ApiKey (set it with the environment variable Qdrant__ApiKey).",
            StatusCode.NotFound =>
                $"Qdrant at {endpoint} has no collection '{collection}' ({operation}, gRPC NotFound). Ingest an article or run " +
                "`newsbot reindex --to qdrant` to create it, or check Qdrant:Collection.",
            StatusCode.Unimplemented =>
                $"Qdrant at {endpoint} does not support {operation} (gRPC Unimplemented). NewsBot needs Qdrant 1.16 or newer, " +
                "and Qdrant:Endpoint must be the gRPC port (6334 by default)." + PortHint(),
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.AlreadyExists =>
                $"Qdrant at {endpoint} rejected {operation} in collection '{collection}' (gRPC {e.StatusCode}).",
            _ =>
                $"Qdrant at {endpoint} failed {operation} in collection '{collection}' (gRPC {e.StatusCode}).",
        };
        return new IndexUnavailableException(message + Detail(e), e);
    }

    string PortHint()
        => Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var u) && u.Port == 6333
            ? " Port 6333 is Qdrant's REST port; NewsBot talks gRPC: use 6334."
            : "";

    static string Detail(RpcException e)
    {
        var d = e.Status.Detail;
        if (string.IsNullOrWhiteSpace(d)) return "";
        d = d.ReplaceLineEndings(" ").Trim();
        if (d.Length > 300) d = d[..300] + "…";
        return $" Qdrant said: {d}";
    }
}
