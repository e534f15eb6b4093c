using System.Diagnostics;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The long-lived helper threads of the dense scan's fork-join (<see cref="InMemoryHybridIndex.SearchHelpers"/>): a posted
/// item runs once, on the helper; a busy helper refuses a second run instead of queueing it; a helper spins only briefly
/// after its work or a wake-up and then blocks, so an idle process spends no CPU on it; a failure on the helper reaches
/// the calling thread through <see cref="InMemoryHybridIndex.PartRun"/>.
/// </summary>
public sealed class SearchHelpersTests
{
    sealed class Item(Action action) : IThreadPoolWorkItem
    {
        public void Execute() => action();
    }

    static void WaitUntil(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), what);
            Thread.Sleep(1);
        }
    }

    static void WaitParked(InMemoryHybridIndex.SearchHelpers helpers)
        => WaitUntil(() => helpers.Probe(0) is { Parked: true, State: var s } && s.HasFlag(System.Threading.ThreadState.WaitSleepJoin), "the helper did not block");

    [Fact]
    public void A_posted_item_runs_once_on_the_helper_thread()
    {
        using var helpers = new InMemoryHybridIndex.SearchHelpers(1);
        int caller = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        int runs = 0;
        for (int i = 0; i < 200; i++)
        {
            using var done = new ManualResetEventSlim();
            Assert.True(helpers.TryPost(0, new Item(() =>
            {
                threads.Add(Environment.CurrentManagedThreadId);
                Interlocked.Increment(ref runs);
                done.Set();
            })));
            Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
            if (i % 50 == 49) WaitParked(helpers); // some posts find it blocked, the others spinning
        }
        WaitUntil(() => helpers.TryPost(0, new Item(() => { })), "the helper stayed busy");
        Assert.Equal(200, runs);
        Assert.DoesNotContain(caller, threads);
        Assert.Single(threads);
        Assert.False(helpers.TryPost(1, new Item(() => { })), "there is no second helper");
    }

    [Fact]
    public void A_busy_helper_refuses_a_second_run_until_it_is_done()
    {
        using var helpers = new InMemoryHybridIndex.SearchHelpers(1);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int second = 0;
        Assert.True(helpers.TryPost(0, new Item(() =>
        {
            started.Set();
            release.Wait();
        })));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        Assert.False(helpers.TryPost(0, new Item(() => second++)));
        release.Set();
        WaitUntil(() => helpers.TryPost(0, new Item(() => Interlocked.Increment(ref second))), "the helper stayed busy");
        WaitUntil(() => Volatile.Read(ref second) == 1, "the later item did not run");
    }

    [Fact]
    public void An_idle_helper_blocks_after_a_short_spin_and_spends_no_CPU()
    {
        using var helpers = new InMemoryHybridIndex.SearchHelpers(1);
        using var done = new ManualResetEventSlim();
        Assert.True(helpers.TryPost(0, new Item(done.Set)));
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
        WaitParked(helpers);
        var before = helpers.Probe(0);

        // idle for 300 ms: still blocked, never woke up by itself
        for (int i = 0; i < 6; i++)
        {
            Thread.Sleep(50);
            var now = helpers.Probe(0);
            Assert.True(now.Parked && now.State.HasFlag(System.Threading.ThreadState.WaitSleepJoin), "the idle helper was running");
            Assert.Equal(before.Parks, now.Parks);
        }

        // woken by a search that then posts nothing: it spins for its window and blocks again
        helpers.Wake();
        WaitUntil(() => helpers.Probe(0).Parks == before.Parks + 1, "the woken helper did not block again");
        WaitParked(helpers);
        var after = helpers.Probe(0);
        if (!double.IsNaN(before.CpuMsAtPark))
        {
            // its CPU time over those 300 ms and the wake-up: the wait for a run (0.1 ms) and scheduling, not the idle time
            double spent = after.CpuMsAtPark - before.CpuMsAtPark;
            Assert.True(spent < 30, $"the helper spent {spent:F1} ms of CPU while idle");
        }
    }

    [Fact]
    public void Every_item_of_a_fork_join_runs_once_with_a_helper_thread_and_the_caller_waits_for_what_the_helper_took()
    {
        using var helpers = new InMemoryHybridIndex.SearchHelpers(1);
        int caller = Environment.CurrentManagedThreadId;
        for (int round = 0; round < 100; round++)
        {
            var parts = new int[4];
            int alongside = 0, helperParts = 0;
            using var otherPartDone = new ManualResetEventSlim();
            if (round % 2 == 0) helpers.Wake(); // as a search does before it prepares the query; odd rounds post to a blocked helper
            var run = new InMemoryHybridIndex.PartRun(4, () => Interlocked.Increment(ref alongside), p =>
            {
                bool onCaller = Environment.CurrentManagedThreadId == caller;
                // the calling thread's first part waits until another part is done, which only the helper can do meanwhile
                if (onCaller && Volatile.Read(ref helperParts) == 0) Assert.True(otherPartDone.Wait(TimeSpan.FromSeconds(10)));
                Thread.SpinWait(Random.Shared.Next(2_000));
                Interlocked.Increment(ref parts[p]);
                if (!onCaller)
                {
                    Interlocked.Increment(ref helperParts);
                    otherPartDone.Set();
                }
            }, null);
            // the previous round's helper returns right after its last item, before this post; a refused post would hang
            // the caller's first part above, so wait for the helper to be free
            var sw = Stopwatch.StartNew();
            run.Run(1, item =>
            {
                while (!helpers.TryPost(0, item)) Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), "the helper stayed busy");
            });
            // everything was finished when Run returned, the helper's parts included
            Assert.All(parts, n => Assert.Equal(1, n));
            Assert.Equal(1, alongside);
            Assert.True(helperParts > 0);
        }
    }

    [Fact]
    public void A_part_that_fails_on_the_helper_is_rethrown_on_the_calling_thread()
    {
        using var helpers = new InMemoryHybridIndex.SearchHelpers(1);
        using var failed = new ManualResetEventSlim();
        int caller = Environment.CurrentManagedThreadId;
        var run = new InMemoryHybridIndex.PartRun(2, null, p =>
        {
            if (Environment.CurrentManagedThreadId == caller)
            {
                // the calling thread's part waits until the helper's has failed, so the failure happens on the helper
                Assert.True(failed.Wait(TimeSpan.FromSeconds(10)));
                return;
            }
            failed.Set();
            throw new InvalidOperationException("helper part");
        }, null);
        var e = Assert.Throws<InvalidOperationException>(() => run.Run(1, item => Assert.True(helpers.TryPost(0, item))));
        Assert.Equal("helper part", e.Message);
    }
}
