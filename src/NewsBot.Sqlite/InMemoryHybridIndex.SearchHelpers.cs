using System.Diagnostics;

namespace NewsBot.Sqlite;

internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// Long-lived helper threads for the dense scan's fork-join (<see cref="PartRun"/>), one per other core, instead of a
    /// thread-pool work item per search. A pool work item starts once an idle pool thread has been woken and dispatched
    /// (~50–60 µs after the post at p50 in the 100k bench's traces); here a search <see cref="Wake"/>s the helper when it
    /// starts, before the query is quantised and the code tables built, so the wake-up overlaps work the calling thread
    /// does anyway, and <see cref="TryPost"/> hands it the run. A woken helper waits for the run up to
    /// <see cref="SpinAfterWake"/>, yielding; after a run it blocks at once on an event, so an idle process spends no CPU
    /// on it (a spin after each run, which would catch the next search of a burst without a wake-up, cost CPU between
    /// searches and slowed them on a loaded machine: BENCHMARKS.md §2.2.8). Hand-written because the thread pool lets a
    /// caller neither wake a worker ahead of the work nor bound its spinning. A helper busy with another search's run is
    /// not waited for: <see cref="TryPost"/> fails and the caller queues to the pool instead.
    /// </summary>
    internal sealed class SearchHelpers : IDisposable
    {
        static readonly Lazy<SearchHelpers> SharedHelpers = new(() => new SearchHelpers(Math.Min(Environment.ProcessorCount, MaxScanParts) - 1));

        /// <summary>The process's helpers (created on the first parallel search).</summary>
        public static SearchHelpers Shared => SharedHelpers.Value;

        /// <summary>
        /// How long a woken helper waits for the run before it blocks again: the query's preparation between
        /// <see cref="Wake"/> and the post took 15–50 µs at 100k (p95), so this covers it with room, and bounds what a
        /// search that ends up posting nothing costs.
        /// </summary>
        internal static readonly TimeSpan SpinAfterWake = TimeSpan.FromMicroseconds(100);

        readonly Helper[] _helpers;

        public SearchHelpers(int count)
        {
            _helpers = new Helper[Math.Max(0, count)];
            for (int i = 0; i < _helpers.Length; i++) _helpers[i] = new Helper(i);
        }

        public int Count => _helpers.Length;

        /// <summary>Wakes every parked helper, so that it spins ready for the run a search is about to post; cheap when they are awake.</summary>
        public void Wake()
        {
            foreach (var h in _helpers) h.Wake();
        }

        /// <summary>Hands <paramref name="item"/> to helper <paramref name="index"/> if it exists and is free; false otherwise (queue it elsewhere).</summary>
        public bool TryPost(int index, IThreadPoolWorkItem item) => index < _helpers.Length && _helpers[index].TryPost(item);

        /// <summary>Helper <paramref name="index"/>'s state, for tests: whether it is blocked, its thread CPU time when it last blocked, how often it has.</summary>
        internal (bool Parked, double CpuMsAtPark, int Parks, System.Threading.ThreadState State) Probe(int index) => _helpers[index].Probe();

        public void Dispose()
        {
            foreach (var h in _helpers) h.Stop();
        }

        sealed class Helper
        {
            readonly Thread _thread;
            readonly ManualResetEventSlim _signal = new(false, spinCount: 0); // the helper spins itself, then blocks here
            IThreadPoolWorkItem? _work;
            int _busy;     // 1 from a successful post until the helper has run the item
            int _parked;   // 1 while the helper is (about to be) blocked on _signal
            int _parks;
            double _cpuMsAtPark;
            volatile bool _stop;

            public Helper(int index)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = $"newsbot-search-helper-{index}" };
                _thread.Start();
            }

            public void Wake()
            {
                if (Volatile.Read(ref _parked) == 1) _signal.Set();
            }

            public bool TryPost(IThreadPoolWorkItem item)
            {
                if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
                // full fence before reading _parked (the helper's side sets _parked, then reads _work): no lost wake-up
                Interlocked.Exchange(ref _work, item);
                if (Volatile.Read(ref _parked) == 1) _signal.Set();
                return true;
            }

            public (bool, double, int, System.Threading.ThreadState) Probe()
                => (Volatile.Read(ref _parked) == 1, Volatile.Read(ref _cpuMsAtPark), Volatile.Read(ref _parks), _thread.ThreadState);

            public void Stop()
            {
                _stop = true;
                _signal.Set();
            }

            void Loop()
            {
                long spinUntil = 0;
                while (!_stop)
                {
                    if (Interlocked.Exchange(ref _work, null) is { } item)
                    {
                        // PartRun catches its items' failures and rethrows them on the calling thread
                        item.Execute();
                        Volatile.Write(ref _busy, 0);
                        spinUntil = 0;
                        continue;
                    }
                    if (Stopwatch.GetTimestamp() < spinUntil)
                    {
                        // yielding: where the other core was busy, the woken helper was placed on the search's own core and,
                        // spinning there, held up the search it was woken for; a yield hands that core back (and costs a
                        // system call where the helper has a core to itself). A helper that comes back late is not waited
                        // for (PartRun), and once it has the run it does not yield.
                        Thread.Yield();
                        continue;
                    }
                    Volatile.Write(ref _cpuMsAtPark, ThreadCpu.NowMs());
                    Interlocked.Increment(ref _parks);
                    // full fence before reading _work (the poster sets _work, then reads _parked): no lost wake-up
                    Interlocked.Exchange(ref _parked, 1);
                    if (Volatile.Read(ref _work) is null && !_stop) _signal.Wait();
                    _signal.Reset();
                    Volatile.Write(ref _parked, 0);
                    // woken for a search that is about to post its run (or by a post: then the run is there already)
                    spinUntil = Stopwatch.GetTimestamp() + (long)(SpinAfterWake.TotalSeconds * Stopwatch.Frequency);
                }
            }
        }
    }
}
