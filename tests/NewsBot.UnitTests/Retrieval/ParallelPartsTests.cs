using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The fork-join of the dense scan's parts (<see cref="InMemoryHybridIndex.ParallelParts"/>): every part runs once, the
/// tail after the parts (the merge, then the exact re-scoring in items any core may take) is prepared once and only after
/// all of them, each of its items runs once, its finish once after them all and before the call returns, the lexical
/// leg beside them runs once, and the calling thread never waits for a helper that has not started (what
/// <c>Parallel.For</c> did, BENCHMARKS.md §2.2.6).
/// </summary>
public sealed class ParallelPartsTests
{
    sealed class Counts(int parts, int tailItems = 5) : InMemoryHybridIndex.IPartsTail
    {
        public readonly int[] Part = new int[parts];
        public readonly int[] TailItem = new int[tailItems];
        public int Prepared, Finished, Alongside, PartsDoneAtPrepare = -1, TailItemsDoneAtFinish = -1;
        public int Done, TailDone;
        public readonly HashSet<int> Threads = [];

        public void RunPart(int p)
        {
            Thread.SpinWait(Random.Shared.Next(2_000));
            lock (Threads) Threads.Add(Environment.CurrentManagedThreadId);
            Interlocked.Increment(ref Part[p]);
            Interlocked.Increment(ref Done);
        }

        public void RunAlongside()
        {
            Thread.SpinWait(Random.Shared.Next(2_000));
            Interlocked.Increment(ref Alongside);
        }

        public int Prepare()
        {
            PartsDoneAtPrepare = Volatile.Read(ref Done);
            Interlocked.Increment(ref Prepared);
            return TailItem.Length;
        }

        public void Item(int index)
        {
            Thread.SpinWait(Random.Shared.Next(1_000));
            Interlocked.Increment(ref TailItem[index]);
            Interlocked.Increment(ref TailDone);
        }

        public void Finish()
        {
            TailItemsDoneAtFinish = Volatile.Read(ref TailDone);
            Interlocked.Increment(ref Finished);
        }

        public void AssertAllOnce(bool withAlongside)
        {
            Assert.All(Part, n => Assert.Equal(1, n));
            Assert.All(TailItem, n => Assert.Equal(1, n));
            Assert.Equal((1, Part.Length), (Prepared, PartsDoneAtPrepare));
            Assert.Equal((1, TailItem.Length), (Finished, TailItemsDoneAtFinish));
            Assert.Equal(withAlongside ? 1 : 0, Alongside);
        }
    }

    [Theory]
    [InlineData(1, true, 5)]
    [InlineData(2, true, 8)]
    [InlineData(4, true, 1)]
    [InlineData(2, false, 8)]
    [InlineData(6, false, 3)]
    [InlineData(2, true, 0)]
    public void Every_part_runs_once_then_the_tail_once_and_the_alongside_item_once(int parts, bool withAlongside, int tailItems)
    {
        for (int round = 0; round < 300; round++)
        {
            var c = new Counts(parts, tailItems);
            InMemoryHybridIndex.ParallelParts(parts, withAlongside ? c.RunAlongside : null, c.RunPart, c);
            c.AssertAllOnce(withAlongside);
        }
    }

    [Fact]
    public void The_calling_thread_does_not_wait_for_a_helper_that_never_started_and_a_late_helper_finds_nothing_to_do()
    {
        var c = new Counts(3);
        var queued = new List<IThreadPoolWorkItem>();
        var run = new InMemoryHybridIndex.PartRun(3, c.RunAlongside, c.RunPart, c);

        // the helper is queued but never runs during the call: the call returns with everything done on this thread
        var call = new Thread(() => run.Run(1, queued.Add));
        call.Start();
        Assert.True(call.Join(TimeSpan.FromSeconds(10)), "the call waited for a helper that had not started");
        Assert.Single(queued);
        c.AssertAllOnce(withAlongside: true);

        queued[0].Execute(); // starts late
        c.AssertAllOnce(withAlongside: true);
    }

    [Fact]
    public void A_helper_that_starts_while_the_caller_works_takes_items_and_the_caller_waits_for_them()
    {
        for (int round = 0; round < 100; round++)
        {
            var c = new Counts(4);
            using var otherPartDone = new ManualResetEventSlim();
            Thread? helper = null;
            var run = new InMemoryHybridIndex.PartRun(4, c.RunAlongside, p =>
            {
                // the calling thread's first part waits until another part is done, which only the helper can do meanwhile
                if (p == 0) Assert.True(otherPartDone.Wait(TimeSpan.FromSeconds(10)));
                c.RunPart(p);
                if (p != 0) otherPartDone.Set();
            }, c);
            run.Run(1, item =>
            {
                helper = new Thread(item.Execute);
                helper.Start();
            });
            // everything was finished when Run returned, whoever ran it, and the helper took part of it
            c.AssertAllOnce(withAlongside: true);
            helper!.Join();
            Assert.Equal(2, c.Threads.Count);
        }
    }

    [Fact]
    public void A_failing_part_is_rethrown_on_the_calling_thread_and_the_tail_is_skipped()
    {
        var c = new Counts(4);
        var e = Assert.Throws<InvalidOperationException>(() => InMemoryHybridIndex.ParallelParts(4, c.RunAlongside, p =>
        {
            if (p == 2) throw new InvalidOperationException("part 2");
            c.RunPart(p);
        }, c));
        Assert.Equal("part 2", e.Message);
        Assert.Equal((0, 0), (c.Prepared, c.Finished));
        Assert.Equal(1, c.Alongside);
        Assert.Equal([1, 1, 0, 1], c.Part);
    }
}
