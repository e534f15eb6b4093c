using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The impact prefixes of the longest posting lists (InMemoryHybridIndex.LexicalImpact.cs) decide the lexical top k without
/// walking those lists only where their bounds prove it: the results must be the walk's, hit for hit and score for score.
/// </summary>
[Collection(LexicalSwitches.Name)]
public sealed class LexicalImpactTests
{
    const int Chunks = 70_000;

    /// <summary>
    /// Term 1 in 95 % of the chunks with weights spread like BM25's (a few high), 2 in 40 %, 3 in 30 chunks (enough
    /// for MaxScore to stop before the long lists), 4 in 4 (too few: the long list of term 1 decides the rest of the top k),
    /// 5 in 2 % with one weight for all (many equal scores: the prefix cannot separate them, so those searches walk).
    /// </summary>
    static (uint[] Ids, float[] Weights) TermsOf(int i, Random rng)
    {
        var ids = new List<uint>();
        var weights = new List<float>();
        if (rng.NextDouble() < 0.95) { ids.Add(1); weights.Add(0.05f + (float)Math.Pow(rng.NextDouble(), 4)); }
        if (rng.NextDouble() < 0.4) { ids.Add(2); weights.Add(0.1f + (float)rng.NextDouble()); }
        if (i % 2_333 == 11) { ids.Add(3); weights.Add(0.05f + 0.1f * (float)rng.NextDouble()); }
        if (i % 17_500 == 3) { ids.Add(4); weights.Add(2f); }
        if (i % 50 == 1) { ids.Add(5); weights.Add(0.7f); }
        return (ids.ToArray(), weights.ToArray());
    }

    static List<FusedCandidate> Search(InMemoryHybridIndex index, uint[] terms, bool impact, int k, SearchFilter? filter = null)
    {
        var sparse = new SparseVector(terms, terms.Select(t => 1f + t * 0.1f).ToArray());
        var query = new HybridQuery { Dense = new float[8], Sparse = sparse, Top = k, CandidatesPerLeg = k, Mode = RetrievalMode.Lexical, Filter = filter ?? new SearchFilter() };
        bool before = InMemoryHybridIndex.UseImpactPrefixes;
        try
        {
            InMemoryHybridIndex.UseImpactPrefixes = impact;
            return index.Search(query, 60);
        }
        finally
        {
            InMemoryHybridIndex.UseImpactPrefixes = before;
        }
    }

    /// <summary>Asserts the same hits with and without the prefixes; returns whether the prefixes decided the search.</summary>
    static bool AssertSame(InMemoryHybridIndex index, uint[] terms, int k = 10, SearchFilter? filter = null)
    {
        var walked = Search(index, terms, impact: false, k, filter);
        long decided = index.ImpactDecisions;
        var withPrefixes = Search(index, terms, impact: true, k, filter);
        Assert.NotEmpty(walked);
        Assert.Equal(walked.Select(c => c.RowId), withPrefixes.Select(c => c.RowId));
        // the exact scores are summed in the walk's order: equal to the bit, not only to a tolerance
        Assert.Equal(walked.Select(c => c.LexicalScore), withPrefixes.Select(c => c.LexicalScore));
        return index.ImpactDecisions > decided;
    }

    static readonly uint[][] Queries = [[1], [3, 1], [4, 1], [4, 3, 1], [1, 2], [3, 2], [6, 1], [4, 2, 1]];

    static InMemoryHybridIndex Build(Random rng)
    {
        var index = new InMemoryHybridIndex(8);
        var v = new float[8];
        for (int i = 0; i < Chunks; i++)
        {
            v[i % 8] = 1;
            var (ids, weights) = TermsOf(i, rng);
            index.Add(i + 1, "a" + i / 3, "Outlet " + i % 4, 1_700_000_000_000L + i, v, ids, weights);
            v[i % 8] = 0;
        }
        index.MergeDelta();
        return index;
    }

    [Fact]
    public void Prefixes_decide_searches_whose_common_terms_they_bound_and_return_what_the_walk_returns()
    {
        var index = Build(new Random(7));
        foreach (var q in Queries) AssertSame(index, q);
        // one long list whose highest weights stand apart, alone or after a rare term in fewer than k chunks
        foreach (var q in new uint[][] { [1], [4, 1] }) Assert.True(AssertSame(index, q), $"the walk answered [{string.Join(", ", q)}]");
        Assert.True(AssertSame(index, [1]));
        Assert.True(AssertSame(index, [1], k: 40));
        // many equal weights in a long list: the bounds cannot separate them, the walk answers
        AssertSame(index, [5, 1], k: 10);
        AssertSame(index, [5], k: 10);
    }

    [Fact]
    public void Lookups_in_a_mapped_snapshot_leave_no_postings_mapped_in_the_process()
    {
        // a search's binary searches in the long lists read them in place; since Linux 6.18 each touch maps a whole large
        // folio, so without the release the postings of the queries served piled up in the resident set (hundreds of MB at 1M)
        if (!OperatingSystem.IsLinux()) return;
        var heap = Build(new Random(7));
        var dir = Directory.CreateTempSubdirectory("newsbot-postings-release-").FullName;
        bool before = InMemoryHybridIndex.ReleaseLookedUpPostings;
        long budget = InMemoryHybridIndex.PostingsResidentBudgetBytes;
        try
        {
            var path = Path.Combine(dir, "index.snapshot");
            using (var f = new FileStream(path, FileMode.Create)) heap.WriteTo(f, new SnapshotHeader("db", "m", 1, Chunks, 0));
            var (mapped, _) = InMemoryHybridIndex.Open(path);
            using (mapped)
            {
                Assert.True(mapped.IsMapped);
                // off; after every search; only once the file-backed resident set grew by a budget no search here reaches
                foreach (var (release, budgetBytes) in new[] { (false, 0L), (true, 0L), (true, 1L << 40) })
                {
                    InMemoryHybridIndex.ReleaseLookedUpPostings = release;
                    InMemoryHybridIndex.PostingsResidentBudgetBytes = budgetBytes;
                    long decided = mapped.ImpactDecisions;
                    foreach (var q in Queries)
                    {
                        var fromMap = Search(mapped, q, impact: true, k: 10);
                        var fromHeap = Search(heap, q, impact: true, k: 10);
                        Assert.Equal(fromHeap.Select(c => c.RowId), fromMap.Select(c => c.RowId));
                        Assert.Equal(fromHeap.Select(c => c.LexicalScore), fromMap.Select(c => c.LexicalScore));
                    }
                    Assert.True(mapped.ImpactDecisions > decided); // the prefixes decided some: lookups were made in place
                    if (release && budgetBytes == 0) Assert.Equal(0, mapped.MappedPostingsBytes);
                    else Assert.True(mapped.MappedPostingsBytes > 0, release ? "released within the budget" : "the lookups mapped no postings page: the test shows nothing");
                }
            }
        }
        finally
        {
            InMemoryHybridIndex.ReleaseLookedUpPostings = before;
            InMemoryHybridIndex.PostingsResidentBudgetBytes = budget;
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void A_delta_removals_and_filters_keep_the_walks_results()
    {
        var rng = new Random(11);
        var index = Build(rng);
        for (int i = 0; i < 400; i++)
        {
            var (ids, weights) = TermsOf(i, rng);
            index.Add(Chunks + i + 1, "b" + i, "Outlet 9", null, new float[8], ids, weights.Select(w => w * 2).ToArray());
        }
        for (int i = 0; i < Chunks; i += 7) index.Remove(i + 1);
        int decided = 0;
        foreach (var q in Queries)
        {
            decided += AssertSame(index, q) ? 1 : 0;
            AssertSame(index, q, filter: new SearchFilter { Outlets = ["outlet 1"] });
            AssertSame(index, q, filter: new SearchFilter { PublishedAfter = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000L + 20_000) });
        }
        Assert.True(decided >= 3, $"the prefixes decided {decided} searches");
        // the delta's doubled weights are among the best of term 1, and the prefixes found them
        Assert.Contains(Search(index, [1], impact: true, 10), c => c.RowId > Chunks);
    }

    [Fact]
    public void Short_prefixes_and_few_lookups_fall_back_to_the_walk_without_changing_results()
    {
        int length = InMemoryHybridIndex.ImpactPrefixLength, lookups = InMemoryHybridIndex.ImpactLookupLimit;
        try
        {
            foreach (var (prefix, limit) in new[] { (16, 4096), (2048, 8), (64, 64) })
            {
                InMemoryHybridIndex.ImpactPrefixLength = prefix;
                InMemoryHybridIndex.ImpactLookupLimit = limit;
                var index = Build(new Random(5)); // prefixes are cached per index: a new one for each length
                foreach (var q in Queries) AssertSame(index, q);
                foreach (var q in Queries) AssertSame(index, q, k: 40);
            }
        }
        finally
        {
            InMemoryHybridIndex.ImpactPrefixLength = length;
            InMemoryHybridIndex.ImpactLookupLimit = lookups;
        }
    }
}

/// <summary>
/// The lexical leg's switches (<see cref="InMemoryHybridIndex.UseLexicalPruning"/>, <see cref="InMemoryHybridIndex.UseImpactPrefixes"/>
/// and the prefix settings) are process-wide: the classes that flip them to compare one path with another run one at a
/// time, or one class's "walk" could run with the other's setting.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LexicalSwitches
{
    public const string Name = "lexical leg switches";
}
