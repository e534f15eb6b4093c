using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The fork-join of the dense scan's parts (<see cref="InMemoryHybridIndex.ParallelParts"/>): every part runs once, the
/// step after the parts runs once and only after all of them, the lexical leg beside them runs once, and the calling
/// thread never waits for a helper that has not started (what <c>Parallel.For</c> did, BENCHMARKS.md §2.2.6).
/// </summary>
public sealed class ParallelPartsTests
{
    sealed class Counts(int parts)
    {
        public readonly int[] Part = new int[parts];
        public int After, Alongside, PartsDoneAtAfter = -1;
        public int Done;

        public void RunPart(int p)
        {
            Thread.SpinWait(Random.Shared.Next(2_000));
            Interlocked.Increment(ref Part[p]);
            Interlocked.Increment(ref Done);
        }

        public void RunAfter()
        {
            PartsDoneAtAfter = Volatile.Read(ref Done);
            Interlocked.Increment(ref After);
        }

        public void RunAlongside()
        {
            Thread.SpinWait(Random.Shared.Next(2_000));
            Interlocked.Increment(ref Alongside);
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    [InlineData(2, false)]
    [InlineData(6, false)]
    public void Every_part_runs_once_then_the_step_after_them_once_and_the_alongside_item_once(int parts, bool withAlongside)
    {
        for (int round = 0; round < 300; round++)
        {
            var c = new Counts(parts);
            InMemoryHybridIndex.ParallelParts(parts, withAlongside ? c.RunAlongside : null, c.RunPart, c.RunAfter);
            Assert.All(c.Part, n => Assert.Equal(1, n));
            Assert.Equal(1, c.After);
            Assert.Equal(parts, c.PartsDoneAtAfter);
            Assert.Equal(withAlongside ? 1 : 0, c.Alongside);
        }
    }

    [Fact]
    public void The_calling_thread_does_not_wait_for_a_helper_that_never_started_and_a_late_helper_finds_nothing_to_do()
    {
        var c = new Counts(3);
        var queued = new List<IThreadPoolWorkItem>();
        var run = new InMemoryHybridIndex.PartRun(3, c.RunAlongside, c.RunPart, c.RunAfter);

        // the helper is queued but never runs during the call: the call returns with everything done on this thread
        var call = new Thread(() => run.Run(1, queued.Add));
        call.Start();
        Assert.True(call.Join(TimeSpan.FromSeconds(10)), "the call waited for a helper that had not started");
        Assert.Single(queued);
        Assert.All(c.Part, n => Assert.Equal(1, n));
        Assert.Equal((1, 1), (c.After, c.Alongside));

        queued[0].Execute(); // starts late
        Assert.All(c.Part, n => Assert.Equal(1, n));
        Assert.Equal((1, 1), (c.After, c.Alongside));
    }

    [Fact]
    public void A_helper_that_starts_while_the_caller_works_takes_items_and_the_caller_waits_for_them()
    {
        for (int round = 0; round < 100; round++)
        {
            var c = new Counts(4);
            using var helperStarted = new ManualResetEventSlim();
            Thread? helper = null;
            var run = new InMemoryHybridIndex.PartRun(4, c.RunAlongside, p =>
            {
                // the first part waits until the helper runs, so the helper surely takes some of the work
                if (p == 0) helperStarted.Wait(TimeSpan.FromSeconds(10));
                c.RunPart(p);
            }, c.RunAfter);
            run.Run(1, item =>
            {
                helper = new Thread(() =>
                {
                    helperStarted.Set();
                    item.Execute();
                });
                helper.Start();
            });
            // everything was finished when Run returned, whoever ran it
            Assert.All(c.Part, n => Assert.Equal(1, n));
            Assert.Equal((1, 1, 4), (c.After, c.Alongside, c.PartsDoneAtAfter));
            helper!.Join();
        }
    }

    [Fact]
    public void A_failing_part_is_rethrown_on_the_calling_thread_and_the_step_after_the_parts_is_skipped()
    {
        var c = new Counts(4);
        var e = Assert.Throws<InvalidOperationException>(() => InMemoryHybridIndex.ParallelParts(4, c.RunAlongside, p =>
        {
            if (p == 2) throw new InvalidOperationException("part 2");
            c.RunPart(p);
        }, c.RunAfter));
        Assert.Equal("part 2", e.Message);
        Assert.Equal(0, c.After);
        Assert.Equal(1, c.Alongside);
        Assert.Equal([1, 1, 0, 1], c.Part);
    }
}
