using System.Runtime.ExceptionServices;

namespace NewsBot.Sqlite;

internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// Runs <paramref name="part"/> for 0…<paramref name="parts"/> − 1, then <paramref name="afterParts"/> (if any: what
    /// needs every part, the merge and the exact re-scoring), and <paramref name="alongside"/> (if any: the short lexical
    /// leg) on all cores, the calling thread included (<see cref="PartRun"/>). The dense parts are handed out first; the
    /// thread that finishes the last part runs <paramref name="afterParts"/>, and the first thread that finds no part left
    /// runs <paramref name="alongside"/>, so that it overlaps the serial re-scoring instead of delaying a part. Handed out
    /// first (before §2.2.6), the lexical leg held up one core's part while the other core, done with its part, waited
    /// for it and then for the re-scoring on one core.
    /// </summary>
    internal static void ParallelParts(int parts, Action? alongside, Action<int> part, Action? afterParts = null)
    {
        int units = parts + (alongside is null ? 0 : 1);
        if (Environment.ProcessorCount <= 1 || units <= 1)
        {
            alongside?.Invoke();
            for (int p = 0; p < parts; p++) part(p);
            afterParts?.Invoke();
            return;
        }
        new PartRun(parts, alongside, part, afterParts).Run(Math.Min(Environment.ProcessorCount, units) - 1, QueueHelper);
    }

    static readonly Action<IThreadPoolWorkItem> QueueHelper = static item => ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);

    /// <summary>
    /// One fork-join of <see cref="ParallelParts"/>. Hand-written rather than <see cref="Parallel.For(int, int, Action{int})"/>:
    /// that waits, before it returns, for every helper task it queued to have started and found the work gone, so a search
    /// whose calling thread had done all the work still waited for a pool thread to wake up (the slowest searches of the
    /// 100k bench: every item done on the calling thread after ~2 ms, the call returning at 10–20 ms under load;
    /// BENCHMARKS.md §2.2.6). Here the calling thread waits only for items another thread has taken; a helper that starts
    /// late finds nothing left and returns.
    /// </summary>
    internal sealed class PartRun : IThreadPoolWorkItem
    {
        readonly int _parts;
        readonly Action? _alongside;
        readonly Action<int> _part;
        readonly Action? _afterParts;
        int _next = -1;            // the last part handed out
        int _partsLeft;            // parts not finished (the one that brings it to 0 runs afterParts)
        int _alongsideTaken;
        int _unitsLeft;            // parts (afterParts counted with the last) and alongside not finished
        readonly ManualResetEventSlim _done = new(false, spinCount: 200);
        ExceptionDispatchInfo? _failure;

        public PartRun(int parts, Action? alongside, Action<int> part, Action? afterParts)
        {
            (_parts, _alongside, _part, _afterParts) = (parts, alongside, part, afterParts);
            _partsLeft = parts;
            _unitsLeft = parts + (alongside is null ? 0 : 1);
        }

        /// <summary>Queues <paramref name="helpers"/> helpers by <paramref name="queue"/>, works on the calling thread, and waits for what helpers took.</summary>
        public void Run(int helpers, Action<IThreadPoolWorkItem> queue)
        {
            for (int i = 0; i < helpers; i++) queue(this);
            Work();
            // only items that a helper took can still be running; one that never started is not waited for
            if (Volatile.Read(ref _unitsLeft) > 0) _done.Wait();
            _failure?.Throw();
            // the event is not disposed: a helper that starts late still reads the counters, and a blocked wait of the slim
            // event uses a monitor, not a kernel handle, so there is nothing to release
        }

        /// <summary>A helper's turn: the same as the calling thread's, and nothing where the work is gone.</summary>
        public void Execute() => Work();

        void Work()
        {
            for (int item = Interlocked.Increment(ref _next); item < _parts; item = Interlocked.Increment(ref _next))
            {
                bool ok = Try(_part, item);
                if (Interlocked.Decrement(ref _partsLeft) == 0 && ok && Volatile.Read(ref _failure) is null && _afterParts is not null)
                    Try(static after => after(), _afterParts);
                Finished();
            }
            if (_alongside is not null && Interlocked.Exchange(ref _alongsideTaken, 1) == 0)
            {
                Try(static alongside => alongside(), _alongside);
                Finished();
            }
        }

        bool Try<T>(Action<T> action, T argument)
        {
            try
            {
                action(argument);
                return true;
            }
            catch (Exception e)
            {
                // rethrown on the calling thread once every taken item has finished
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                return false;
            }
        }

        void Finished()
        {
            if (Interlocked.Decrement(ref _unitsLeft) == 0) _done.Set();
        }
    }
}
