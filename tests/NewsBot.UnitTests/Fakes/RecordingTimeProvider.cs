namespace NewsBot.UnitTests.Fakes;

/// <summary>
/// A clock for retry tests: every timer (a retry's wait) is recorded in <paramref name="waits"/> and fires at once, so
/// a test sees the exact delays a pipeline chose without sleeping through them.
/// </summary>
public sealed class RecordingTimeProvider(List<TimeSpan> waits) : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (waits) waits.Add(dueTime);
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new Fired();
    }

    sealed class Fired : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
