using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The lexical leg's MaxScore pruning and its dense pass for words in most chunks must return exactly what walking
/// every posting list returns: the same chunks in the same order with the same scores, with postings in the compact
/// base and in the delta, after removals (live document frequencies) and under filters.
/// </summary>
[Collection(LexicalSwitches.Name)]
public sealed class LexicalPruningTests
{
    /// <summary>Enough that term 1 alone has more postings than <see cref="InMemoryHybridIndex.LexicalPruningMinimumPostings"/>.</summary>
    const int Chunks = 80_000;

    /// <summary>Term 1 in 90 % of the chunks, 2 in half, 3 in 1 %, 4 in 50 chunks, 5 in 3, 6 in none.</summary>
    static (uint[] Ids, float[] Weights) TermsOf(int i, Random rng)
    {
        var ids = new List<uint>();
        var weights = new List<float>();
        void Maybe(uint term, double p)
        {
            if (rng.NextDouble() < p)
            {
                ids.Add(term);
                weights.Add(0.2f + (float)rng.NextDouble());
            }
        }
        Maybe(1, 0.9);
        Maybe(2, 0.5);
        Maybe(3, 0.01);
        Maybe(4, 50.0 / Chunks);
        if (i % 13_001 == 7) { ids.Add(5); weights.Add(1.5f); }
        return (ids.ToArray(), weights.ToArray());
    }

    static List<FusedCandidate> Search(InMemoryHybridIndex index, uint[] terms, bool prune, SearchFilter? filter = null)
    {
        var sparse = new SparseVector(terms, terms.Select(t => 1f + t * 0.1f).ToArray());
        var query = new HybridQuery { Dense = new float[8], Sparse = sparse, Top = 10, CandidatesPerLeg = 10, Mode = RetrievalMode.Lexical, Filter = filter ?? new SearchFilter() };
        bool before = InMemoryHybridIndex.UseLexicalPruning;
        try
        {
            InMemoryHybridIndex.UseLexicalPruning = prune;
            return index.Search(query, 60);
        }
        finally
        {
            InMemoryHybridIndex.UseLexicalPruning = before;
        }
    }

    static void AssertSame(InMemoryHybridIndex index, uint[] terms, SearchFilter? filter = null)
    {
        // the score array cleared when a search starts (this index's size), then zeroed where each search wrote (large indexes)
        int before = InMemoryHybridIndex.ClearAtStartSlots;
        try
        {
            AssertSameOnce(index, terms, filter);
            InMemoryHybridIndex.ClearAtStartSlots = 0;
            AssertSameOnce(index, terms, filter);
        }
        finally
        {
            InMemoryHybridIndex.ClearAtStartSlots = before;
        }
    }

    static void AssertSameOnce(InMemoryHybridIndex index, uint[] terms, SearchFilter? filter)
    {
        var all = Search(index, terms, prune: false, filter);
        var pruned = Search(index, terms, prune: true, filter);
        Assert.Equal(all.Select(c => c.RowId), pruned.Select(c => c.RowId));
        for (int i = 0; i < all.Count; i++) Assert.Equal(all[i].LexicalScore!.Value, pruned[i].LexicalScore!.Value, 4);
        Assert.NotEmpty(all);
        // each search zeroed what it wrote into the score array the next one reuses (walk, pruned, dense pass, filters)
        Assert.True(InMemoryHybridIndex.SpareScoresAreZero());
    }

    static readonly uint[][] Queries = [[1], [1, 2], [2, 1, 3], [5, 1], [4, 1, 2], [3, 4, 5], [6, 1], [5, 4, 3, 2, 1]];

    [Fact]
    public void Pruned_search_returns_what_walking_every_list_returns()
    {
        var rng = new Random(4);
        var index = new InMemoryHybridIndex(8);
        var v = new float[8];
        for (int i = 0; i < Chunks; i++)
        {
            v[i % 8] = 1;
            var (ids, weights) = TermsOf(i, rng);
            index.Add(i + 1, "a" + i / 3, "Outlet " + i % 4, 1_700_000_000_000L + i, v, ids, weights);
            v[i % 8] = 0;
        }
        Assert.True(Chunks * 0.85 > InMemoryHybridIndex.LexicalPruningMinimumPostings);
        // every posting is in the delta (no bulk load)
        foreach (var q in Queries) AssertSame(index, q);

        // the compact base, then a delta beside it, removals and filters
        index.MergeDelta();
        foreach (var q in Queries) AssertSame(index, q);
        for (int i = 0; i < 500; i++)
        {
            var (ids, weights) = TermsOf(i, rng);
            index.Add(Chunks + i + 1, "b" + i, "Outlet 9", null, new float[8], ids, weights.Select(w => w * 3).ToArray());
        }
        for (int i = 0; i < Chunks; i += 5) index.Remove(i + 1);
        foreach (var q in Queries)
        {
            AssertSame(index, q);
            AssertSame(index, q, new SearchFilter { Outlets = ["outlet 1"] });
            AssertSame(index, q, new SearchFilter { PublishedAfter = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000L + 30_000) });
        }
        // the new chunks' heavier weights win where they have the term
        Assert.All(Search(index, [1], prune: true), c => Assert.True(c.RowId > Chunks));
    }
}
