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
}
