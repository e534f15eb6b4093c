using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using NewsBot.Telegram.Conversation;
using Polly;
using Polly.Registry;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace NewsBot.Telegram;

/// <summary>
/// Runs stored updates through <see cref="TelegramUpdateHandler"/>: chats are served concurrently (at most
/// <c>MaxConcurrentChats</c> at a time) while each chat's updates are handled strictly in order. An update
/// is marked done in the inbox after it was handled; one that keeps failing is given up after
/// <c>MaxUpdateAttempts</c> (logged, marked done), and one whose reply Telegram refuses for good (the bot was
/// blocked or removed, the chat is gone) is given up at once. Nothing runs before <see cref="Open"/>, so the starting
/// service can queue what the inbox still holds ahead of new updates. On shutdown no new update starts,
/// in-flight ones may finish until the host's shutdown token fires and are then cancelled: unfinished
/// updates stay pending in the inbox and are handled after a restart.
/// </summary>
public sealed class TelegramUpdateDispatcher : IDisposable
{
    public const string Channel = "telegram";

    private sealed record Work(InboxItem Item, Update? Update);

    private sealed class ChatQueue
    {
        public readonly Queue<Work> Items = new();
        public bool Running;
    }

    private readonly TelegramUpdateHandler _handler;
    private readonly IInboxStore _inbox;
    private readonly IOptions<TelegramOptions> _options;
    private readonly ResiliencePipeline _updatePipeline;
    private readonly LogRedaction _redaction;
    private readonly ILogger<TelegramUpdateDispatcher> _logger;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, ChatQueue> _chats = [];
    private readonly HashSet<long> _known = [];
    private readonly HashSet<Task> _workers = [];
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private bool _open;

    public TelegramUpdateDispatcher(TelegramUpdateHandler handler, IInboxStore inbox, IOptions<TelegramOptions> options,
        ResiliencePipelineProvider<string> pipelines, LogRedaction redaction, ILogger<TelegramUpdateDispatcher> logger)
    {
        _handler = handler;
        _inbox = inbox;
        _options = options;
        _updatePipeline = pipelines.GetPipeline(TelegramRetry.UpdatePipelineKey);
        _redaction = redaction;
        _logger = logger;
        _slots = new SemaphoreSlim(options.Value.MaxConcurrentChats, options.Value.MaxConcurrentChats);
    }

    /// <summary>Queues a stored update; false when the same update id is queued or running already.</summary>
    public bool Enqueue(InboxItem item, Update? update = null)
    {
        update ??= TryParse(item.Payload);
        var key = update is null ? 0 : ChatKey(update);
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested || !_known.Add(item.UpdateId))
                return false;
            if (!_chats.TryGetValue(key, out var queue))
                _chats[key] = queue = new ChatQueue();
            queue.Items.Enqueue(new Work(item, update));
            if (_open)
                StartWorker(key, queue);
            return true;
        }
    }

    /// <summary>Starts handling (queued updates first).</summary>
    public void Open()
    {
        lock (_lock)
        {
            if (_open)
                return;
            _open = true;
            foreach (var (key, queue) in _chats)
                StartWorker(key, queue);
        }
    }

    /// <summary>How many updates are queued or running (for diagnostics and tests).</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
                return _known.Count;
        }
    }

    /// <summary>
    /// Stops starting updates and waits for the running ones; when <paramref name="shutdownToken"/> fires first,
    /// cancels them (they stay pending in the inbox).
    /// </summary>
    public async Task StopAsync(CancellationToken shutdownToken)
    {
        Task[] running;
        lock (_lock)
        {
            _stopping.Cancel();
            running = [.. _workers];
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(shutdownToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Shutdown timeout reached: abandoning {Count} Telegram update(s) in progress; they stay pending and are handled after restart",
                Pending);
            await _abort.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Some Telegram handlers did not stop within 5 s of cancellation");
            }
        }
    }

    private void StartWorker(long key, ChatQueue queue)
    {
        if (queue.Running || queue.Items.Count == 0)
            return;
        queue.Running = true;
        var task = Task.Run(() => RunChatAsync(key, queue));
        _workers.Add(task);
        _ = task.ContinueWith(t =>
        {
            lock (_lock)
                _workers.Remove(t);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunChatAsync(long key, ChatQueue queue)
    {
        while (true)
        {
            Work work;
            lock (_lock)
            {
                if (queue.Items.Count == 0 || _stopping.IsCancellationRequested)
                {
                    queue.Running = false;
                    if (queue.Items.Count == 0)
                        _chats.Remove(key);
                    return;
                }
                work = queue.Items.Dequeue();
            }

            try
            {
                await _slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Forget(work);
                continue;
            }

            try
            {
                await ProcessAsync(work).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError("Unexpected failure handling Telegram update {UpdateId}: {Error}", work.Item.UpdateId, _redaction.Full(ex));
            }
            finally
            {
                _slots.Release();
                Forget(work);
            }
        }
    }

    private void Forget(Work work)
    {
        lock (_lock)
            _known.Remove(work.Item.UpdateId);
    }

    private async Task ProcessAsync(Work work)
    {
        var id = work.Item.UpdateId;
        var max = _options.Value.MaxUpdateAttempts;
        var attempts = work.Item.Attempts;
        var ct = _abort.Token;

        if (work.Update is null)
        {
            _logger.LogWarning("Telegram update {UpdateId} could not be read; marking it done", id);
            await _inbox.MarkDoneAsync(Channel, id, ct).ConfigureAwait(false);
            return;
        }

        if (attempts >= max)
        {
            _logger.LogError("Giving up on Telegram update {UpdateId} after {Attempts} failed attempts; marking it done", id, attempts);
            await _inbox.MarkDoneAsync(Channel, id, ct).ConfigureAwait(false);
            return;
        }

        // The update runs again after a failure through the host's pipeline UpdatePipelineKey (while fewer than
        // MaxUpdateAttempts were made; not after a bug or a permanent refusal). Its waits end when the dispatcher stops
        // (the update stays pending); the handler itself runs until the host's shutdown token fires (_abort).
        var context = ResilienceContextPool.Shared.Get(_stopping.Token);
        context.Properties.Set(TelegramRetry.UpdateAttempts, attempts);
        context.Properties.Set(TelegramRetry.MaxUpdateAttempts, max);
        try
        {
            await _updatePipeline.ExecuteAsync(async c =>
            {
                await _inbox.RecordAttemptAsync(Channel, id, ct).ConfigureAwait(false);
                c.Properties.Set(TelegramRetry.UpdateAttempts, ++attempts);
                try
                {
                    await _handler.HandleAsync(work.Update, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not TelegramPermanentSendException && !(ex is OperationCanceledException && ct.IsCancellationRequested))
                {
                    _logger.LogWarning("Handling Telegram update {UpdateId} failed (attempt {Attempt} of {Max}): {Error}",
                        id, attempts, max, _redaction.Full(ex));
                    throw;
                }
            }, context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _logger.LogInformation("Telegram update {UpdateId} abandoned at shutdown; it stays pending", id);
            return;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return; // shutting down while waiting to run it again: stays pending
        }
        catch (TelegramPermanentSendException ex)
        {
            // Blocked, kicked, chat gone…: running the update again would only compute the answer again.
            _logger.LogWarning("Giving up on Telegram update {UpdateId}: Telegram will not deliver {Method} to chat {ChatId} ({Error}); not retrying it",
                id, ex.Method, ex.ChatId, _redaction.Describe(ex.InnerException ?? ex));
            await _inbox.MarkDoneAsync(Channel, id, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            if (attempts >= max)
                _logger.LogError("Giving up on Telegram update {UpdateId} after {Attempts} failed attempts; marking it done", id, attempts);
            else
                _logger.LogError("Giving up on Telegram update {UpdateId}: {Error} is not worth another attempt (a bug, or a refusal); marking it done",
                    id, ex.GetType().Name);
            await _inbox.MarkDoneAsync(Channel, id, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        try
        {
            await _inbox.MarkDoneAsync(Channel, id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError("Telegram update {UpdateId} was handled but could not be marked done (it may be handled again after restart): {Error}",
                id, _redaction.Describe(ex));
        }
    }

    private Update? TryParse(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<Update>(payload, JsonBotAPI.Options);
        }
        catch (JsonException ex)
        {
            _logger.LogWarning("Unreadable Telegram update payload: {Error}", ex.Message);
            return null;
        }
    }

    /// <summary>Updates of one chat share a queue (callbacks by the chat of their message, else the user).</summary>
    private static long ChatKey(Update update) => update switch
    {
        { Message: { } m } => m.Chat.Id,
        { EditedMessage: { } m } => m.Chat.Id,
        { CallbackQuery: { } q } => q.Message?.Chat.Id ?? q.From.Id,
        _ => 0,
    };

    public void Dispose()
    {
        _stopping.Dispose();
        _abort.Dispose();
        _slots.Dispose();
    }
}
