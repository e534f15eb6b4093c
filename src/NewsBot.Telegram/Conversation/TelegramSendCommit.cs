namespace NewsBot.Telegram.Conversation;

/// <summary>
/// The send's commit was refused (another worker recorded it first) or failed: the request was not made. Never retried.
/// </summary>
public sealed class SendNotCommittedException(bool refused, Exception? inner = null)
    : Exception(refused ? "The send is already recorded elsewhere: not sent." : "Recording the send failed: not sent.", inner)
{
    public bool Refused { get; } = refused;
}

/// <summary>
/// A commit (recording in the store that a digest or follow update is sent) carried with a send through the async flow
/// (an <see cref="AsyncLocal{T}"/>, so that the sender, its Polly pipeline and the Telegram.Bot client need no extra
/// parameter) and made exactly once, by <see cref="SendCommitHandler"/>, immediately before the first request's body
/// is written to the connection: after the flood limiter's permit, after the request is serialised, after the
/// connection is ready, not again on a retry. What remains between the commit and Telegram receiving the request is
/// the write to the socket: a kill -9 there loses the send. It cannot be closed with the Bot API, which has no idempotency
/// key: recording after the send instead would repeat it after a crash, which is worse for a digest than losing it.
/// </summary>
public sealed class SendCommit
{
    private static readonly AsyncLocal<SendCommit?> CurrentCommit = new();
    private readonly Func<CancellationToken, Task<bool>> _commit;
    private readonly object _gate = new();
    private Task<bool>? _outcome;

    private SendCommit(Func<CancellationToken, Task<bool>> commit) => _commit = commit;

    /// <summary>The commit pending in this async flow, if any.</summary>
    internal static SendCommit? Current => CurrentCommit.Value;

    internal bool Committed => _outcome is { IsCompletedSuccessfully: true, Result: true };

    /// <summary>
    /// Runs <paramref name="send"/> with <paramref name="commit"/> pending: false when the commit was refused (nothing
    /// was sent). A send that made no request at all commits at its end.
    /// </summary>
    public static async Task<bool> RunAsync(Func<CancellationToken, Task<bool>> commit, Func<Task> send, CancellationToken ct)
    {
        var pending = new SendCommit(commit);
        CurrentCommit.Value = pending; // restored when this async method returns: the caller's flow never sees it
        try
        {
            await send().ConfigureAwait(false);
        }
        catch (Exception) when (pending._outcome is { IsCompleted: true } outcome && !pending.Committed)
        {
            // the commit stopped the request (the client and pipeline may have wrapped that): nothing was sent
            if (outcome.IsCompletedSuccessfully) return false;
            await outcome.ConfigureAwait(false); // the store's own failure, unwrapped
            throw;
        }
        finally
        {
            CurrentCommit.Value = null;
        }
        return pending.Committed || await pending.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="e"/> (or what it wraps: the client and HttpClient wrap it) is a send stopped by its commit.</summary>
    public static bool StoppedByCommit(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is SendNotCommittedException) return true;
        return false;
    }

    /// <summary>Commits once (later calls, e.g. a retry's request, see the same outcome).</summary>
    internal Task<bool> CommitAsync(CancellationToken ct)
    {
        lock (_gate) return _outcome ??= _commit(ct);
    }

    /// <summary>Commits once, right now, or throws <see cref="SendNotCommittedException"/>.</summary>
    internal async Task EnsureCommittedAsync(CancellationToken ct)
    {
        bool committed;
        try
        {
            committed = await CommitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw new SendNotCommittedException(refused: false, e);
        }
        if (!committed) throw new SendNotCommittedException(refused: true);
    }
}

/// <summary>
/// On the Telegram HttpClient, the last step before the connection: serialises the request, then carries the commit
/// pending in the flow (<see cref="SendCommit"/>) into the request body, which makes it when the connection is ready
/// and the headers are written, right before the body's bytes: only the socket write is left after the commit.
/// </summary>
public sealed class SendCommitHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (SendCommit.Current is { } pending && !pending.Committed)
        {
            if (request.Content is { } content)
            {
                var body = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false); // serialised before the commit
                var committing = new CommitOnWriteContent(body, pending);
                foreach (var (name, values) in content.Headers)
                    committing.Headers.TryAddWithoutValidation(name, values);
                request.Content = committing;
                content.Dispose();
            }
            else
            {
                await pending.EnsureCommittedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A request body that makes the commit when the connection asks for its bytes (SocketsHttpHandler has buffered
    /// the headers by then and flushes them with the body): a refused or failed commit aborts the request before the
    /// body leaves, so Telegram never acts on it. (No hook of HttpClient runs later than this.)
    /// </summary>
    private sealed class CommitOnWriteContent(byte[] body, SendCommit pending) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await pending.EnsureCommittedAsync(cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
