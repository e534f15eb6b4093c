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
/// parameter) and made exactly once, by <see cref="SendCommitHandler"/>, immediately before the first request's bytes
/// are handed to the connection: after the flood limiter's permit, after the request is serialised, not again on a
/// retry. What remains between the commit and Telegram receiving the request is the write to a socket (and, on a cold
/// pool, the connect): a kill -9 there loses the send. It cannot be closed with the Bot API, which has no idempotency
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

    private bool Committed => _outcome is { IsCompletedSuccessfully: true, Result: true };

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
/// On the Telegram HttpClient, the last step before the connection: serialises the request, then makes the commit
/// pending in the flow (<see cref="SendCommit"/>), so that the request leaves right after the commit is durable.
/// </summary>
public sealed class SendCommitHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (SendCommit.Current is { } pending)
        {
            // the body's bytes are ready before the commit: only the socket write (and connect) is left after it
            if (request.Content is { } content) await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            await pending.EnsureCommittedAsync(cancellationToken).ConfigureAwait(false);
        }
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
