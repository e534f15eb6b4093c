using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Sqlite;

/// <summary>
/// The lexical leg with MaxScore pruning (Turtle and Flood's term-at-a-time variant): exact, but a query whose terms
/// include a very common one no longer walks that term's whole posting list. At 1M chunks the bench's p95 of the
/// lexical leg (7.2 ms, BENCHMARKS.md §2) came from such lists (hundreds of thousands of postings whose low IDF adds
/// little to any score). Terms are taken from the highest possible contribution (query weight × IDF × the term's
/// largest posting weight) down; once the k-th best score so far exceeds what all remaining terms together could add,
/// no chunk they alone contain can enter the top k, and the chunks already seen need those terms' weights only where
/// they could still reach the top k: looked up by binary search in the slot-ordered postings instead of walked.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// Below this many postings in all the query's terms the plain walk of every list stays (it is a fraction of a
    /// millisecond, and the pruning's bookkeeping would cost as much).
    /// </summary>
    internal static int LexicalPruningMinimumPostings = 65_536;

    /// <summary>Off: every query walks every list (for measuring, and tests comparing the two).</summary>
    internal static bool UseLexicalPruning = true;

    // the largest weight of each base term's postings, computed at first use; reset when the base is replaced
    ConcurrentDictionary<int, float>? _maxWeights;
    int[]? _maxWeightsFor;

    float MaxBaseWeight(int t, int from, int n)
    {
        var cache = Volatile.Read(ref _maxWeights);
        if (cache is null || !ReferenceEquals(Volatile.Read(ref _maxWeightsFor), _baseStart))
        {
            cache = new ConcurrentDictionary<int, float>();
            Volatile.Write(ref _maxWeightsFor, _baseStart);
            Volatile.Write(ref _maxWeights, cache);
        }
        if (cache.TryGetValue(t, out var max)) return max;
        float[]? buffer = null; // read by file, not through the mapping (see BaseSlots(from, n, ref buffer))
        try
        {
            max = n == 0 ? 0 : TensorPrimitives.Max(BaseWeights(from, n, ref buffer));
        }
        finally
        {
            ReturnBuffer(buffer);
        }
        cache[t] = max;
        return max;
    }

    readonly record struct QueryTerm(int From, int Count, Postings? Delta, float Weight, float Bound);

    /// <summary>The pruned search, or null where it does not apply (few postings, a weight that is not positive).</summary>
    List<(int Slot, float Score)>? PrunedLexicalSearch(SparseVector query, int k, CompiledFilter filter)
    {
        if (!UseLexicalPruning || filter.RestrictSlots is not null) return null;
        int live = LiveCount;
        var terms = new List<QueryTerm>(query.Count);
        long postings = 0;
        for (int i = 0; i < query.Count; i++)
        {
            int t = _terms.Find(query.Indices[i]);
            _delta.TryGetValue(query.Indices[i], out var delta);
            BaseRange(t, out int from, out int n);
            int all = n + (delta?.Count ?? 0);
            if (all == 0) continue;
            float qw = query.Values[i] * (float)LexicalEncoder.Idf(live, LiveFrequency(query.Indices[i]));
            float maxW = n > 0 ? MaxBaseWeight(t, from, n) : 0;
            if (delta is not null && delta.Count > 0) maxW = Math.Max(maxW, TensorPrimitives.Max(delta.Weights.AsSpan(0, delta.Count)));
            if (!(qw > 0) || !(maxW > 0)) return null;
            terms.Add(new QueryTerm(from, n, delta, qw, qw * maxW));
            postings += all;
        }
        if (postings < LexicalPruningMinimumPostings) return null;
        terms.Sort((a, b) => b.Bound.CompareTo(a.Bound));
        var remaining = new float[terms.Count + 1];
        for (int i = terms.Count - 1; i >= 0; i--) remaining[i] = remaining[i + 1] + terms[i].Bound;

        var scores = RentScores();
        var acc = scores.Values;
        var touched = RentTouched();
        bool dense = false;
        // the lists walked are read by file reads into these buffers, as the plain walk reads them (a walk through the
        // mapping would leave whole lists resident); the lookups below stay on the mapping: a binary search touches a few pages
        int[]? slotBuffer = null;
        float[]? weightBuffer = null;
        try
        {
            int next = 0;
            for (; next < terms.Count; next++)
            {
                var term = terms[next];
                int length = term.Count + (term.Delta?.Count ?? 0);
                // before a long list: can the terms left still bring a chunk not yet seen into the top k?
                if (!dense && next > 0 && length > touched.Count / 4 && KthScore(acc, touched, k) > remaining[next]) break;
                // a list that covers a good part of the index (a word in most chunks): first the bounds of the lists'
                // highest weights (InMemoryHybridIndex.LexicalImpact.cs); where they do not decide, the list is added
                // without tracking which chunks it touched, and the best k then found by one pass over all the scores
                if (!dense && length >= _count / DenseListFraction && ImpactTail(terms, next, acc, touched, k, filter) is { } decided)
                    return decided;
                dense |= length >= _count / DenseListFraction;
                if (dense)
                {
                    AccumulateDense(acc, BaseSlots(term.From, term.Count, ref slotBuffer), BaseWeights(term.From, term.Count, ref weightBuffer), term.Weight);
                    if (term.Delta is { } dd) AccumulateDense(acc, dd.Slots.AsSpan(0, dd.Count), dd.Weights.AsSpan(0, dd.Count), term.Weight);
                    continue;
                }
                Accumulate(acc, touched, filter, null, BaseSlots(term.From, term.Count, ref slotBuffer), BaseWeights(term.From, term.Count, ref weightBuffer), term.Weight);
                if (term.Delta is { } d) Accumulate(acc, touched, filter, null, d.Slots.AsSpan(0, d.Count), d.Weights.AsSpan(0, d.Count), term.Weight);
            }
            if (dense) return DenseTop(acc, k, filter);
            if (next < terms.Count)
            {
                // the chunks seen that could still reach the k-th score get the remaining terms' weights by lookup
                float kth = KthScore(acc, touched, k), rest = remaining[next];
                foreach (var slot in touched)
                {
                    ref float a = ref acc[slot];
                    if (float.IsNegativeInfinity(a) || a + rest < kth) continue;
                    for (int j = next; j < terms.Count; j++)
                    {
                        var term = terms[j];
                        a += term.Weight * (MappedLookup(term.From, term.Count, slot)
                            + (term.Delta is { } d ? Lookup(d.Slots.AsSpan(0, d.Count), d.Weights.AsSpan(0, d.Count), slot) : 0));
                    }
                }
            }
            return TopOfTouched(acc, touched, k);
        }
        finally
        {
            ReturnScores(scores, touched, everywhere: dense);
            ReturnTouched(touched);
            ReturnBuffer(slotBuffer);
            ReturnBuffer(weightBuffer);
        }
    }

    /// <summary>A list at least 1 / this of the slots long is added in the dense way (no touched list, one pass at the end).</summary>
    const int DenseListFraction = 16;

    static void AccumulateDense(float[] acc, ReadOnlySpan<int> slots, ReadOnlySpan<float> weights, float qw)
    {
        for (int i = 0; i < slots.Length; i++) acc[slots[i]] += qw * weights[i];
    }

    /// <summary>The best k of every slot's score (the filter checked only for those above the k-th so far).</summary>
    List<(int Slot, float Score)> DenseTop(float[] acc, int k, CompiledFilter filter)
    {
        var top = new TopK(k);
        var scores = acc.AsSpan(0, _count);
        int slot = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; slot + 8 <= scores.Length; slot += 8)
            {
                var v = Vector256.Create<float>(scores.Slice(slot, 8));
                // −∞ marks a chunk the filter excluded; everything at or below the k-th so far is skipped eight at a time
                uint above = Vector256.GreaterThan(v, Vector256.Create(Math.Max(0f, top.Threshold))).ExtractMostSignificantBits();
                while (above != 0)
                {
                    int i = slot + System.Numerics.BitOperations.TrailingZeroCount(above);
                    above &= above - 1;
                    if (scores[i] > top.Threshold && !float.IsInfinity(scores[i]) && Passes(filter, i)) top.Add(i, scores[i]);
                }
            }
        for (; slot < scores.Length; slot++)
        {
            float s = scores[slot];
            if (s > 0 && s > top.Threshold && !float.IsInfinity(s) && Passes(filter, slot)) top.Add(slot, s);
        }
        return top.ToSortedList();
    }

    /// <summary>The k-th best partial score among the chunks seen (0 while fewer than k have one).</summary>
    static float KthScore(float[] acc, List<int> touched, int k)
    {
        if (touched.Count < k) return 0;
        var top = new TopK(k);
        foreach (var slot in touched)
        {
            float s = acc[slot];
            if (s > top.Threshold && !float.IsInfinity(s)) top.Add(slot, s);
        }
        return top.Count < k ? 0 : top.Threshold;
    }

    /// <summary>The weight of <paramref name="slot"/> in a slot-ordered posting list, 0 when it is not there.</summary>
    static float Lookup(ReadOnlySpan<int> slots, ReadOnlySpan<float> weights, int slot)
    {
        int i = slots.BinarySearch(slot);
        return i >= 0 ? weights[i] : 0;
    }
}
