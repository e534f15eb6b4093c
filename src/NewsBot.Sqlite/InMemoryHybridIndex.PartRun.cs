using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace NewsBot.Sqlite;

internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// What runs after the dense parts (<see cref="ParallelParts"/>): <see cref="Prepare"/> once every part is done (the
    /// merge), returning how many <see cref="Item"/>s follow (chunks of the exact re-scoring, which any core may take),
    /// then <see cref="Finish"/> once they are all done.
    /// </summary>
    internal interface IPartsTail
    {
        int Prepare();

        void Item(int index);

        void Finish();
    }

    /// <summary>
    /// Runs <paramref name="part"/> for 0…<paramref name="parts"/> − 1, then <paramref name="tail"/> (if any: the merge
    /// and the exact re-scoring, <see cref="IPartsTail"/>), and <paramref name="alongside"/> (if any: the short lexical
    /// leg) on all cores, the calling thread included (<see cref="PartRun"/>). The dense parts are handed out first; the
    /// thread that finishes the last part prepares the tail, the first thread that finds no part left runs
    /// <paramref name="alongside"/>, and every thread then takes the tail's items until none is left. Handed out first
    /// (before §2.2.6), the lexical leg held up one core's part while the other core, done with its part, waited for it
    /// and then for the re-scoring on one core.
    /// </summary>
    internal static void ParallelParts(int parts, Action? alongside, Action<int> part, IPartsTail? tail = null)
    {
        int units = parts + (alongside is null ? 0 : 1);
        if (Environment.ProcessorCount <= 1 || units <= 1)
        {
            alongside?.Invoke();
            for (int p = 0; p < parts; p++) part(p);
            if (tail is null) return;
            for (int i = 0, n = tail.Prepare(); i < n; i++) tail.Item(i);
            tail.Finish();
            return;
        }
        new PartRun(parts, alongside, part, tail).Run(Math.Min(Environment.ProcessorCount, units) - 1, QueueHelper);
    }

    /// <summary>
    /// Hands a run to a free long-lived helper thread (<see cref="SearchHelpers"/>, woken when the search started), or,
    /// where every helper is busy with another search's run or <see cref="UseSearchHelpers"/> is off, to the thread pool.
    /// </summary>
    static readonly Action<IThreadPoolWorkItem> QueueHelper = static item =>
    {
        if (UseSearchHelpers)
        {
            var helpers = SearchHelpers.Shared;
            for (int i = 0; i < helpers.Count; i++)
                if (helpers.TryPost(i, item)) return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
    };

    /// <summary>Off: the fork-join's helpers are thread-pool work items, as before §2.2.8 (for measuring one against the other).</summary>
    internal static bool UseSearchHelpers = Environment.GetEnvironmentVariable("NEWSBOT_SEARCH_HELPERS") != "0";

    /// <summary>
    /// Called when a search that will fork starts: wakes the parked helpers now, so that their wake-up overlaps the
    /// query's preparation (quantising it, the code tables) instead of following the post (BENCHMARKS.md §2.2.8).
    /// </summary>
    static void WakeHelpers()
    {
        if (UseSearchHelpers && Environment.ProcessorCount > 1) SearchHelpers.Shared.Wake();
    }

    /// <summary>
    /// One fork-join of <see cref="ParallelParts"/>. Hand-written rather than <see cref="Parallel.For(int, int, Action{int})"/>:
    /// that waits, before it returns, for every helper task it queued to have started and found the work gone, so a search
    /// whose calling thread had done all the work still waited for a pool thread to wake up (the slowest searches of the
    /// 100k bench: every item done on the calling thread after ~2 ms, the call returning at 10–20 ms under load;
    /// BENCHMARKS.md §2.2.6). Here the calling thread waits only for items another thread has taken; a helper that starts
    /// late finds nothing left and returns. A thread with nothing left to take while the tail is not yet prepared (the
    /// other core is finishing the last part) spins for it 0.1 ms (about two chunks of the tail), so that both cores share
    /// the re-scoring; past that a helper leaves the tail to the other core, and the calling thread blocks until the tail
    /// is prepared and then takes what is left of it. The spin does not yield: a helper that yielded while spinning was
    /// rescheduled milliseconds later on a loaded machine, competing with the calling thread's fusion after the call had
    /// returned, and a longer spin of the calling thread took CPU from the helper it waited for (BENCHMARKS.md §2.2.6).
    /// </summary>
    internal sealed class PartRun : IThreadPoolWorkItem
    {
        static readonly long TailSpinTicks = Stopwatch.Frequency / 10_000;
        readonly int _parts;
        readonly Action? _alongside;
        readonly Action<int> _part;
        readonly IPartsTail? _tail;
        int _next = -1;            // the last part handed out
        int _partsLeft;            // parts not finished (the one that brings it to 0 prepares the tail)
        int _alongsideTaken;
        int _tailReady;            // 1 once the tail is prepared (or will not be: a part failed), _tailCount then set
        int _tailCount, _nextTail = -1, _tailLeft;
        int _unitsLeft;            // parts, alongside and tail items not finished (tail items counted once prepared)
        readonly ManualResetEventSlim _done = new(false, spinCount: 200);
        readonly ManualResetEventSlim _tailOrDone = new(false, spinCount: 20);
        ExceptionDispatchInfo? _failure;

        public PartRun(int parts, Action? alongside, Action<int> part, IPartsTail? tail)
        {
            (_parts, _alongside, _part, _tail) = (parts, alongside, part, tail);
            _partsLeft = parts;
            _unitsLeft = parts + (alongside is null ? 0 : 1);
        }

        /// <summary>Queues <paramref name="helpers"/> helpers by <paramref name="queue"/>, works on the calling thread, and waits for what helpers took.</summary>
        public void Run(int helpers, Action<IThreadPoolWorkItem> queue)
        {
            for (int i = 0; i < helpers; i++) queue(this);
            Work();
            if (_tail is not null && Volatile.Read(ref _tailReady) == 0 && Volatile.Read(ref _unitsLeft) > 0)
            {
                _tailOrDone.Wait();
                if (Volatile.Read(ref _tailReady) == 1) TakeTail();
            }
            // only items that a helper took can still be running; one that never started is not waited for. Usually that is
            // the last chunk of the tail (~50 µs): spun for without yielding before blocking, since a blocked caller woken by
            // the helper was placed on the helper's core and shared it with the pool thread's own spinning through fusion
            // (BENCHMARKS.md §2.2.6)
            if (Volatile.Read(ref _unitsLeft) > 0 && !SpinUntil(static run => Volatile.Read(ref run._unitsLeft) == 0)) _done.Wait();
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
                if (Interlocked.Decrement(ref _partsLeft) == 0) PrepareTail(ok);
                Finished();
            }
            if (_alongside is not null && Interlocked.Exchange(ref _alongsideTaken, 1) == 0)
            {
                Try(static alongside => alongside(), _alongside);
                Finished();
            }
            if (_tail is not null && TailPrepared()) TakeTail();
        }

        void TakeTail()
        {
            for (int i = Interlocked.Increment(ref _nextTail); i < _tailCount; i = Interlocked.Increment(ref _nextTail))
            {
                Try(_tail!.Item, i);
                if (Interlocked.Decrement(ref _tailLeft) == 0 && Volatile.Read(ref _failure) is null)
                    Try(static tail => tail.Finish(), _tail);
                Finished();
            }
        }

        /// <summary>On the thread that finished the last part: prepares the tail and publishes its item count.</summary>
        void PrepareTail(bool lastPartOk)
        {
            if (_tail is null) return;
            int n = 0;
            if (lastPartOk && Volatile.Read(ref _failure) is null)
            {
                try
                {
                    n = _tail.Prepare();
                    if (n == 0) _tail.Finish();
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
                    n = 0;
                }
            }
            _tailCount = _tailLeft = n;
            Interlocked.Add(ref _unitsLeft, n); // before this thread's part is counted finished, so the count never reaches 0 early
            Volatile.Write(ref _tailReady, 1);
            _tailOrDone.Set();
        }

        /// <summary>Whether the tail is prepared, waiting (spinning, not yielding) up to 0.1 ms for the thread finishing the last part.</summary>
        bool TailPrepared()
            => Volatile.Read(ref _tailReady) == 1 || SpinUntil(static run => Volatile.Read(ref run._tailReady) == 1 || Volatile.Read(ref run._failure) is not null) && _tailReady == 1;

        /// <summary>Spins (not yielding) up to 0.1 ms until <paramref name="done"/> holds; whether it did.</summary>
        bool SpinUntil(Func<PartRun, bool> done)
        {
            long until = Stopwatch.GetTimestamp() + TailSpinTicks;
            while (!done(this))
            {
                if (Stopwatch.GetTimestamp() > until) return false;
                Thread.SpinWait(20);
            }
            return true;
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
            if (Interlocked.Decrement(ref _unitsLeft) == 0)
            {
                _done.Set();
                _tailOrDone.Set();
            }
        }
    }
}
