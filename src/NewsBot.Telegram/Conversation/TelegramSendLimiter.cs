using Microsoft.Extensions.Options;

namespace NewsBot.Telegram.Conversation;

/// <summary>
/// Keeps the bot's own messages within Telegram's flood limits (<see cref="TelegramSendLimitOptions"/>): a message over
/// a limit waits until it may go (it is queued, never dropped), and one chat's messages go out in the order they were
/// handed over. <see cref="TelegramSender"/> takes a chat's turn (<see cref="EnterChatAsync"/>) for a whole send,
/// retries included, and waits for a permit (<see cref="WaitToSendAsync"/>) before each attempt: every request that
/// reaches Telegram counts, a retry after 429 or 500 as much as the first try.
/// </summary>
/// <remarks>
/// Hand-written rather than built from System.Threading.RateLimiting: Telegram states its limits as "N in any window"
/// (30 in a second, 20 in a minute in a group). The library's window limiters count in segments, so a window that
/// straddles a segment boundary can see up to twice the limit, and a token bucket lets its burst plus its rate through
/// within one second. A log of the last N send times enforces "N in any window" exactly, in a few lines, and waits
/// on the host's <see cref="TimeProvider"/> (tests drive it).
/// </remarks>
public sealed class TelegramSendLimiter(IOptions<TelegramOptions> options, TimeProvider time)
{
    /// <summary>
    /// Each window is kept this much longer than Telegram's: requests take varying time to arrive, and two messages sent
    /// a full window apart must not land closer together than that at the other end.
    /// </summary>
    public const double WindowMargin = 1.1;

    private readonly TelegramSendLimitOptions _limits = options.Value.SendLimits;
    private readonly SendLog _global = new(options.Value.SendLimits.MessagesPerSecond, TimeSpan.FromSeconds(WindowMargin));
    private readonly SemaphoreSlim _globalTurn = new(1, 1); // async waiters are released first come, first served
    private readonly Lock _lock = new();
    private readonly Dictionary<long, ChatState> _chats = [];
    private int _sweepAt = 1024;

    private sealed class ChatState(SendLog perChat, SendLog? group)
    {
        public readonly SendLog PerChat = perChat;
        public readonly SendLog? Group = group;
        public Task Tail = Task.CompletedTask;
        public int Users;
    }

    /// <summary>
    /// Waits for the chat's earlier sends to finish, then holds the chat's turn until the returned object is disposed.
    /// Turns are granted in the order they were asked for, so one chat's messages never overtake each other.
    /// </summary>
    public async Task<IDisposable> EnterChatAsync(long chatId, CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ChatState state;
        Task previous;
        lock (_lock)
        {
            state = StateOf(chatId);
            previous = state.Tail;
            state.Tail = done.Task;
            state.Users++;
        }
        var turn = new Turn(this, state, done);
        try
        {
            await previous.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // whoever queued behind this turn still waits for the one before it
            _ = previous.ContinueWith(_ => turn.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
        return turn;
    }

    /// <summary>
    /// Waits until one more message to <paramref name="chatId"/> stays within every limit, and counts it as sent.
    /// The caller holds the chat's turn (<see cref="EnterChatAsync"/>), so nothing else uses up the chat's own limits
    /// meanwhile; the global limit is shared, and waiters for it are served in order.
    /// </summary>
    public async Task WaitToSendAsync(long chatId, CancellationToken ct)
    {
        ChatState state;
        lock (_lock)
            state = StateOf(chatId);
        while (Wait(state.PerChat, state.Group) is { } wait)
            await Task.Delay(wait, time, ct).ConfigureAwait(false);

        await _globalTurn.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                TimeSpan wait;
                lock (_lock)
                {
                    var now = time.GetTimestamp();
                    wait = _global.WaitAt(now, time);
                    if (wait <= TimeSpan.Zero)
                    {
                        _global.Add(now);
                        state.PerChat.Add(now);
                        state.Group?.Add(now);
                        return;
                    }
                }
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _globalTurn.Release();
        }
    }

    private TimeSpan? Wait(SendLog perChat, SendLog? group)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            var wait = perChat.WaitAt(now, time);
            if (group?.WaitAt(now, time) is { } g && g > wait)
                wait = g;
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    private ChatState StateOf(long chatId)
    {
        if (_chats.TryGetValue(chatId, out var state))
            return state;
        if (_chats.Count >= _sweepAt)
            Sweep();
        var chatWindow = TimeSpan.FromSeconds(WindowMargin * _limits.PerChatBurst / _limits.PerChatPerSecond);
        state = new ChatState(
            new SendLog(_limits.PerChatBurst, chatWindow),
            chatId < 0 ? new SendLog(_limits.PerGroupPerMinute, TimeSpan.FromMinutes(WindowMargin)) : null); // groups and channels have negative ids
        _chats[chatId] = state;
        return state;
    }

    /// <summary>Forgets chats nobody is sending to whose windows have passed (keeps the table small on a busy bot).</summary>
    private void Sweep()
    {
        var now = time.GetTimestamp();
        foreach (var (id, state) in _chats.ToList())
        {
            if (state.Users == 0 && state.PerChat.IsIdle(now, time) && (state.Group?.IsIdle(now, time) ?? true))
                _chats.Remove(id);
        }
        _sweepAt = Math.Max(1024, _chats.Count * 2);
    }

    /// <summary>How many chats the limiter currently tracks (for tests).</summary>
    internal int TrackedChats
    {
        get
        {
            lock (_lock)
                return _chats.Count;
        }
    }

    private sealed class Turn(TelegramSendLimiter owner, ChatState state, TaskCompletionSource done) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            lock (owner._lock)
                state.Users--;
            done.TrySetResult();
        }
    }

    /// <summary>The times of the last sends within one window; at most <c>limit</c> of them.</summary>
    private sealed class SendLog(int limit, TimeSpan window)
    {
        private readonly Queue<long> _stamps = new();

        /// <summary>How long until one more send fits in the window (zero or less: now).</summary>
        public TimeSpan WaitAt(long now, TimeProvider time)
        {
            while (_stamps.Count > 0 && time.GetElapsedTime(_stamps.Peek(), now) >= window)
                _stamps.Dequeue();
            return _stamps.Count < limit ? TimeSpan.Zero : window - time.GetElapsedTime(_stamps.Peek(), now);
        }

        public void Add(long now) => _stamps.Enqueue(now);

        public bool IsIdle(long now, TimeProvider time) => WaitAt(now, time) <= TimeSpan.Zero && _stamps.Count == 0;
    }
}
