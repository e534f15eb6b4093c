using System.Collections.Concurrent;
using System.Numerics;

namespace NewsBot.Sqlite;

/// <summary>
/// Impact prefixes for the lexical leg's longest posting lists: where MaxScore (<see cref="PrunedLexicalSearch"/>) cannot
/// stop before a list that covers a good part of the index (a word in most chunks, whose few rarer companions matched
/// fewer than k chunks), the remaining terms are no longer walked whole. Each long list keeps, cached, its
/// <see cref="ImpactPrefixLength"/> highest weights (an impact-ordered prefix, as impact-sorted indexes keep them) and
/// the highest weight left outside them (its cap). Every chunk that the earlier terms touched or that is in a prefix
/// gets a lower bound (its known weights) and an upper bound (plus the caps of the lists whose weight it does not
/// know); a chunk in no prefix and untouched can score at most the sum of the caps. When the k-th best lower bound
/// beats that sum, only the chunks whose upper bound reaches it can be in the top k: those get their exact score, summed
/// term by term in the order the walk adds them (unknown weights by binary search in the slot-ordered lists), so the
/// scores are the walk's to the bit. Otherwise (weights too alike to separate, too many chunks left to look up) the
/// search falls back to the walk, so the result is exact either way; only chunks of exactly equal score at the k-th
/// place may be chosen differently (here the lower slot first).
/// <para>
/// Why: on the bench's 1M index 14 % of the queries' terms matched only words in most chunks, and each such list was
/// read (7.5 MB) and added into a score for every chunk: the lexical leg's slow tail, which the hybrid search waited for
/// (BENCHMARKS.md §2.2.3). No library here does this: the lists are this index's own mapped arrays.
/// </para>
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    /// <summary>Off: long lists are walked whole (for measuring, and tests comparing the two).</summary>
    internal static bool UseImpactPrefixes = true;

    /// <summary>Highest weights kept per long list (8 bytes each: 16 KB a list; a field so that a harness can vary it).</summary>
    internal static int ImpactPrefixLength = 2048;

    /// <summary>At most this many binary searches for the chunks left after the bounds; beyond, the walk is cheaper.</summary>
    internal static int ImpactLookupLimit = 4096;

    /// <summary>Beyond this many chunks touched by the earlier terms, their bookkeeping costs more than the walk saves.</summary>
    const int MaxTouchedForImpact = 16_384;

    /// <summary>A long list's highest weights, by slot, and the highest weight of the rest.</summary>
    sealed record ImpactPrefix(int[] Slots, float[] Weights, float Cap);

    long _impactDecisions;

    /// <summary>Searches of this index that the prefixes decided (no walk of a long list): for tests and harnesses.</summary>
    internal long ImpactDecisions => Interlocked.Read(ref _impactDecisions);

    /// <summary>The prefixes of one base (its list starts array): swapped as one object, so a search never pairs a
    /// new base with the prefixes of the previous one.</summary>
    sealed record ImpactCache(int[]? For, ConcurrentDictionary<int, ImpactPrefix> Prefixes);

    ImpactCache? _impacts;

    ImpactPrefix ImpactOf(int from, int n)
    {
        var baseStart = _baseStart;
        var holder = Volatile.Read(ref _impacts);
        if (holder is null || !ReferenceEquals(holder.For, baseStart))
        {
            // two searches racing here each publish their own: the loser's prefixes are only built again, never mismatched
            holder = new ImpactCache(baseStart, new ConcurrentDictionary<int, ImpactPrefix>());
            Volatile.Write(ref _impacts, holder);
        }
        var cache = holder.Prefixes;
        if (cache.TryGetValue(from, out var prefix)) return prefix;
        int m = ImpactPrefixLength; // read once: the kept weights and the cap must agree on one length
        int[]? slotBuffer = null;
        float[]? weightBuffer = null;
        try
        {
            var slots = BaseSlots(from, n, ref slotBuffer);
            var weights = BaseWeights(from, n, ref weightBuffer);
            // the M + 1 highest: the lowest of them is the cap of everything outside the other M
            var top = new TopK(m + 1);
            for (int i = 0; i < n; i++)
                if (weights[i] > top.Threshold) top.Add(i, weights[i]);
            var kept = top.Items().ToList();
            float cap = 0;
            if (n > m)
            {
                int lowest = 0;
                for (int i = 1; i < kept.Count; i++) if (kept[i].Score < kept[lowest].Score) lowest = i;
                cap = kept[lowest].Score;
                kept.RemoveAt(lowest);
            }
            kept.Sort((a, b) => a.Id.CompareTo(b.Id)); // positions in a slot-ordered list: by slot
            var prefixSlots = new int[kept.Count];
            for (int i = 0; i < kept.Count; i++) prefixSlots[i] = slots[kept[i].Id];
            prefix = new ImpactPrefix(prefixSlots, kept.Select(x => x.Score).ToArray(), cap);
        }
        finally
        {
            ReturnBuffer(slotBuffer);
            ReturnBuffer(weightBuffer);
        }
        cache[from] = prefix;
        return prefix;
    }

    /// <summary>
    /// The top k from terms[<paramref name="next"/>…] on, given the exact partial scores of the terms before it in
    /// <paramref name="acc"/> (−∞ for chunks the filter excluded) and the chunks they touched; null where the bounds do
    /// not decide it (the caller then walks the lists). Neither <paramref name="acc"/> nor <paramref name="touched"/> is changed.
    /// </summary>
    List<(int Slot, float Score)>? ImpactTail(List<QueryTerm> terms, int next, float[] acc, List<int> touched, int k, CompiledFilter filter)
    {
        int count = terms.Count - next;
        if (!UseImpactPrefixes || count > 32 || k <= 0 || touched.Count > MaxTouchedForImpact) return null;
        int longAt = _count / DenseListFraction;
        var prefixes = new ImpactPrefix?[count];
        uint longMask = 0;
        float capSum = 0;
        for (int j = 0; j < count; j++)
        {
            var term = terms[next + j];
            if (term.Count < longAt) continue;
            prefixes[j] = ImpactOf(term.From, term.Count);
            longMask |= 1u << j;
            capSum += term.Weight * prefixes[j]!.Cap;
        }

        // candidates: the chunks touched so far and those in a prefix or a short list of the terms left
        var index = new Dictionary<int, int>(touched.Count + count * ImpactPrefixLength);
        var slotOf = new List<int>();
        var lower = new List<float>();
        var known = new List<uint>();
        foreach (var slot in touched)
        {
            if (float.IsNegativeInfinity(acc[slot])) continue;
            index[slot] = slotOf.Count;
            slotOf.Add(slot);
            lower.Add(acc[slot]);
            known.Add(0);
        }
        int[]? slotBuffer = null;
        float[]? weightBuffer = null;
        try
        {
            for (int j = 0; j < count; j++)
            {
                var term = terms[next + j];
                if (prefixes[j] is { } p) AddKnown(p.Slots, p.Weights, term.Weight, j);
                else AddKnown(BaseSlots(term.From, term.Count, ref slotBuffer), BaseWeights(term.From, term.Count, ref weightBuffer), term.Weight, j);
                if (term.Delta is { Count: > 0 } d) AddKnown(d.Slots.AsSpan(0, d.Count), d.Weights.AsSpan(0, d.Count), term.Weight, j);
            }
        }
        finally
        {
            ReturnBuffer(slotBuffer);
            ReturnBuffer(weightBuffer);
        }

        // the k-th best lower bound must beat what a chunk in no prefix could score (with room for rounding: the bounds
        // are summed in another order than the exact scores)
        var kth = new TopK(k);
        for (int i = 0; i < lower.Count; i++)
            if (lower[i] > 0 && lower[i] > kth.Threshold) kth.Add(i, lower[i]);
        if (kth.Count < k) return null;
        float bar = kth.Threshold * (1 - 1e-5f);
        if (capSum >= bar) return null;
        var survivors = new List<int>();
        long lookups = 0;
        for (int i = 0; i < lower.Count; i++)
        {
            uint unknown = longMask & ~known[i];
            float upper = lower[i];
            for (uint u = unknown; u != 0; u &= u - 1) upper += terms[next + BitOperations.TrailingZeroCount(u)].Weight * prefixes[BitOperations.TrailingZeroCount(u)]!.Cap;
            if (upper < bar) continue;
            survivors.Add(slotOf[i]);
            lookups += count;
            if (lookups > ImpactLookupLimit) return null;
        }

        // exact scores of the survivors, term by term in the walk's order; the best k, lower slot first on equal scores
        survivors.Sort();
        var top = new TopK(k);
        foreach (var slot in survivors)
        {
            float a = acc[slot];
            for (int j = 0; j < count; j++)
            {
                var term = terms[next + j];
                float x = prefixes[j] is { } p && Array.BinarySearch(p.Slots, slot) is var at && at >= 0
                    ? p.Weights[at]
                    : MappedLookup(term.From, term.Count, slot);
                a += term.Weight * (x + (term.Delta is { } d ? Lookup(d.Slots.AsSpan(0, d.Count), d.Weights.AsSpan(0, d.Count), slot) : 0));
            }
            if (a > 0 && !float.IsInfinity(a) && a > top.Threshold) top.Add(slot, a);
        }
        Interlocked.Increment(ref _impactDecisions);
        return top.ToSortedList();

        void AddKnown(ReadOnlySpan<int> slots, ReadOnlySpan<float> weights, float qw, int j)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                int slot = slots[i];
                if (!index.TryGetValue(slot, out int c))
                {
                    // a chunk not touched before (acc 0) that passes the filter; touched ones excluded by it are −∞
                    if (acc[slot] != 0 || !Passes(filter, slot)) continue;
                    c = slotOf.Count;
                    index[slot] = c;
                    slotOf.Add(slot);
                    lower.Add(0);
                    known.Add(0);
                }
                lower[c] += qw * weights[i];
                known[c] |= 1u << j;
            }
        }
    }
}
