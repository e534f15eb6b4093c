using System.Buffers;
using System.Numerics.Tensors;
using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Sqlite;

/// <summary>
/// The lexical half of the embedded search: an inverted index of the BM25-weighted sparse vectors (IDF applied at
/// query time from the live document frequencies). A compact base (term table → ranges of two flat arrays) that loads
/// and saves as a handful of arrays, plus a small per-term delta for chunks added later, merged in when it grows.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// The delta is merged into the compact base once it holds more than this many postings (about a thousand
    /// chunks' worth at ~190 postings each) and more than <see cref="DeltaMergeFraction"/> of the base: merging
    /// copies the whole base, so it must be rare, while a large delta costs a dictionary lookup and a list walk
    /// per query term. Set with the compact postings (commit 931fe31) to keep the worker's merges under one per
    /// thousand new chunks at 100k; not tuned further.
    /// </summary>
    const long DeltaMergeMinimumEntries = 200_000;

    /// <summary>The other merge condition: the delta exceeds a quarter of the base (amortises the copy).</summary>
    const int DeltaMergeFraction = 4;

    // Lexical postings: a compact base (term table → ranges of two flat arrays) that loads and saves as
    // a handful of arrays, plus a small per-term delta for chunks added later, merged in when it grows.
    TermTable _terms = new(0);
    int[] _baseStart = [0];
    int[] _baseSlots = [];
    float[] _baseWeights = [];
    // when the base postings are read in place from the mapped snapshot: where its two sections start
    bool _postingsMapped;
    long _slotsAt, _weightsAt;

    int BaseEntries => _baseStart[^1];

    ReadOnlySpan<int> BaseSlots(int from, int n) => _postingsMapped ? _map!.Span<int>(_slotsAt + from * 4L, n) : _baseSlots.AsSpan(from, n);

    ReadOnlySpan<float> BaseWeights(int from, int n) => _postingsMapped ? _map!.Span<float>(_weightsAt + from * 4L, n) : _baseWeights.AsSpan(from, n);

    // A search reads its terms' base postings from the mapped snapshot by file reads into pooled buffers
    // (SnapshotMapping.Read: through the mapping, the postings of every term ever queried, and the 64 KB around each,
    // would stay resident in the process; at 1M chunks the sections are 1.5 GB).
    ReadOnlySpan<int> BaseSlots(int from, int n, ref int[]? buffer) => ReadBase(_slotsAt, _baseSlots, from, n, ref buffer);

    ReadOnlySpan<float> BaseWeights(int from, int n, ref float[]? buffer) => ReadBase(_weightsAt, _baseWeights, from, n, ref buffer);

    ReadOnlySpan<T> ReadBase<T>(long sectionAt, T[] heap, int from, int n, ref T[]? buffer) where T : unmanaged
    {
        if (!_postingsMapped) return heap.AsSpan(from, n);
        if (buffer is null || buffer.Length < n)
        {
            if (buffer is not null) ArrayPool<T>.Shared.Return(buffer);
            buffer = ArrayPool<T>.Shared.Rent(Math.Max(n, 1024));
        }
        var span = buffer.AsSpan(0, n);
        _map!.Read(sectionAt + (long)from * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), span);
        return span;
    }

    static void ReturnBuffer<T>(T[]? buffer)
    {
        if (buffer is not null) ArrayPool<T>.Shared.Return(buffer);
    }

    readonly Dictionary<uint, Postings> _delta = [];
    long _deltaEntries;

    // Bulk loading (a fresh index filled from the store): entries are appended flat and sorted into the base at the end.
    bool _bulk;
    int[] _bulkTerm = [];
    float[] _bulkWeight = [];
    int[] _bulkCounts = [];
    int[] _slotEntryStart = [];
    int _bulkEntries;

    /// <summary>Postings of one term added since the compact base was built.</summary>
    sealed class Postings
    {
        public int[] Slots = new int[4];
        public float[] Weights = new float[4];
        public int Count;

        public void Add(int slot, float w)
        {
            if (Count == Slots.Length)
            {
                Array.Resize(ref Slots, Count * 2);
                Array.Resize(ref Weights, Count * 2);
            }
            Slots[Count] = slot;
            Weights[Count] = w;
            Count++;
        }
    }

    /// <summary>
    /// Starts filling an empty index in bulk: <paramref name="chunks"/> and <paramref name="entries"/> (term
    /// postings) size the arrays once; <see cref="EndBulk"/> builds the compact postings.
    /// </summary>
    public void BeginBulk(int chunks, long entries)
    {
        if (_count != 0) throw new InvalidOperationException("Bulk loading needs an empty index.");
        _bulk = true;
        EnsureCapacity(Math.Max(1, chunks));
        int n = (int)Math.Clamp(entries, 16, Array.MaxLength);
        _bulkTerm = new int[n];
        _bulkWeight = new float[n];
        _bulkCounts = new int[1024];
        _slotEntryStart = new int[Math.Max(1, chunks) + 1];
        _bulkEntries = 0;
    }

    public void EndBulk()
    {
        if (!_bulk) return;
        _bulk = false;
        int terms = _terms.Count;
        var start = new int[terms + 1];
        for (int t = 0; t < terms; t++) start[t + 1] = start[t] + _bulkCounts[t];
        var slots = new int[_bulkEntries];
        var weights = new float[_bulkEntries];
        var cursor = start.AsSpan(0, terms).ToArray();
        for (int slot = 0; slot < _count; slot++)
        {
            for (int e = _slotEntryStart[slot], end = _slotEntryStart[slot + 1]; e < end; e++)
            {
                int pos = cursor[_bulkTerm[e]]++;
                slots[pos] = slot;
                weights[pos] = _bulkWeight[e];
            }
        }
        _baseStart = start;
        _baseSlots = slots;
        _baseWeights = weights;
        _postingsMapped = false;
        _bulkTerm = [];
        _bulkWeight = [];
        _bulkCounts = [];
        _slotEntryStart = [];
    }

    /// <summary>Adds a new slot's postings: to the flat bulk arrays while bulk loading, else to the delta.</summary>
    void AddPostings(int slot, ReadOnlySpan<uint> termIds, ReadOnlySpan<float> termWeights)
    {
        if (_bulk)
        {
            if (slot + 1 >= _slotEntryStart.Length) Array.Resize(ref _slotEntryStart, (slot + 2) * 2);
            if (_bulkEntries + termIds.Length > _bulkTerm.Length)
            {
                int cap = (int)Math.Min(Array.MaxLength, Math.Max(_bulkEntries + (long)termIds.Length, _bulkTerm.Length * 3L / 2));
                Array.Resize(ref _bulkTerm, cap);
                Array.Resize(ref _bulkWeight, cap);
            }
            for (int i = 0; i < termIds.Length; i++)
            {
                int t = _terms.GetOrAdd(termIds[i]);
                if (t >= _bulkCounts.Length) Array.Resize(ref _bulkCounts, _bulkCounts.Length * 2);
                _bulkCounts[t]++;
                _bulkTerm[_bulkEntries] = t;
                _bulkWeight[_bulkEntries++] = termWeights[i];
            }
            _slotEntryStart[slot + 1] = _bulkEntries;
            return;
        }
        for (int i = 0; i < termIds.Length; i++)
        {
            ref var p = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_delta, termIds[i], out _);
            p ??= new Postings();
            p.Add(slot, termWeights[i]);
        }
        _deltaEntries += termIds.Length;
        if (_deltaEntries > DeltaMergeMinimumEntries && _deltaEntries > BaseEntries / DeltaMergeFraction) MergeDelta();
    }

    /// <summary>
    /// Folds the delta postings into the compact base (delta slots are newer, so ranges stay in slot order). The new base
    /// is heap memory: a process started from a mapped snapshot instead writes a new snapshot, which merges while it
    /// streams (<see cref="WriteTo"/>), and maps that; this runs only when the delta outgrows a quarter of the base first.
    /// </summary>
    public void MergeDelta()
    {
        if (_delta.Count == 0) return;
        int oldTerms = _terms.Count;
        foreach (var term in _delta.Keys) _terms.GetOrAdd(term);
        int terms = _terms.Count;
        var counts = new int[terms];
        for (int t = 0; t < oldTerms; t++) counts[t] = _baseStart[t + 1] - _baseStart[t];
        foreach (var (term, p) in _delta) counts[_terms.Find(term)] += p.Count;
        var start = new int[terms + 1];
        for (int t = 0; t < terms; t++) start[t + 1] = start[t] + counts[t];
        var slots = new int[start[terms]];
        var weights = new float[start[terms]];
        for (int t = 0; t < oldTerms; t++)
        {
            int from = _baseStart[t], n = _baseStart[t + 1] - from;
            BaseSlots(from, n).CopyTo(slots.AsSpan(start[t], n));
            BaseWeights(from, n).CopyTo(weights.AsSpan(start[t], n));
        }
        foreach (var (term, p) in _delta)
        {
            int t = _terms.Find(term);
            int at = start[t + 1] - p.Count;
            Array.Copy(p.Slots, 0, slots, at, p.Count);
            Array.Copy(p.Weights, 0, weights, at, p.Count);
        }
        _baseStart = start;
        _baseSlots = slots;
        _baseWeights = weights;
        _postingsMapped = false;
        _delta.Clear();
        _deltaEntries = 0;
    }

    List<(int Slot, float Score)> LexicalSearch(SparseVector query, int k, CompiledFilter filter)
    {
        if (query.Count == 0 || _count == 0) return [];
        if (PrunedLexicalSearch(query, k, filter) is { } pruned)
        {
            ReleaseMappedPostings();
            return pruned;
        }
        ReleaseMappedPostings(); // a pruned attempt that fell back to the walk may have looked some up first
        int live = LiveCount;
        var scores = RentScores();
        var acc = scores.Values;
        var touched = RentTouched();
        int[]? slotBuffer = null;
        float[]? weightBuffer = null;
        try
        {
            HashSet<int>? restrict = filter.RestrictSlots is { } r ? [.. r] : null;
            for (int t = 0; t < query.Count; t++)
            {
                PostingsOf(query.Indices[t], out int from, out int n, out var delta);
                if (n + (delta?.Count ?? 0) == 0) continue;
                var slots = BaseSlots(from, n, ref slotBuffer);
                float qw = query.Values[t] * (float)LexicalEncoder.Idf(live, LiveFrequency(slots, delta));
                Accumulate(acc, touched, filter, restrict, slots, BaseWeights(from, n, ref weightBuffer), qw);
                if (delta is not null) Accumulate(acc, touched, filter, restrict, delta.Slots.AsSpan(0, delta.Count), delta.Weights.AsSpan(0, delta.Count), qw);
            }
            return TopOfTouched(acc, touched, k);
        }
        finally
        {
            ReturnScores(scores, touched, everywhere: false);
            ReturnTouched(touched);
            ReturnBuffer(slotBuffer);
            ReturnBuffer(weightBuffer);
        }
    }

    // One spare list of touched chunks, reused by the next lexical search: grown anew for every query it was the largest
    // allocation of a search (~0.3 MB at 100k chunks, a gen-0 collection every ~150 searches; BENCHMARKS.md §2.2.5).
    // A search that finds it taken (another search holds it) allocates its own; a list grown past
    // MaxSpareTouched is not kept, so an index of millions of chunks does not hold megabytes for it.
    static List<int>? s_spareTouched;
    const int MaxSpareTouched = 1 << 20;

    // The score array of a lexical search (one float a slot), kept between searches with the length of its start that
    // the last search may have written. Cleared whole when a search starts, it cost most of a short query's CPU at 1M
    // chunks (4 MB; BENCHMARKS.md §2.2.5): above ClearAtStartSlots a search instead zeroes, when it ends, only the chunks
    // it touched. Below, the clear at the start stays: it is a few microseconds and leaves the array in the cache for the
    // walk's scattered adds, which on an array zeroed a search ago (and evicted since) measured slower at 100k chunks.
    // A search that finds it taken (another search holds it) or too short takes one from the shared pool.
    sealed class ScoreArray(float[] values, int dirty)
    {
        public readonly float[] Values = values;
        public int Dirty = dirty;
    }

    static ScoreArray? s_spareScores;

    /// <summary>
    /// Up to this many slots (1 MB of scores, a core's L2 cache) the array is cleared when a search starts; a field so
    /// that tests can run the other way on a small index.
    /// </summary>
    internal static int ClearAtStartSlots = 1 << 18;

    ScoreArray RentScores()
    {
        var scores = Interlocked.Exchange(ref s_spareScores, null);
        if (scores is not null && scores.Values.Length < _count)
        {
            ArrayPool<float>.Shared.Return(scores.Values);
            scores = null;
        }
        if (scores is null)
        {
            var rented = ArrayPool<float>.Shared.Rent(Math.Max(1, _count));
            scores = new ScoreArray(rented, rented.Length); // the shared pool hands out arrays other code returned dirty
        }
        if (scores.Dirty > 0) Array.Clear(scores.Values, 0, scores.Dirty);
        scores.Dirty = 0;
        return scores;
    }

    /// <summary>
    /// Zeroes what the search wrote (the chunks it touched, or the whole index where a list was added to every score),
    /// or on a small index only notes it for the next search's clear, and keeps the array as the spare (or gives it back
    /// to the pool when another is kept).
    /// </summary>
    void ReturnScores(ScoreArray scores, List<int> touched, bool everywhere)
    {
        int used = Math.Max(1, _count);
        if (used <= ClearAtStartSlots) scores.Dirty = used;
        else if (everywhere || touched.Count > used / 16) Array.Clear(scores.Values, 0, used);
        else foreach (var slot in touched) scores.Values[slot] = 0;
        if (Interlocked.CompareExchange(ref s_spareScores, scores, null) is not null) ArrayPool<float>.Shared.Return(scores.Values);
    }

    /// <summary>Whether the kept score array is all zero, as the next search expects (for tests).</summary>
    internal static bool SpareScoresAreZero()
        => Volatile.Read(ref s_spareScores) is not { } spare || !spare.Values.AsSpan(spare.Dirty).ContainsAnyExcept(0f);

    static List<int> RentTouched() => Interlocked.Exchange(ref s_spareTouched, null) ?? new List<int>(4096);

    static void ReturnTouched(List<int> touched)
    {
        if (touched.Capacity > MaxSpareTouched) return;
        touched.Clear();
        Volatile.Write(ref s_spareTouched, touched);
    }

    /// <summary>The best k of the chunks a lexical search touched (positive, finite scores: −∞ marks a filtered-out chunk).</summary>
    static List<(int Slot, float Score)> TopOfTouched(float[] acc, List<int> touched, int k)
    {
        var top = new TopK(k);
        foreach (var slot in touched)
        {
            var s = acc[slot];
            if (s > 0 && !float.IsInfinity(s)) top.Add(slot, s);
        }
        return top.ToSortedList();
    }

    /// <summary>Adds one query term's contribution to every chunk in its postings (the first touch checks the filter).</summary>
    void Accumulate(float[] acc, List<int> touched, CompiledFilter filter, HashSet<int>? restrict, ReadOnlySpan<int> slots, ReadOnlySpan<float> weights, float qw)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            ref float a = ref acc[slot];
            if (a == 0)
            {
                touched.Add(slot);
                if (!Passes(filter, slot) || (restrict is not null && !restrict.Contains(slot)))
                {
                    a = float.NegativeInfinity;
                    continue;
                }
            }
            a += qw * weights[i];
        }
    }

    /// <summary>How many live chunks contain <paramref name="term"/>.</summary>
    long LiveFrequency(uint term)
    {
        PostingsOf(term, out int from, out int n, out var delta);
        if (_deletedCount == 0) return n + (delta?.Count ?? 0);
        int[]? buffer = null;
        try
        {
            return LiveFrequency(BaseSlots(from, n, ref buffer), delta);
        }
        finally
        {
            ReturnBuffer(buffer);
        }
    }

    /// <summary>
    /// The postings that are not tomb-stones: their count, unless chunks were deleted since the last rebuild, then
    /// counted one by one (so IDF and the term statistics are those of the live chunks, as Qdrant's are).
    /// </summary>
    long LiveFrequency(ReadOnlySpan<int> baseSlots, Postings? delta)
    {
        if (_deletedCount == 0) return baseSlots.Length + (delta?.Count ?? 0);
        long live = 0;
        foreach (var slot in baseSlots) if (!_deleted[slot]) live++;
        if (delta is not null) foreach (var slot in delta.Slots.AsSpan(0, delta.Count)) if (!_deleted[slot]) live++;
        return live;
    }

    /// <summary>Where the postings of a term are: a range of the base arrays and the delta list, if any.</summary>
    void PostingsOf(uint term, out int from, out int count, out Postings? delta)
    {
        int t = _terms.Find(term);
        _delta.TryGetValue(term, out delta);
        BaseRange(t, out from, out count);
    }

    /// <summary>The base postings of term number <paramref name="t"/> (none for -1).</summary>
    void BaseRange(int t, out int from, out int count)
    {
        from = t < 0 ? 0 : _baseStart[t];
        count = t < 0 ? 0 : _baseStart[t + 1] - from;
    }

    /// <summary>How many live chunks have at least one lexical posting (a consistency check compares it with the store).</summary>
    public int LiveSlotsWithTerms()
    {
        var seen = new bool[_count];
        int live = 0;
        void Mark(int slot)
        {
            if (slot < _count && !_deleted[slot] && !seen[slot]) { seen[slot] = true; live++; }
        }
        foreach (var slot in BaseSlots(0, BaseEntries)) Mark(slot);
        foreach (var p in _delta.Values) foreach (var slot in p.Slots.AsSpan(0, p.Count)) Mark(slot);
        return live;
    }
}
