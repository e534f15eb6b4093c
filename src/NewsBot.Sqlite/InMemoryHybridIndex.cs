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
    sbyte[] _q8 = [];
    float[] _scale = [];
    Half[] _f16 = [];
    long[] _rowIds = [];
    int[] _articleOf = [];
    long[] _published = [];
    int[] _outletOf = [];
    bool[] _deleted = [];
    readonly Dictionary<long, int> _slotByRowId = [];
    readonly Dictionary<string, int> _articleIndex = new(StringComparer.Ordinal);
    readonly List<List<int>> _slotsOfArticle = [];
    readonly Dictionary<string, int> _outletIndex = new(StringComparer.OrdinalIgnoreCase);
    readonly Dictionary<uint, Postings> _postings = [];

    public int Dimensions => _dim;

    public int LiveCount => _count - _deletedCount;

    public int SlotCount => _count;

    public int DeletedCount => _deletedCount;

    public bool Contains(long rowId) => _slotByRowId.ContainsKey(rowId);

    public void Add(long rowId, string articleId, string? outlet, DateTimeOffset? published, ReadOnlySpan<float> dense, SparseVector sparse)
        => Add(rowId, articleId, outlet, published?.ToUnixTimeMilliseconds(), dense, sparse.Indices ?? [], sparse.Values ?? []);

    /// <summary>Adds a chunk from spans (the loader reads rows into reused buffers).</summary>
    public void Add(long rowId, string articleId, string? outlet, long? publishedMs, ReadOnlySpan<float> dense, ReadOnlySpan<uint> termIds, ReadOnlySpan<float> termWeights)
    {
        if (dense.Length != _dim) throw new ArgumentException($"Vector has {dense.Length} dimensions, index has {_dim}.");
        if (_slotByRowId.ContainsKey(rowId)) return;
        EnsureCapacity(_count + 1);
        int slot = _count++;
        _scale[slot] = Int8Kernels.Quantize(dense, _q8.AsSpan(slot * _dim, _dim));
        TensorPrimitives.ConvertToHalf(dense, _f16.AsSpan(slot * _dim, _dim));
        _rowIds[slot] = rowId;
        _published[slot] = publishedMs ?? long.MinValue;
        _outletOf[slot] = outlet is null ? -1 : Intern(_outletIndex, outlet);
        if (!_articleIndex.TryGetValue(articleId, out var a))
        {
            a = _slotsOfArticle.Count;
            _articleIndex[articleId] = a;
            _slotsOfArticle.Add([]);
        }
        _articleOf[slot] = a;
        _slotsOfArticle[a].Add(slot);
        _deleted[slot] = false;
        _slotByRowId[rowId] = slot;
        for (int i = 0; i < termIds.Length; i++)
        {
            ref var p = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_postings, termIds[i], out _);
            p ??= new Postings();
            p.Add(slot, termWeights[i]);
        }
    }

    public void Remove(long rowId)
    {
        if (!_slotByRowId.Remove(rowId, out var slot)) return;
        _deleted[slot] = true;
        _deletedCount++;
        _slotsOfArticle[_articleOf[slot]].Remove(slot);
    }

    static int Intern(Dictionary<string, int> map, string key)
    {
        if (!map.TryGetValue(key, out var id))
        {
            id = map.Count;
            map[key] = id;
        }
        return id;
    }

    void EnsureCapacity(int needed)
    {
        if (needed <= _rowIds.Length) return;
        int cap = Math.Max(needed, Math.Max(1024, _rowIds.Length * 2));
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
        List<(int Slot, float Score)> dense = query.Mode == RetrievalMode.Lexical ? [] : DenseSearch(query.Dense, perLeg, filter);
        List<(int Slot, float Score)> lexical = query.Mode == RetrievalMode.Dense ? [] : LexicalSearch(query.Sparse, perLeg, filter);

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
        var q16 = new short[_dim];
        float qScale = Int8Kernels.QuantizeQuery(query, q16);
        if (qScale == 0) return [];
        int rescore = Math.Max(k * 2, 100);
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
                for (int slot = p * per; slot < end; slot++) ScoreSlot(slot, local);
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
            float s = Int8Kernels.Dot(_q8.AsSpan(slot * _dim, _dim), q16) * _scale[slot];
            if (s > top.Threshold) top.Add(slot, s);
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
                if (!_postings.TryGetValue(query.Indices[t], out var p)) continue;
                float idf = (float)LexicalEncoder.Idf(live, Math.Min(p.Count, live));
                float qw = query.Values[t] * idf;
                var slots = p.Slots;
                var weights = p.Weights;
                for (int i = 0; i < p.Count; i++)
                {
                    int slot = slots[i];
                    if (acc[slot] == 0)
                    {
                        if (!Passes(filter, slot) || (restrict is not null && !restrict.Contains(slot))) { acc[slot] = float.NegativeInfinity; touched.Add(slot); continue; }
                        touched.Add(slot);
                    }
                    acc[slot] += qw * weights[i];
                }
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

    public (long[] DocumentFrequencies, long Chunks) DocumentFrequencies(IReadOnlyList<uint> termIds)
    {
        var df = new long[termIds.Count];
        for (int i = 0; i < termIds.Count; i++)
            df[i] = _postings.TryGetValue(termIds[i], out var p) ? Math.Min(p.Count, LiveCount) : 0;
        return (df, LiveCount);
    }

    /// <summary>Approximate memory held by the search structures, in bytes.</summary>
    public long EstimatedBytes()
    {
        long postings = 0;
        foreach (var p in _postings.Values) postings += p.Slots.Length * 8L + 48;
        return _q8.LongLength + _f16.LongLength * 2 + _rowIds.LongLength * (4 + 8 + 4 + 8 + 4 + 1) + postings;
    }
}
