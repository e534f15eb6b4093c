using System.Buffers;
using System.Numerics.Tensors;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Sqlite;

/// <summary>A fused result of the in-memory search: which chunk row, its fused score and per-leg details.</summary>
internal readonly record struct FusedCandidate(long RowId, double Score, float DenseScore, float? LexicalScore, int? DenseRank, int? LexicalRank);

/// <summary>
/// The search structures of the embedded store, rebuilt from SQLite at start and kept in step with it:
/// int8-quantised vectors (exact scan on all cores, float re-scoring of the best candidates from a
/// half-precision copy) and an inverted index of the BM25-weighted sparse vectors (IDF applied at query
/// time). Slots of deleted chunks are tomb-stoned and skipped; the owner rebuilds when many pile up.
/// Not thread-safe by itself: the owner serialises writers against readers.
/// </summary>
internal sealed class InMemoryHybridIndex(int dimensions)
{
    const int ParallelThreshold = 32_768;

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

    readonly int _dim = dimensions;
    int _count;
    int _deletedCount;
    byte[] _q8 = []; // int8 vectors in offset binary (see Int8Kernels.QuantizeStored)
    float[] _scale = [];
    Half[] _f16 = [];
    long[] _rowIds = [];
    int[] _articleOf = [];
    long[] _published = [];
    int[] _outletOf = [];
    bool[] _deleted = [];
    readonly Dictionary<long, int> _slotByRowId = [];
    readonly Dictionary<string, int> _articleIndex = new(StringComparer.Ordinal);
    readonly List<string> _articleIds = [];
    readonly List<List<int>> _slotsOfArticle = [];
    readonly Dictionary<string, int> _outletIndex = new(StringComparer.OrdinalIgnoreCase);
    readonly List<string> _outlets = [];

    // Lexical postings: a compact base (term table → ranges of two flat arrays) that loads and saves as
    // a handful of arrays, plus a small per-term delta for chunks added later, merged in when it grows.
    TermTable _terms = new(0);
    int[] _baseStart = [0];
    int[] _baseSlots = [];
    float[] _baseWeights = [];
    readonly Dictionary<uint, Postings> _delta = [];
    long _deltaEntries;

    // Bulk loading (a fresh index filled from the store): entries are appended flat and sorted into the base at the end.
    bool _bulk;
    int[] _bulkTerm = [];
    float[] _bulkWeight = [];
    int[] _bulkCounts = [];
    int[] _slotEntryStart = [];
    int _bulkEntries;

    public int Dimensions => _dim;

    public int LiveCount => _count - _deletedCount;

    public int SlotCount => _count;

    public int DeletedCount => _deletedCount;

    /// <summary>Postings not yet merged into the compact base.</summary>
    public long DeltaEntries => _deltaEntries;

    public bool Contains(long rowId) => _slotByRowId.ContainsKey(rowId);

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
        _bulkTerm = [];
        _bulkWeight = [];
        _bulkCounts = [];
        _slotEntryStart = [];
    }

    public void Add(long rowId, string articleId, string? outlet, DateTimeOffset? published, ReadOnlySpan<float> dense, SparseVector sparse)
        => Add(rowId, articleId, outlet, published?.ToUnixTimeMilliseconds(), dense, sparse.Indices ?? [], sparse.Values ?? []);

    /// <summary>Adds a chunk from spans (the loader reads rows into reused buffers).</summary>
    public void Add(long rowId, string articleId, string? outlet, long? publishedMs, ReadOnlySpan<float> dense, ReadOnlySpan<uint> termIds, ReadOnlySpan<float> termWeights)
    {
        if (dense.Length != _dim) throw new ArgumentException($"Vector has {dense.Length} dimensions, index has {_dim}.");
        if (_slotByRowId.ContainsKey(rowId)) return;
        EnsureCapacity(_count + 1);
        int slot = _count++;
        _scale[slot] = Int8Kernels.QuantizeStored(dense, _q8.AsSpan(slot * _dim, _dim));
        TensorPrimitives.ConvertToHalf(dense, _f16.AsSpan(slot * _dim, _dim));
        _rowIds[slot] = rowId;
        _published[slot] = publishedMs ?? long.MinValue;
        _outletOf[slot] = outlet is null ? -1 : Intern(_outletIndex, _outlets, outlet);
        int a = Intern(_articleIndex, _articleIds, articleId);
        if (a == _slotsOfArticle.Count) _slotsOfArticle.Add([]);
        _articleOf[slot] = a;
        _slotsOfArticle[a].Add(slot);
        _deleted[slot] = false;
        _slotByRowId[rowId] = slot;
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
        if (_deltaEntries > 200_000 && _deltaEntries > _baseSlots.Length / 4) MergeDelta();
    }

    /// <summary>Folds the delta postings into the compact base (delta slots are newer, so ranges stay in slot order).</summary>
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
            Array.Copy(_baseSlots, from, slots, start[t], n);
            Array.Copy(_baseWeights, from, weights, start[t], n);
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
        _delta.Clear();
        _deltaEntries = 0;
    }

    public void Remove(long rowId)
    {
        if (!_slotByRowId.Remove(rowId, out var slot)) return;
        _deleted[slot] = true;
        _deletedCount++;
        _slotsOfArticle[_articleOf[slot]].Remove(slot);
    }

    static int Intern(Dictionary<string, int> map, List<string> list, string key)
    {
        if (!map.TryGetValue(key, out var id))
        {
            id = list.Count;
            map[key] = id;
            list.Add(key);
        }
        return id;
    }

    void EnsureCapacity(int needed)
    {
        if (needed <= _rowIds.Length) return;
        int cap = Math.Max(needed, Math.Max(1024, _rowIds.Length * 3 / 2));
        Array.Resize(ref _q8, cap * _dim);
        Array.Resize(ref _f16, cap * _dim);
        Array.Resize(ref _scale, cap);
        Array.Resize(ref _rowIds, cap);
        Array.Resize(ref _articleOf, cap);
        Array.Resize(ref _published, cap);
        Array.Resize(ref _outletOf, cap);
        Array.Resize(ref _deleted, cap);
    }

    /// <summary>Filter compiled for one query.</summary>
    sealed class CompiledFilter
    {
        public bool Any;
        public bool[]? Outlets;
        public long After = long.MinValue;
        public long Before = long.MaxValue;
        public bool DateFilter;
        public bool IncludeUndated = true;
        public int[]? RestrictSlots;
    }

    CompiledFilter Compile(SearchFilter f)
    {
        var c = new CompiledFilter();
        if (f.Outlets is { Count: > 0 })
        {
            c.Outlets = new bool[Math.Max(1, _outletIndex.Count)];
            foreach (var o in f.Outlets)
                if (_outletIndex.TryGetValue(o.Trim(), out var id)) c.Outlets[id] = true;
            c.Any = true;
        }
        if (f.HasDateFilter)
        {
            c.DateFilter = true;
            c.After = f.PublishedAfter?.ToUnixTimeMilliseconds() ?? long.MinValue;
            c.Before = f.PublishedBefore?.ToUnixTimeMilliseconds() ?? long.MaxValue;
            c.IncludeUndated = f.IncludeUndated;
            c.Any = true;
        }
        if (f.ArticleIds is { Count: > 0 })
        {
            var slots = new List<int>();
            foreach (var id in f.ArticleIds)
                if (_articleIndex.TryGetValue(id, out var a)) slots.AddRange(_slotsOfArticle[a]);
            c.RestrictSlots = slots.ToArray();
        }
        return c;
    }

    bool Passes(CompiledFilter f, int slot)
    {
        if (_deleted[slot]) return false;
        if (!f.Any) return true;
        if (f.Outlets is not null)
        {
            int o = _outletOf[slot];
            if (o < 0 || o >= f.Outlets.Length || !f.Outlets[o]) return false;
        }
        if (f.DateFilter)
        {
            long p = _published[slot];
            if (p == long.MinValue) return f.IncludeUndated;
            if (p < f.After || p >= f.Before) return false;
        }
        return true;
    }

    public List<FusedCandidate> Search(HybridQuery query, int rrfK)
    {
        var filter = Compile(query.Filter);
        int perLeg = Math.Max(query.CandidatesPerLeg, query.Top);
        List<(int Slot, float Score)> dense, lexical;
        if (query.Mode == RetrievalMode.Hybrid && _count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            // large indexes: the lexical leg runs beside the dense scan, which waits on memory more than on the cores
            var lexicalTask = Task.Run(() => LexicalSearch(query.Sparse, perLeg, filter));
            dense = DenseSearch(query.Dense, perLeg, filter);
            lexical = lexicalTask.GetAwaiter().GetResult();
        }
        else
        {
            dense = query.Mode == RetrievalMode.Lexical ? [] : DenseSearch(query.Dense, perLeg, filter);
            lexical = query.Mode == RetrievalMode.Dense ? [] : LexicalSearch(query.Sparse, perLeg, filter);
        }

        var fused = new Dictionary<int, (double Score, int? DRank, int? LRank, float? Lex)>();
        for (int i = 0; i < dense.Count; i++)
            fused[dense[i].Slot] = (query.DenseWeight / (rrfK + i + 1), i + 1, null, null);
        for (int i = 0; i < lexical.Count; i++)
        {
            var s = query.LexicalWeight / (rrfK + i + 1);
            fused[lexical[i].Slot] = fused.TryGetValue(lexical[i].Slot, out var prev)
                ? (prev.Score + s, prev.DRank, i + 1, lexical[i].Score)
                : (s, null, i + 1, lexical[i].Score);
        }
        var denseScores = dense.ToDictionary(d => d.Slot, d => d.Score);
        Span<float> buf = _dim <= 4096 ? stackalloc float[_dim] : new float[_dim];
        var result = new List<FusedCandidate>(Math.Min(query.Top, fused.Count));
        foreach (var (slot, v) in fused.OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Key).Take(query.Top))
        {
            float ds = denseScores.TryGetValue(slot, out var d) ? d : Exact(slot, query.Dense, buf);
            result.Add(new FusedCandidate(_rowIds[slot], v.Score, ds, v.Lex, v.DRank, v.LRank));
        }
        return result;
    }

    float Exact(int slot, ReadOnlySpan<float> q, Span<float> buf)
    {
        if (q.Length != _dim) return 0;
        TensorPrimitives.ConvertToSingle(_f16.AsSpan(slot * _dim, _dim), buf);
        return TensorPrimitives.Dot(buf, q);
    }

    List<(int Slot, float Score)> DenseSearch(float[] query, int k, CompiledFilter filter)
    {
        if (query.Length != _dim || _count == 0) return [];
        var q7 = new sbyte[_dim];
        float qScale = Int8Kernels.QuantizeQuery(query, q7, out int offset);
        if (qScale == 0) return [];
        int rescore = Math.Max(k * 4, 200); // int8 candidates re-scored exactly: recall@10 against exact search stays at 1.0
        TopK approx;
        if (filter.RestrictSlots is { } restricted)
        {
            approx = new TopK(rescore);
            foreach (var slot in restricted) ScoreSlot(slot, approx);
        }
        else if (_count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            int parts = Math.Min(Environment.ProcessorCount, 8);
            var partial = new TopK[parts];
            int per = (_count + parts - 1) / parts;
            Parallel.For(0, parts, p =>
            {
                var local = new TopK(rescore);
                int end = Math.Min(_count, (p + 1) * per);
                if (filter.Any || _deletedCount > 0)
                    for (int slot = p * per; slot < end; slot++) ScoreSlot(slot, local);
                else
                    ScanRange(_q8, _scale, _dim, p * per, end, q7, offset, local);
                partial[p] = local;
            });
            approx = new TopK(rescore);
            foreach (var t in partial) approx.AddAll(t);
        }
        else
        {
            approx = new TopK(rescore);
            for (int slot = 0; slot < _count; slot++) ScoreSlot(slot, approx);
        }

        // exact re-scoring of the int8 candidates
        var exact = new TopK(k);
        Span<float> buf = _dim <= 4096 ? stackalloc float[_dim] : new float[_dim];
        foreach (var (slot, _) in approx.ToSortedList())
            exact.Add(slot, Exact(slot, query, buf));
        return exact.ToSortedList();

        void ScoreSlot(int slot, TopK top)
        {
            if ((filter.Any || _deleted[slot]) && !Passes(filter, slot)) return;
            float s = Int8Kernels.Dot(_q8.AsSpan(slot * _dim, _dim), q7, offset) * _scale[slot];
            if (s > top.Threshold) top.Add(slot, s);
        }
    }

    /// <summary>The unfiltered scan of a range of slots, with everything it needs in locals.</summary>
    static void ScanRange(byte[] vectors, float[] scales, int dim, int from, int to, sbyte[] q, int offset, TopK top)
    {
        float threshold = top.Threshold;
        var data = vectors.AsSpan(from * dim, (to - from) * dim);
        for (int slot = from, at = 0; slot < to; slot++, at += dim)
        {
            float s = Int8Kernels.Dot(data.Slice(at, dim), q, offset) * scales[slot];
            if (s > threshold)
            {
                top.Add(slot, s);
                threshold = top.Threshold;
            }
        }
    }

    List<(int Slot, float Score)> LexicalSearch(SparseVector query, int k, CompiledFilter filter)
    {
        if (query.Count == 0 || _count == 0) return [];
        int live = LiveCount;
        var acc = ArrayPool<float>.Shared.Rent(_count);
        Array.Clear(acc, 0, _count); // the shared pool hands out arrays other code returned dirty
        var touched = new List<int>();
        try
        {
            HashSet<int>? restrict = filter.RestrictSlots is { } r ? [.. r] : null;
            for (int t = 0; t < query.Count; t++)
            {
                PostingsOf(query.Indices[t], out int from, out int n, out var delta);
                int df = n + (delta?.Count ?? 0);
                if (df == 0) continue;
                float qw = query.Values[t] * (float)LexicalEncoder.Idf(live, Math.Min(df, live));
                Accumulate(acc, touched, filter, restrict, _baseSlots.AsSpan(from, n), _baseWeights.AsSpan(from, n), qw);
                if (delta is not null) Accumulate(acc, touched, filter, restrict, delta.Slots.AsSpan(0, delta.Count), delta.Weights.AsSpan(0, delta.Count), qw);
            }
            var top = new TopK(k);
            foreach (var slot in touched)
            {
                var s = acc[slot];
                if (s > 0 && !float.IsInfinity(s)) top.Add(slot, s);
            }
            return top.ToSortedList();
        }
        finally
        {
            ArrayPool<float>.Shared.Return(acc);
        }
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

    /// <summary>Where the postings of a term are: a range of the base arrays and the delta list, if any.</summary>
    void PostingsOf(uint term, out int from, out int count, out Postings? delta)
    {
        int t = _terms.Find(term);
        _delta.TryGetValue(term, out delta);
        from = t < 0 ? 0 : _baseStart[t];
        count = t < 0 ? 0 : _baseStart[t + 1] - from;
    }

    public (long[] DocumentFrequencies, long Chunks) DocumentFrequencies(IReadOnlyList<uint> termIds)
    {
        var df = new long[termIds.Count];
        for (int i = 0; i < termIds.Count; i++)
        {
            PostingsOf(termIds[i], out _, out var n, out var delta);
            df[i] = Math.Min(n + (delta?.Count ?? 0), LiveCount);
        }
        return (df, LiveCount);
    }

    /// <summary>Approximate memory held by the search structures, in bytes.</summary>
    public long EstimatedBytes()
    {
        long delta = 0;
        foreach (var p in _delta.Values) delta += p.Slots.Length * 8L + 48;
        return _q8.LongLength + _f16.LongLength * 2 + _rowIds.LongLength * (4 + 8 + 4 + 8 + 4 + 1 + 4)
            + _terms.Bytes + _baseStart.LongLength * 4 + _baseSlots.LongLength * 8 + delta;
    }

    // ---- snapshot: the whole structure as a few flat arrays, so a process starts without rebuilding it ----

    const ulong SnapshotMagic = 0x32_50_41_4E_53_49_42_4E; // "NBISNAP2"

    /// <summary>Writes the index after a header the owner fills; call <see cref="MergeDelta"/> first (the delta is not written).</summary>
    public void WriteTo(Stream stream, SnapshotHeader header)
    {
        if (_delta.Count > 0) throw new InvalidOperationException("Merge the delta postings before writing a snapshot.");
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(SnapshotMagic);
        header.WriteTo(w);
        w.Write(_dim);
        w.Write(_count);
        w.Write(_deletedCount);
        WriteArray(w, _q8.AsSpan(0, _count * _dim));
        WriteArray(w, _scale.AsSpan(0, _count));
        WriteArray(w, _f16.AsSpan(0, _count * _dim));
        WriteArray(w, _rowIds.AsSpan(0, _count));
        WriteArray(w, _articleOf.AsSpan(0, _count));
        WriteArray(w, _published.AsSpan(0, _count));
        WriteArray(w, _outletOf.AsSpan(0, _count));
        WriteArray(w, _deleted.AsSpan(0, _count));
        WriteStrings(w, _articleIds);
        WriteStrings(w, _outlets);
        _terms.WriteTo(w);
        WriteArray(w, _baseStart.AsSpan());
        WriteArray(w, _baseSlots.AsSpan());
        WriteArray(w, _baseWeights.AsSpan());
        w.Write(SnapshotMagic);
    }

    /// <summary>Reads a snapshot written by <see cref="WriteTo"/>; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public static (InMemoryHybridIndex Index, SnapshotHeader Header) ReadFrom(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadUInt64() != SnapshotMagic) throw new InvalidDataException("not an index snapshot");
        var header = SnapshotHeader.ReadFrom(r);
        int dim = r.ReadInt32(), count = r.ReadInt32(), deleted = r.ReadInt32();
        if (dim <= 0 || count < 0 || deleted < 0 || deleted > count) throw new InvalidDataException("bad snapshot sizes");
        var x = new InMemoryHybridIndex(dim) { _count = count, _deletedCount = deleted };
        x._q8 = ReadArray<byte>(r, (long)count * dim);
        x._scale = ReadArray<float>(r, count);
        x._f16 = ReadArray<Half>(r, (long)count * dim);
        x._rowIds = ReadArray<long>(r, count);
        x._articleOf = ReadArray<int>(r, count);
        x._published = ReadArray<long>(r, count);
        x._outletOf = ReadArray<int>(r, count);
        x._deleted = ReadArray<bool>(r, count);
        foreach (var id in ReadStrings(r)) Intern(x._articleIndex, x._articleIds, id);
        foreach (var o in ReadStrings(r)) Intern(x._outletIndex, x._outlets, o);
        x._terms = TermTable.ReadFrom(r);
        x._baseStart = ReadArray<int>(r, x._terms.Count + 1);
        x._baseSlots = ReadArray<int>(r, x._baseStart[^1]);
        x._baseWeights = ReadArray<float>(r, x._baseStart[^1]);
        if (r.ReadUInt64() != SnapshotMagic) throw new InvalidDataException("truncated snapshot");
        for (int a = 0; a < x._articleIds.Count; a++) x._slotsOfArticle.Add([]);
        for (int slot = 0; slot < count; slot++)
        {
            if (x._articleOf[slot] < 0 || x._articleOf[slot] >= x._articleIds.Count || x._outletOf[slot] >= x._outlets.Count)
                throw new InvalidDataException("bad snapshot references");
            if (x._deleted[slot]) continue;
            x._slotByRowId[x._rowIds[slot]] = slot;
            x._slotsOfArticle[x._articleOf[slot]].Add(slot);
        }
        return (x, header);
    }

    static void WriteArray<T>(BinaryWriter w, ReadOnlySpan<T> values) where T : unmanaged
    {
        w.Write((long)values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    static T[] ReadArray<T>(BinaryReader r, long expected) where T : unmanaged
    {
        long n = r.ReadInt64();
        if (n != expected || n < 0 || n > Array.MaxLength) throw new InvalidDataException($"snapshot array of {n} items where {expected} were expected");
        var values = new T[n];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    static void WriteStrings(BinaryWriter w, List<string> values)
    {
        w.Write(values.Count);
        foreach (var v in values) w.Write(v);
    }

    static List<string> ReadStrings(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException("bad snapshot string count");
        var list = new List<string>(n);
        for (int i = 0; i < n; i++) list.Add(r.ReadString());
        return list;
    }
}

/// <summary>What a snapshot was taken of: which database, model and position in its change log.</summary>
internal sealed record SnapshotHeader(string InstanceId, string Model, long Generation, long MaxRowId, long LastDeletionSeq)
{
    public void WriteTo(BinaryWriter w)
    {
        w.Write(InstanceId);
        w.Write(Model);
        w.Write(Generation);
        w.Write(MaxRowId);
        w.Write(LastDeletionSeq);
    }

    public static SnapshotHeader ReadFrom(BinaryReader r) => new(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
}

/// <summary>Open-addressing map from term id to a dense term number (0, 1, 2, … in order of first sight).</summary>
internal sealed class TermTable
{
    // key and number side by side: a lookup touches one cache line (number + 1; 0 marks an empty slot)
    struct Entry
    {
        public uint Key;
        public int Number;
    }

    Entry[] _entries;
    int _shift;
    uint[] _byNumber;

    public TermTable(int expected)
    {
        _entries = new Entry[Capacity(expected)];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)_entries.Length);
        _byNumber = new uint[Math.Max(16, expected)];
    }

    TermTable(uint[] byNumber, int count) : this(0)
    {
        _entries = new Entry[Capacity(count)];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)_entries.Length);
        _byNumber = byNumber;
        for (int i = 0; i < count; i++) Insert(byNumber[i], i + 1);
        Count = count;
    }

    static int Capacity(int expected)
    {
        int cap = 16;
        while (cap < expected * 2L) cap <<= 1;
        return cap;
    }

    public int Count { get; private set; }

    public long Bytes => _entries.LongLength * 8 + _byNumber.LongLength * 4;

    int Home(uint key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    public int Find(uint key)
    {
        var entries = _entries;
        int mask = entries.Length - 1;
        for (int i = Home(key); ; i = (i + 1) & mask)
        {
            ref var e = ref entries[i];
            if (e.Number == 0) return -1;
            if (e.Key == key) return e.Number - 1;
        }
    }

    public int GetOrAdd(uint key)
    {
        var entries = _entries;
        int mask = entries.Length - 1;
        int i = Home(key);
        for (; ; i = (i + 1) & mask)
        {
            ref var e = ref entries[i];
            if (e.Number == 0) break;
            if (e.Key == key) return e.Number - 1;
        }
        if ((Count + 1) * 2L > entries.Length)
        {
            Grow();
            return GetOrAdd(key);
        }
        entries[i].Key = key;
        entries[i].Number = Count + 1;
        if (Count == _byNumber.Length) Array.Resize(ref _byNumber, _byNumber.Length * 2);
        _byNumber[Count] = key;
        return Count++;
    }

    void Insert(uint key, int number)
    {
        int mask = _entries.Length - 1;
        int i = Home(key);
        while (_entries[i].Number != 0) i = (i + 1) & mask;
        _entries[i].Key = key;
        _entries[i].Number = number;
    }

    void Grow()
    {
        _entries = new Entry[_entries.Length * 2];
        _shift--;
        for (int i = 0; i < Count; i++) Insert(_byNumber[i], i + 1);
    }

    public void WriteTo(BinaryWriter w)
    {
        w.Write(Count);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_byNumber.AsSpan(0, Count)));
    }

    public static TermTable ReadFrom(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0) throw new InvalidDataException("bad snapshot term count");
        var byNumber = new uint[Math.Max(16, n)];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(byNumber.AsSpan(0, n)));
        return new TermTable(byNumber, n);
    }
}
