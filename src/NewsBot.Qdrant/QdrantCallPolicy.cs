using Grpc.Core;
using NewsBot.Core.Ports;
using Polly;
using Qdrant.Client;

namespace NewsBot.Qdrant;

/// <summary>What the Qdrant adapter retries; how often and how long to wait is configured by the host (one place for every pipeline).</summary>
public static class QdrantRetry
{
    /// <summary>The key of the pipeline the host registers for Qdrant calls.</summary>
    public const string PipelineKey = "newsbot-qdrant";

    /// <summary>Transient gRPC failures: Unavailable, DeadlineExceeded, ResourceExhausted, Aborted. Anything else is not retried.</summary>
    public static bool IsTransient(Exception e) => e is RpcException r && IsTransient(r.StatusCode);

    public static bool IsTransient(StatusCode code)
        => code is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted;
}

/// <summary>
/// Runs Qdrant calls through the host's resilience pipeline (<see cref="QdrantRetry.PipelineKey"/>: transient gRPC
/// failures retried with bounded exponential backoff), then gives up with one <see cref="IndexUnavailableException"/>
/// that names Qdrant, the endpoint and the setting to check; non-transient failures are not retried and are wrapped the
/// same way. Cancellation by the caller passes through as <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class QdrantCallPolicy(QdrantOptions options, ResiliencePipeline pipeline)
{
    public async Task RunAsync(string operation, Func<CancellationToken, Task> call, CancellationToken ct)
        => await RunAsync<bool>(operation, async c =>
        {
            await call(c).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        int attempts = 0;
        // the operation name reaches the pipeline's retry log through the context
        var context = ResilienceContextPool.Shared.Get(operation, ct);
        try
        {
            return await pipeline.ExecuteAsync(async ctx =>
            {
                attempts++;
                return await call(ctx.CancellationToken).ConfigureAwait(false);
            }, context).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (RpcException e) when (QdrantRetry.IsTransient(e.StatusCode) && !ct.IsCancellationRequested)
        {
            throw GaveUp(operation, e, attempts);
        }
        catch (RpcException e)
        {
            throw Rejected(operation, e);
        }
        catch (QdrantException e)
        {
            throw new IndexUnavailableException($"Qdrant at {options.DisplayEndpoint} could not {operation} in collection '{options.Collection}': {e.Message}", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
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
