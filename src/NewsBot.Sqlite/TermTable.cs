namespace NewsBot.Sqlite;

/// <summary>Open-addressing map from term id to a dense term number (0, 1, 2, … in order of first sight).</summary>
/// <remarks>
/// Hand-written instead of <c>Dictionary&lt;uint, int&gt;</c> because the bulk load of the postings is one lookup per
/// posting (18M at 100k chunks) and this table is measurably faster and smaller: 1.97M distinct ids looked up 18M times
/// (skewed as term frequencies are) took 17–23 s here against 53–83 s for a Dictionary through
/// CollectionsMarshal.GetValueRefOrAddDefault, 3.1–3.6× slower in three rounds, and held 41.9 MB against 57.9 MB
/// (a throw-away console benchmark, December 2026, on the shared 2-core VM under heavy load, hence the absolute
/// times; the ratio is what counts). Its term list also is the snapshot's term section, read back in one call.
/// <para>
/// A table read from a snapshot starts <em>frozen</em>: its entries (key, number) grouped by hash bucket in one flat
/// array, with an array of the buckets' starts, built by a two-step counting sort, instead of the open-addressing slots. A process that opens
/// a mapped snapshot only looks terms up (the deltas of later chunks have their own dictionary), and the slots were its
/// largest start-up cost: 134 MB at the 5.1M terms of the 1M bench's index, every page of it written at random — ~65,000
/// page faults (two a page: a probe's read maps the zero page, the write faults again) on this project's VM
/// (BENCHMARKS.md §2.1.5). The frozen form takes 49 MB there (the entries in bucket order, and the buckets' starts),
/// written once each, and a lookup reads one bucket start and ~2.4 entries side by side. The first add (a delta merge)
/// thaws it into the slots.
/// </para>
/// </remarks>
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
    // the frozen form (null once thawed): bucket b's keys and their numbers at [Start[b], Start[b + 1]) of Entries
    Frozen? _frozen;

    sealed record Frozen(Entry[] Entries, int[] Start, int Shift);

    public TermTable(int expected)
    {
        _entries = new Entry[Capacity(expected)];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)_entries.Length);
        _byNumber = new uint[Math.Max(16, expected)];
    }

    /// <summary>A table of the <paramref name="count"/> keys of <paramref name="byNumber"/>, frozen (see the remarks).</summary>
    TermTable(uint[] byNumber, int count) : this(0)
    {
        _byNumber = byNumber;
        Count = count;
        // at most four keys a bucket on average (2.4 at the 1M index's 5.1M terms): a lookup stays within a cache line or two
        int buckets = 16;
        while (buckets * 4L < count) buckets <<= 1;
        int bucketBits = System.Numerics.BitOperations.Log2((uint)buckets), shift = 64 - bucketBits;
        var entries = new Entry[count];
        var start = new int[buckets + 1];
        // A counting sort straight into millions of buckets reads and writes at random over tens of MB, a cache miss or
        // more a key (~240 ms for 5.1M keys on this VM under load). In two steps instead: the keys go by the top bits of
        // their bucket into at most 1,024 parts (one sequential write stream each), then each part (a few thousand keys,
        // in the caches) is sorted into its own buckets. Keys keep their number order within a bucket.
        int partBits = Math.Min(10, bucketBits), partShift = bucketBits - partBits, parts = 1 << partBits;
        var partStart = new int[parts + 1];
        for (int i = 0; i < count; i++) partStart[(BucketOf(byNumber[i], shift) >> partShift) + 1]++;
        int largest = 0;
        for (int q = 0; q < parts; q++)
        {
            largest = Math.Max(largest, partStart[q + 1]);
            partStart[q + 1] += partStart[q];
        }
        var cursor = partStart.AsSpan(0, parts).ToArray();
        for (int i = 0; i < count; i++)
        {
            uint key = byNumber[i];
            ref var e = ref entries[cursor[BucketOf(key, shift) >> partShift]++];
            e.Key = key;
            e.Number = i;
        }
        var part = new Entry[largest];
        var next = new int[1 << partShift];
        for (int q = 0; q < parts; q++)
        {
            int from = partStart[q], n = partStart[q + 1] - from, first = q << partShift;
            start[first] = from;
            for (int j = from; j < from + n; j++) start[BucketOf(entries[j].Key, shift) + 1]++;
            for (int b = first; b < first + next.Length; b++)
            {
                start[b + 1] += start[b];
                next[b - first] = start[b];
            }
            entries.AsSpan(from, n).CopyTo(part);
            foreach (var e in part.AsSpan(0, n)) entries[next[BucketOf(e.Key, shift) - first]++] = e;
        }
        _frozen = new Frozen(entries, start, shift); // start[buckets] is count
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static int BucketOf(uint key, int shift) => (int)((key * 0x9E3779B97F4A7C15UL) >> shift);

    /// <summary>Whether the table is still in the frozen form it was read in (for tests).</summary>
    internal bool IsFrozen => _frozen is not null;

    /// <summary>Builds the open-addressing slots from the frozen form before the first add; the caller is the only writer.</summary>
    void Thaw()
    {
        _entries = new Entry[Capacity(Count)];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)_entries.Length);
        for (int i = 0; i < Count; i++) Insert(_byNumber[i], i + 1);
        _frozen = null;
    }

    static int Capacity(int expected)
    {
        int cap = 16;
        while (cap < expected * 2L) cap <<= 1;
        return cap;
    }

    public int Count { get; private set; }

    int Home(uint key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    public int Find(uint key)
    {
        if (_frozen is { } frozen)
        {
            int b = BucketOf(key, frozen.Shift);
            var grouped = frozen.Entries;
            for (int j = frozen.Start[b], end = frozen.Start[b + 1]; j < end; j++)
                if (grouped[j].Key == key) return grouped[j].Number;
            return -1;
        }
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
        if (_frozen is not null) Thaw();
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

    /// <summary>The term ids in number order.</summary>
    public ReadOnlySpan<uint> Keys => _byNumber.AsSpan(0, Count);

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
