using System.Buffers;
using System.Numerics.Tensors;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
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
internal sealed partial class InMemoryHybridIndex(int dimensions) : IDisposable
{
    /// <summary>
    /// From this many slots on, the dense scan is split across the cores and the lexical leg runs beside it. Below
    /// it a single-threaded scan takes well under a millisecond (0.4 ms p50 at 10k in BENCHMARKS.md §2), less than
    /// starting and joining the parallel work costs; chosen as a power of two between the 10k and 100k bench sizes.
    /// </summary>
    const int ParallelThreshold = 32_768;

    readonly int _dim = dimensions;
    int _count;
    int _deletedCount;
    // int8 vectors in offset binary (see Int8Kernels.QuantizeStored) and their half-precision copy: slots below
    // _mappedSlots are read in place from the mapped snapshot, the rest (added since) from these heap arrays
    byte[] _q8 = [];
    Half[] _f16 = [];
    SnapshotMapping? _map;
    int _mappedSlots;
    long _q8At, _f16At;
    // 1-bit codes of the mapped slots (BinaryCodes), with their factors and the centre they were taken around;
    // _codesAt is 0 where the snapshot has none (read into the heap) and every slot is scanned in int8
    float[] _center = [];
    long _codesAt, _factorsAt;
    float[] _scale = [];
    long[] _rowIds = [];
    int[] _articleOf = [];
    long[] _published = [];
    int[] _outletOf = [];
    bool[] _deleted = [];
    // Which slot holds a row, and the slots of each article: an index opened from a snapshot builds them on first use
    // (SlotMaps), since a one-shot `ask` at 1M chunks never needs them and the million inserts were a tenth of its start.
    Dictionary<long, int>? _slotByRowIdBuilt = [];
    List<List<int>>? _slotsOfArticleBuilt = [];
    readonly Lock _slotMapsGate = new();
    readonly Dictionary<string, int> _articleIndex = new(StringComparer.Ordinal);
    readonly List<string> _articleIds = [];

    Dictionary<long, int> SlotByRowId => Volatile.Read(ref _slotByRowIdBuilt) ?? BuildSlotMaps().ByRowId;

    List<List<int>> SlotsOfArticle => Volatile.Read(ref _slotByRowIdBuilt) is not null ? _slotsOfArticleBuilt! : BuildSlotMaps().OfArticle;

    /// <summary>Forgets the slot maps, to be built from the slot arrays at first use (after a snapshot is read).</summary>
    void DeferSlotMaps()
    {
        _slotsOfArticleBuilt = null;
        Volatile.Write(ref _slotByRowIdBuilt, null);
    }

    (Dictionary<long, int> ByRowId, List<List<int>> OfArticle) BuildSlotMaps()
    {
        // concurrent searches (read lock) may both get here: one builds, the others wait for it; writers hold the write lock
        lock (_slotMapsGate)
        {
            if (_slotByRowIdBuilt is { } done) return (done, _slotsOfArticleBuilt!);
            var byRowId = new Dictionary<long, int>(_count - _deletedCount);
            var ofArticle = new List<List<int>>(_articleIds.Count);
            for (int a = 0; a < _articleIds.Count; a++) ofArticle.Add([]);
            for (int slot = 0; slot < _count; slot++)
            {
                if (_deleted[slot]) continue;
                byRowId[_rowIds[slot]] = slot;
                ofArticle[_articleOf[slot]].Add(slot);
            }
            _slotsOfArticleBuilt = ofArticle;
            Volatile.Write(ref _slotByRowIdBuilt, byRowId); // published last: its being set means both are there
            return (byRowId, ofArticle);
        }
    }
    readonly Dictionary<string, int> _outletIndex = new(StringComparer.OrdinalIgnoreCase);
    readonly List<string> _outlets = [];

    public int Dimensions => _dim;

    public int LiveCount => _count - _deletedCount;

    public int SlotCount => _count;

    public int DeletedCount => _deletedCount;

    /// <summary>Postings not yet merged into the compact base.</summary>
    public long DeltaEntries => _deltaEntries;

    public bool Contains(long rowId) => SlotByRowId.ContainsKey(rowId);

    /// <summary>Whether the large sections are read from a mapped snapshot file.</summary>
    public bool IsMapped => _map is not null;

    /// <summary>The int8 vectors of slots [from, from + count), which lie on one side of <see cref="_mappedSlots"/>.</summary>
    ReadOnlySpan<byte> Q8(int from, int count)
        => from < _mappedSlots ? _map!.Span<byte>(_q8At + (long)from * _dim, (long)count * _dim) : _q8.AsSpan((from - _mappedSlots) * _dim, count * _dim);

    ReadOnlySpan<ulong> Codes(int from, int count)
        => _map!.Span<ulong>(_codesAt + (long)from * CodeWords * 8, (long)count * CodeWords);

    ReadOnlySpan<float> Factors(int from, int count) => _map!.Span<float>(_factorsAt + (long)from * 4, count);

    int CodeWords => BinaryCodes.WordsFor(_dim);

    /// <summary>
    /// The half-precision vectors of slots [from, from + count), which lie on one side of <see cref="_mappedSlots"/>:
    /// added slots in place, mapped ones read from the file into <paramref name="scratch"/> (count × dimensions), not
    /// touched through the mapping, unless the section is small (<see cref="F16InPlaceBytes"/>). Only the best few hundred
    /// candidates of a query are read here, at random places, and through the mapping each would leave 64 KB of the
    /// section resident (<see cref="SnapshotMapping.Read{T}"/>): at 1M chunks the whole 768 MB section after a few hundred queries.
    /// </summary>
    ReadOnlySpan<Half> F16(int from, int count, Span<Half> scratch)
    {
        if (from >= _mappedSlots) return _f16.AsSpan((from - _mappedSlots) * _dim, count * _dim);
        if (F16InPlace) return _map!.Span<Half>(_f16At + (long)from * _dim * 2, (long)count * _dim);
        var dest = scratch[..(count * _dim)];
        _map!.Read(_f16At + (long)from * _dim * 2, dest);
        return dest;
    }

    /// <summary>
    /// A mapped half-precision section of at most this many bytes is read in place, through the mapping, instead of by
    /// one positional read (a system call) a row (<see cref="F16"/>); <c>NEWSBOT_F16_IN_PLACE_MB</c> overrides it (0:
    /// never, for A/B runs). See <see cref="DefaultF16InPlaceBytes"/>.
    /// </summary>
    internal static long F16InPlaceBytes = long.TryParse(Environment.GetEnvironmentVariable("NEWSBOT_F16_IN_PLACE_MB"), out var mb) && mb >= 0 ? mb << 20 : DefaultF16InPlaceBytes;

    /// <summary>
    /// Read in place up to 96 MB of half-precision vectors (125k chunks at 384 dimensions): a row read through the mapping is
    /// loaded where it lies instead of copied by a system call, ~0.75 µs less CPU a row (~0.1 ms a search at 100k chunks, §2.2.9), but
    /// fault-around maps the 64 KB around each row touched, so over many searches the whole section becomes part of the
    /// process's resident set: the 100k bench's peak rose from ~400 to 469 MB (its target 500). At 1M chunks the section
    /// is 768 MB, which the 1.5 GB target (1.21 GB measured) cannot take: large sections stay on positional reads.
    /// </summary>
    internal const long DefaultF16InPlaceBytes = 96L << 20;

    bool F16InPlace => (long)_mappedSlots * _dim * 2 <= F16InPlaceBytes;

    /// <summary>
    /// Lets go of the process's resident pages of the mapped snapshot (<see cref="SnapshotMapping.ReleaseResidentPages"/>):
    /// searches map again what they touch, from the page cache. Before a rewrite, which reads the old file by positional reads.
    /// </summary>
    public void ReleaseMappedPages() => _map?.ReleaseResidentPages();

    /// <summary>Releases the mapped snapshot; the owner calls it under its write lock, when no search can be reading.</summary>
    public void Dispose()
    {
        ReleaseCodeBlocks();
        _nibbles?.Dispose();
        _nibbles = null;
        _map?.Dispose();
        _map = null;
    }

    public void Add(long rowId, string articleId, string? outlet, DateTimeOffset? published, ReadOnlySpan<float> dense, SparseVector sparse)
        => Add(rowId, articleId, outlet, published?.ToUnixTimeMilliseconds(), dense, sparse.Indices ?? [], sparse.Values ?? []);

    /// <summary>Adds a chunk from spans (the loader reads rows into reused buffers).</summary>
    public void Add(long rowId, string articleId, string? outlet, long? publishedMs, ReadOnlySpan<float> dense, ReadOnlySpan<uint> termIds, ReadOnlySpan<float> termWeights)
    {
        if (dense.Length != _dim) throw new ArgumentException($"Vector has {dense.Length} dimensions, index has {_dim}.");
        if (SlotByRowId.ContainsKey(rowId)) return;
        EnsureCapacity(_count + 1);
        int slot = _count++;
        int tail = (slot - _mappedSlots) * _dim;
        _scale[slot] = Int8Kernels.QuantizeStored(dense, _q8.AsSpan(tail, _dim));
        TensorPrimitives.ConvertToHalf(dense, _f16.AsSpan(tail, _dim));
        _rowIds[slot] = rowId;
        _published[slot] = publishedMs ?? long.MinValue;
        _outletOf[slot] = outlet is null ? -1 : Intern(_outletIndex, _outlets, outlet);
        int a = Intern(_articleIndex, _articleIds, articleId);
        if (a == SlotsOfArticle.Count) SlotsOfArticle.Add([]);
        _articleOf[slot] = a;
        SlotsOfArticle[a].Add(slot);
        _deleted[slot] = false;
        SlotByRowId[rowId] = slot;
        AddPostings(slot, termIds, termWeights);
    }

    public void Remove(long rowId)
    {
        if (!SlotByRowId.Remove(rowId, out var slot)) return;
        _deleted[slot] = true;
        _deletedCount++;
        SlotsOfArticle[_articleOf[slot]].Remove(slot);
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
        // the heap arrays of the vectors hold only the slots after the mapped ones, and grow with them alone
        int tailNeeded = needed - _mappedSlots, tailCap = _q8.Length / _dim;
        if (tailNeeded > tailCap)
        {
            int grown = Math.Max(tailNeeded, Math.Max(1024, tailCap * 3 / 2));
            Array.Resize(ref _q8, grown * _dim);
            Array.Resize(ref _f16, grown * _dim);
        }
        if (needed <= _rowIds.Length) return;
        int cap = Math.Max(needed, Math.Max(1024, _rowIds.Length * 3 / 2));
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
                if (_articleIndex.TryGetValue(id, out var a)) slots.AddRange(SlotsOfArticle[a]);
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

    /// <summary>The fused top of a query; <paramref name="clock"/>, if given, records when each phase ended (<see cref="SearchPhases"/>).</summary>
    public List<FusedCandidate> Search(HybridQuery query, int rrfK, SearchClock? clock = null)
    {
        var filter = Compile(query.Filter);
        // a search whose dense leg will fork wakes the helper now, before the query's preparation (§2.2.8)
        if (query.Mode != RetrievalMode.Lexical && _count >= ParallelThreshold && filter.RestrictSlots is null) WakeHelpers();
        int perLeg = Math.Max(query.CandidatesPerLeg, query.Top);
        List<(int Slot, float Score)> dense, lexical;
        clock?.MarkLegsStart();
        if (query.Mode == RetrievalMode.Hybrid && _count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            // large indexes: the lexical leg is one more work item of the dense scan's parallel parts, taken by the first
            // core that finds no dense part left, beside the exact re-scoring (ParallelParts; it was a task of its own,
            // which on two cores queued behind or beside the parts, BENCHMARKS.md §2.2.2, then the first item, §2.2.6)
            List<(int Slot, float Score)>? lexicalHits = null;
            dense = DenseSearch(query.Dense, perLeg, filter, () => lexicalHits = Lexical());
            lexical = lexicalHits!;
            clock?.MarkDenseEnd();
        }
        else
        {
            dense = query.Mode == RetrievalMode.Lexical ? [] : DenseSearch(query.Dense, perLeg, filter);
            clock?.MarkDenseEnd();
            lexical = query.Mode == RetrievalMode.Dense ? [] : Lexical();
        }
        clock?.MarkLegsEnd();

        var fused = HybridFusion.Fuse(dense.ConvertAll(Leg), lexical.ConvertAll(Leg), query, rrfK, _chunkOrder ??= new ChunkOrder(this));
        Span<float> buf = _dim <= 4096 ? stackalloc float[_dim] : new float[_dim];
        var result = new List<FusedCandidate>(fused.Count);
        foreach (var c in fused)
        {
            float ds = c.DenseScore ?? (query.Mode == RetrievalMode.Lexical ? 0 : Exact(c.Key, query.Dense, buf));
            result.Add(new FusedCandidate(_rowIds[c.Key], c.Score, ds, c.LexicalScore, c.DenseRank, c.LexicalRank));
        }
        clock?.MarkFusionEnd();
        return result;

        static LegCandidate<int> Leg((int Slot, float Score) x) => new(x.Slot, x.Score);

        List<(int Slot, float Score)> Lexical()
            => clock is null ? LexicalSearch(query.Sparse, perLeg, filter) : clock.Lexical(() => LexicalSearch(query.Sparse, perLeg, filter));
    }

    ChunkOrder? _chunkOrder;

    /// <summary>
    /// Orders slots of equal leg score as every index does (<see cref="HybridFusion"/>): by article id, then by
    /// position, which within an article is the order of the row ids (its chunks are inserted in position order).
    /// </summary>
    sealed class ChunkOrder(InMemoryHybridIndex index) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            int byArticle = string.CompareOrdinal(index._articleIds[index._articleOf[x]], index._articleIds[index._articleOf[y]]);
            return byArticle != 0 ? byArticle : index._rowIds[x].CompareTo(index._rowIds[y]);
        }
    }

    float Exact(int slot, ReadOnlySpan<float> q, Span<float> buf)
    {
        if (q.Length != _dim) return 0;
        Span<Half> half = _dim <= 4096 ? stackalloc Half[_dim] : new Half[_dim];
        TensorPrimitives.ConvertToSingle(F16(slot, 1, half), buf);
        return TensorPrimitives.Dot(buf, q);
    }

    /// <summary>How many live chunks contain each term (what Qdrant counts too), and the number of live chunks.</summary>
    public TermFrequencies DocumentFrequencies(IReadOnlyList<uint> termIds)
    {
        var df = new long[termIds.Count];
        for (int i = 0; i < termIds.Count; i++) df[i] = LiveFrequency(termIds[i]);
        return new TermFrequencies(df, LiveCount);
    }
}
