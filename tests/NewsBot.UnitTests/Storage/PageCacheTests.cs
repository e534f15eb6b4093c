using NewsBot.Benchmarking;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// The page cache figures the bench reports for its search rounds (BENCHMARKS.md §2.2.7), on a real file: residency
/// as <c>mincore</c> sees it, eviction and read-ahead advice, and the process's read bytes and faults.
/// </summary>
public class PageCacheTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string WriteFile(int megabytes)
    {
        var path = Path.Combine(_dir.Path, "data.bin");
        var block = new byte[1 << 20];
        new Random(5).NextBytes(block);
        using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            for (int i = 0; i < megabytes; i++) f.Write(block);
            f.Flush(flushToDisk: true); // written back: clean pages the advice below may drop
        }
        return path;
    }

    [Fact]
    public void Residency_follows_eviction_and_reads()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = WriteFile(8);
        long length = new FileInfo(path).Length;
        using (var handle = File.OpenHandle(path))
            Assert.True(PageCache.DontNeed(handle, 0, length));
        long evicted = PageCache.CachedBytes(path);
        Assert.InRange(evicted, 0, length);
        if (evicted > length / 2) return; // a file system that keeps its pages (tmpfs): nothing to evict, nothing to read

        var before = ProcessIo.Now();
        var buffer = new byte[1 << 20];
        using (var f = File.OpenRead(path))
            while (f.Read(buffer) > 0) { }
        var round = ProcessIo.Since(before, queries: 1);

        Assert.Equal(length, PageCache.CachedBytes(path)); // every page read is cached now
        Assert.True(round.ReadMb >= 4, $"read {round.ReadMb} MB from storage for an evicted 8 MB file");
        Assert.True(round.MinorFaults >= 0 && round.MajorFaults >= 0);
        if (File.Exists("/proc/pressure/io")) Assert.True(round.MachineIoStallMs >= 0 && round.MachineMemoryStallMs >= 0); // parsed, not the -1 of "absent"

        // read again: from the cache, nothing from storage
        before = ProcessIo.Now();
        using (var f = File.OpenRead(path))
            while (f.Read(buffer) > 0) { }
        Assert.True(ProcessIo.Since(before, queries: 1).ReadMb < 4); // other tests of the process may read a little meanwhile
    }

    [Fact]
    public void WillNeed_reads_a_range_ahead()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = WriteFile(8);
        long length = new FileInfo(path).Length;
        using var handle = File.OpenHandle(path);
        Assert.True(PageCache.DontNeed(handle, 0, length));
        if (PageCache.CachedBytes(path) > length / 2) return; // tmpfs: see above
        Assert.True(PageCache.WillNeed(handle, 0, length / 2));
        // read-ahead is asynchronous: wait for it, without reading the file ourselves
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (PageCache.CachedBytes(path) < length / 2 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        long cached = PageCache.CachedBytes(path);
        Assert.InRange(cached, length / 2, length);
    }

    [Fact]
    public void A_missing_file_is_not_cached() => Assert.Equal(-1, PageCache.CachedBytes(Path.Combine(_dir.Path, "absent")));
}
