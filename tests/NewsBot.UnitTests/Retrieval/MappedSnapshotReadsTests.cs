using NewsBot.Sqlite;
using static NewsBot.UnitTests.Retrieval.CompactPostingsTests;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// A mapped index reads what a search needs a little of (candidates' half-precision vectors, a term's postings) and
/// what a snapshot rewrite passes over once (every section, every vector for a new centre) by file reads instead of
/// through the mapping, so those pages do not stay resident in the process. The reads must give exactly the mapping's
/// bytes: the same ranking (<see cref="CompactPostingsTests"/>), and the same snapshot bytes when it is written again.
/// </summary>
public sealed class MappedSnapshotReadsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("newsbot-mapped-reads-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    static byte[] Bytes(InMemoryHybridIndex index, SnapshotHeader header)
    {
        using var stream = new MemoryStream();
        index.WriteTo(stream, header);
        return stream.ToArray();
    }

    [Fact]
    public void A_file_read_of_a_section_gives_the_mapped_bytes()
    {
        var path = Path.Combine(_dir, "s");
        var bytes = new byte[1 << 20];
        new Random(4).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using var map = SnapshotMapping.Open(path);
        var rng = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            int count = rng.Next(0, 5000);
            long at = rng.Next(0, bytes.Length - count * 4) & ~3;
            var ints = new int[count];
            map.Read<int>(at, ints);
            Assert.Equal(map.Span<int>(at, count).ToArray(), ints);
            var halves = new Half[count];
            map.Read<Half>(at, halves);
            Assert.Equal(map.Span<Half>(at, count).ToArray(), halves);
        }
        Assert.Throws<InvalidDataException>(() => map.Read<int>(bytes.Length - 4, new int[2]));
    }

    /// <summary>This process's resident bytes of the mappings of <paramref name="path"/> (/proc/self/smaps).</summary>
    static long ResidentBytesOf(string path)
    {
        long total = 0;
        bool inFile = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.Contains('-'))
                inFile = line.EndsWith(" " + path, StringComparison.Ordinal);
            else if (inFile && line.StartsWith("Rss:", StringComparison.Ordinal))
                total += long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return total;
    }

    [Fact]
    public void Released_pages_leave_the_process_and_the_mapping_reads_the_same_bytes_again()
    {
        // what a snapshot rewrite does first (BENCHMARKS.md, "The worker at 1M"): the searches' resident pages of the old
        // file go, the page cache keeps them, and a search during the rewrite still reads the file's bytes
        if (!OperatingSystem.IsLinux()) return; // madvise and /proc/self/smaps are Linux's; elsewhere the call does nothing
        var path = Path.Combine(_dir, "s");
        var bytes = new byte[32 << 20];
        new Random(6).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using var map = SnapshotMapping.Open(path);
        Assert.Equal(bytes, map.Span<byte>(0, bytes.Length).ToArray()); // every page touched
        long before = ResidentBytesOf(path);

        Assert.True(map.ReleaseResidentPages());

        long after = ResidentBytesOf(path);
        Assert.True(before >= 24L << 20 && after <= 1L << 20, $"resident {before >> 10} KB of the mapping before the release, {after >> 10} KB after");
        Assert.Equal(bytes, map.Span<byte>(0, bytes.Length).ToArray());
    }

    [Fact]
    public void A_mapped_index_whose_pages_were_released_ranks_as_before()
    {
        var corpus = Corpus(6000, 23);
        var heap = OneByOne(corpus);
        var path = Path.Combine(_dir, "index.snapshot");
        var header = new SnapshotHeader("db", "m", 2, 18_000, 0);
        File.WriteAllBytes(path, Bytes(heap, header));
        var (mapped, _) = InMemoryHybridIndex.Open(path);
        using (mapped)
        {
            AssertSameResults(heap, mapped, "mapped");
            mapped.ReleaseMappedPages();
            AssertSameResults(heap, mapped, "mapped, pages released");
            Assert.Equal(File.ReadAllBytes(path), Bytes(mapped, header));
        }
    }

    [Fact]
    public void A_released_section_is_no_longer_mapped_and_reads_the_same_bytes_again()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = Path.Combine(_dir, "s");
        var bytes = new byte[8 << 20];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using var map = SnapshotMapping.Open(path);
        long sum = 0;
        var all = map.Span<byte>(0, bytes.Length);
        for (int i = 0; i < all.Length; i += 4096) sum += all[i]; // touch every page through the mapping
        Assert.Equal(bytes.Length, map.MappedBytes(0, bytes.Length));
        map.Release(2 << 20, 4 << 20);
        Assert.Equal(0, map.MappedBytes(2 << 20, 4 << 20));
        Assert.Equal(2 << 20, map.MappedBytes(0, 2 << 20)); // outside the range: still mapped
        Assert.Equal(2 << 20, map.MappedBytes(6 << 20, 2 << 20));
        Assert.Equal(bytes, map.Span<byte>(0, bytes.Length).ToArray()); // mapped again from the page cache, same bytes
        Assert.True(sum > 0);
    }

    [Fact]
    public void The_file_backed_resident_set_grows_by_what_a_mapping_touches()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = Path.Combine(_dir, "s");
        File.WriteAllBytes(path, new byte[32 << 20]);
        using var map = SnapshotMapping.Open(path);
        long before = ProcessStatm.FileResidentBytes();
        var all = map.Span<byte>(0, 32 << 20);
        long sum = 0;
        for (int i = 0; i < all.Length; i += 4096) sum += all[i];
        long after = ProcessStatm.FileResidentBytes();
        Assert.True(before > 0 && after - before >= 16 << 20, $"{before} → {after}"); // 32 MB touched; other tests may map and unmap meanwhile
        Assert.Equal(0, sum);
    }

    [Fact]
    public void A_mapped_index_written_again_is_the_snapshot_it_was_mapped_from()
    {
        // every mapped section (int8, half precision, postings, codes and their factors) copied by file reads
        var corpus = Corpus(6000, 21);
        var heap = OneByOne(corpus);
        foreach (var r in corpus.Where((_, i) => i % 9 == 4)) heap.Remove(r.RowId);
        var header = new SnapshotHeader("db", "m", 3, 18_000, 5);
        var path = Path.Combine(_dir, "index.snapshot");
        var written = Bytes(heap, header);
        File.WriteAllBytes(path, written);
        var (mapped, _) = InMemoryHybridIndex.Open(path);
        using (mapped)
        {
            Assert.True(mapped.IsMapped);
            Assert.Equal(written, Bytes(mapped, header));
            AssertSameResults(heap, mapped, "mapped");
        }
    }

    [Fact]
    public void A_mapped_index_grown_past_twice_its_snapshot_writes_what_the_heap_index_writes()
    {
        // fewer than half the slots mapped: a fresh centre is taken over every vector and every code is computed
        // again, reading the mapped half-precision vectors from the file in blocks of slots
        var corpus = Corpus(9000, 22);
        var heap = OneByOne(corpus);
        var header = new SnapshotHeader("db", "m", 1, 27_000, 0);
        var path = Path.Combine(_dir, "index.snapshot");
        File.WriteAllBytes(path, Bytes(OneByOne(corpus.Take(2500)), header));
        var (mapped, _) = InMemoryHybridIndex.Open(path);
        using (mapped)
        {
            foreach (var r in corpus.Skip(2500)) mapped.Add(r.RowId, r.Article, r.Outlet, r.Published, r.Dense, r.Terms, r.Weights);
            foreach (var r in corpus.Where((_, i) => i % 7 == 2))
            {
                heap.Remove(r.RowId);
                mapped.Remove(r.RowId);
            }
            AssertSameResults(heap, mapped, "mapped + added");
            Assert.Equal(Bytes(heap, header), Bytes(mapped, header));
        }
    }

    /// <summary>Drops the file's pages from the page cache; false where they stay (tmpfs): nothing cold to test then.</summary>
    static bool Evict(string path)
    {
        using (var handle = File.OpenHandle(path)) PageCache.DontNeed(handle, 0, new FileInfo(path).Length);
        return PageCache.CachedBytes(path) < new FileInfo(path).Length / 2;
    }

    [Fact]
    public void Residency_is_probed_without_waiting_and_read_ahead_fills_it()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = Path.Combine(_dir, "s");
        var bytes = new byte[4 << 20];
        new Random(6).NextBytes(bytes);
        using (var f = new FileStream(path, FileMode.Create)) { f.Write(bytes); f.Flush(flushToDisk: true); }
        if (!Evict(path)) return;
        using var map = SnapshotMapping.Open(path);
        var scratch = new byte[768];
        long[] offsets = [768L * 100, 768L * 2000, 768L * 5000];
        Assert.All(offsets, o => Assert.False(map.IsCached(o, scratch)));
        map.ReadAhead(offsets, 768);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!offsets.All(o => map.IsCached(o, scratch)) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        foreach (var o in offsets)
        {
            Assert.True(map.IsCached(o, scratch));
            Assert.Equal(bytes.AsSpan((int)o, 768).ToArray(), scratch); // the probe's read is the file's bytes
        }
    }

    [Fact]
    public void A_mapped_index_whose_snapshot_left_the_page_cache_ranks_as_before()
    {
        // the dense leg's re-scoring reads its candidates' rows ahead when the first ones are not cached: same results
        var corpus = Corpus(6000, 23);
        var heap = OneByOne(corpus);
        var path = Path.Combine(_dir, "index.snapshot");
        using (var f = new FileStream(path, FileMode.Create))
        {
            heap.WriteTo(f, new SnapshotHeader("db", "m", 1, 18_000, 0));
            f.Flush(flushToDisk: true);
        }
        var (mapped, _) = InMemoryHybridIndex.Open(path);
        using (mapped)
        {
            Evict(path);
            AssertSameResults(heap, mapped, "mapped, evicted");
            Evict(path);
            AssertSameResults(heap, mapped, "mapped, evicted again");
        }
    }
}
