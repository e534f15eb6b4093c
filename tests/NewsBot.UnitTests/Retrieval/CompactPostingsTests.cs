using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The embedded index keeps its lexical postings compact (one base of flat arrays plus a small delta for
/// later chunks) and saves itself as a snapshot. Whichever way it was built — in bulk from the store, one
/// chunk at a time, merged, or read back from a snapshot — a query must give the same ranking and scores.
/// </summary>
public sealed class CompactPostingsTests
{
    const int Dim = 16;

    internal static (long RowId, string Article, string? Outlet, long? Published, float[] Dense, uint[] Terms, float[] Weights)[] Corpus(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i =>
        {
            var dense = Enumerable.Range(0, Dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var norm = MathF.Sqrt(dense.Sum(x => x * x));
            for (int d = 0; d < Dim; d++) dense[d] /= norm;
            // a Zipf-like vocabulary: a few terms in most chunks, many rare ones
            var terms = Enumerable.Range(0, 30).Select(_ => (uint)Math.Floor(Math.Pow(rng.NextDouble(), 3) * 5000) * 2654435761u).Distinct().ToArray();
            var weights = terms.Select(_ => (float)rng.NextDouble() + 0.1f).ToArray();
            return ((long)(i + 1) * 3, "art-" + i / 4, i % 3 == 0 ? null : "Outlet " + i % 5, i % 7 == 0 ? null : (long?)(1_700_000_000_000L + i * 3_600_000L), dense, terms, weights);
        }).ToArray();
    }

    static List<HybridQuery> Queries(int seed)
    {
        var rng = new Random(seed);
        var corpus = Corpus(40, seed + 1);
        return corpus.Select((c, i) => new HybridQuery
        {
            Dense = c.Dense,
            Sparse = new SparseVector(c.Terms.Take(6).ToArray(), c.Weights.Take(6).ToArray()),
            Top = 10,
            CandidatesPerLeg = 40,
            Mode = (RetrievalMode)(i % 3),
            Filter = i % 4 == 0 ? new SearchFilter { Outlets = ["outlet 2"] } : i % 4 == 1 ? new SearchFilter { PublishedAfter = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000L + 100 * 3_600_000L) } : new SearchFilter(),
        }).ToList();
    }

    internal static void AssertSameResults(InMemoryHybridIndex expected, InMemoryHybridIndex actual, string how)
    {
        foreach (var q in Queries(5))
        {
            var a = expected.Search(q, 10);
            var b = actual.Search(q, 10);
            Assert.True(a.Count > 0 || q.Filter.HasDateFilter || q.Filter.Outlets is not null, "the query should find something");
            Assert.True(a.SequenceEqual(b), $"{how}: {string.Join(",", a.Select(x => x.RowId))} vs {string.Join(",", b.Select(x => x.RowId))}");
        }
        var probe = Corpus(1, 77)[0].Terms.Concat(Corpus(300, 11).SelectMany(c => c.Terms).Take(50)).ToList();
        Assert.Equal(expected.DocumentFrequencies(probe).DocumentFrequencies, actual.DocumentFrequencies(probe).DocumentFrequencies);
    }

    internal static InMemoryHybridIndex OneByOne(IEnumerable<(long RowId, string Article, string? Outlet, long? Published, float[] Dense, uint[] Terms, float[] Weights)> rows)
    {
        var x = new InMemoryHybridIndex(Dim);
        foreach (var r in rows) x.Add(r.RowId, r.Article, r.Outlet, r.Published, r.Dense, r.Terms, r.Weights);
        return x;
    }

    [Fact]
    public void Bulk_loaded_merged_and_one_by_one_indexes_rank_alike()
    {
        var corpus = Corpus(9000, 1);
        // one by one: past 200k delta postings the delta is merged into the base on its own
        var incremental = OneByOne(corpus);
        long entries = corpus.Sum(c => (long)c.Terms.Length);
        Assert.True(entries > 200_000);
        Assert.InRange(incremental.DeltaEntries, 1, entries - 200_000);

        // bulk with deliberately low size hints: the arrays have to grow on the way
        var bulk = new InMemoryHybridIndex(Dim);
        bulk.BeginBulk(100, 1000);
        foreach (var r in corpus) bulk.Add(r.RowId, r.Article, r.Outlet, r.Published, r.Dense, r.Terms, r.Weights);
        bulk.EndBulk();
        Assert.Equal(0, bulk.DeltaEntries);
        AssertSameResults(incremental, bulk, "bulk");

        // a bulk base plus a delta of later chunks, then merged
        var mixed = new InMemoryHybridIndex(Dim);
        mixed.BeginBulk(corpus.Length, 0);
        foreach (var r in corpus.Take(6000)) mixed.Add(r.RowId, r.Article, r.Outlet, r.Published, r.Dense, r.Terms, r.Weights);
        mixed.EndBulk();
        foreach (var r in corpus.Skip(6000)) mixed.Add(r.RowId, r.Article, r.Outlet, r.Published, r.Dense, r.Terms, r.Weights);
        Assert.True(mixed.DeltaEntries > 0);
        AssertSameResults(incremental, mixed, "base + delta");
        mixed.MergeDelta();
        Assert.Equal(0, mixed.DeltaEntries);
        AssertSameResults(incremental, mixed, "merged");
    }

    [Fact]
    public void A_snapshot_reads_back_the_same_index_with_its_deletions_and_header()
    {
        var corpus = Corpus(1500, 2);
        var original = OneByOne(corpus);
        foreach (var r in corpus.Where((_, i) => i % 10 == 0)) original.Remove(r.RowId);
        var header = new SnapshotHeader("db-1", "model-x", 42, 4500, 17);
        using var stream = new MemoryStream();
        Assert.True(original.DeltaEntries > 0);
        original.WriteTo(stream, header); // the delta postings are merged as they stream out…
        using var merged = new MemoryStream();
        original.MergeDelta();
        original.WriteTo(merged, header);
        Assert.Equal(merged.ToArray(), stream.ToArray()); // …into the very bytes a merged index writes
        stream.Position = 0;
        var (copy, readHeader) = InMemoryHybridIndex.ReadFrom(stream);
        Assert.Equal(header, readHeader);
        Assert.Equal(original.LiveCount, copy.LiveCount);
        Assert.False(copy.Contains(corpus[0].RowId)); // deleted before the snapshot
        Assert.True(copy.Contains(corpus[1].RowId));
        AssertSameResults(original, copy, "snapshot");

        // the copy keeps working: chunks added after the snapshot go to its delta and are found
        var late = Corpus(1, 99)[0];
        copy.Add(999_999, "late", "Outlet 1", null, late.Dense, late.Terms, late.Weights);
        var hit = copy.Search(new HybridQuery { Dense = late.Dense, Sparse = new SparseVector(late.Terms, late.Weights), Top = 1 }, 10);
        Assert.Equal(999_999, hit[0].RowId);
    }

    [Fact]
    public void A_mapped_snapshot_with_chunks_added_and_removed_after_it_ranks_as_the_heap_index_and_saves_itself_again()
    {
        // 40k slots: the dense scan runs in parallel parts, one of which crosses from the mapped slots to the added ones
        var corpus = Corpus(40_000, 5);
        var heap = OneByOne(corpus);
        var first = OneByOne(corpus.Take(36_000));
        var header = new SnapshotHeader("db", "m", 1, 36_000, 0);
        var path = Path.Combine(Path.GetTempPath(), $"newsbot-map-{Guid.NewGuid():N}.snapshot");
        var again = path + ".2";
        try
        {
            using (var file = File.Create(path)) first.WriteTo(file, header);
            var (mapped, readHeader) = InMemoryHybridIndex.Open(path);
            using (mapped)
            {
                Assert.True(mapped.IsMapped);
                Assert.Equal(header, readHeader);
                foreach (var r in corpus.Skip(36_000)) mapped.Add(r.RowId, r.Article, r.Outlet, r.Published, r.Dense, r.Terms, r.Weights);
                foreach (var r in corpus.Where((_, i) => i % 10 == 3))
                {
                    heap.Remove(r.RowId);
                    mapped.Remove(r.RowId);
                }
                AssertSameResults(heap, mapped, "mapped + added");
                using (var file = File.Create(again)) mapped.WriteTo(file, header);
            }
            var (reopened, _) = InMemoryHybridIndex.Open(again);
            using (reopened) AssertSameResults(heap, reopened, "mapped, saved again");
        }
        finally
        {
            File.Delete(path);
            File.Delete(again);
        }
    }

    [Fact]
    public void A_damaged_snapshot_is_refused_not_half_loaded()
    {
        var original = OneByOne(Corpus(200, 3));
        original.MergeDelta();
        using var stream = new MemoryStream();
        original.WriteTo(stream, new SnapshotHeader("db", "m", 1, 1, 0));
        var bytes = stream.ToArray();
        Assert.ThrowsAny<Exception>(() => InMemoryHybridIndex.ReadFrom(new MemoryStream(bytes[..(bytes.Length / 2)])));
        Assert.ThrowsAny<Exception>(() => InMemoryHybridIndex.ReadFrom(new MemoryStream(bytes[..^4])));
        var garbage = (byte[])bytes.Clone();
        garbage[0] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => InMemoryHybridIndex.ReadFrom(new MemoryStream(garbage)));
    }
}
