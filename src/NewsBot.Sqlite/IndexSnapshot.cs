using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// The snapshot format of the embedded search structures ("NBISNAP4"): the whole structure as a few flat arrays, so a
/// process starts without rebuilding it from the rows. The small per-chunk arrays, names, the term table and the
/// centre of the binary codes come first and are read into the heap; the large sections (int8 vectors,
/// half-precision vectors, postings slots and weights, 1-bit codes and their factors) follow, each 64-byte aligned,
/// and are mapped in place (<see cref="Open"/>), not copied. Formats 2 and 3 (earlier releases; 3 had no binary codes)
/// are refused as <see cref="OlderFormatException"/>: the owner rebuilds from the rows, which hold everything, and
/// writes a format-4 snapshot.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    const ulong SnapshotMagic = 0x34_50_41_4E_53_49_42_4E; // "NBISNAP4"
    const ulong Format3Magic = 0x33_50_41_4E_53_49_42_4E; // "NBISNAP3"
    const ulong Format2Magic = 0x32_50_41_4E_53_49_42_4E; // "NBISNAP2"
    const int SectionAlignment = 64;

    /// <summary>A snapshot written by an earlier release: readable only by rebuilding from the rows.</summary>
    public sealed class OlderFormatException(string message) : IOException(message);

    /// <summary>
    /// Writes the index after a header the owner fills. Delta postings are merged while they stream out (base range,
    /// then the term's delta), so writing never builds a second copy of the postings; the caller holds a read lock.
    /// </summary>
    public void WriteTo(Stream stream, SnapshotHeader header)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(SnapshotMagic);
        header.WriteTo(w);
        w.Write(_dim);
        w.Write(_count);
        w.Write(_deletedCount);
        WriteArray(w, _scale.AsSpan(0, _count));
        WriteArray(w, _rowIds.AsSpan(0, _count));
        WriteArray(w, _articleOf.AsSpan(0, _count));
        WriteArray(w, _published.AsSpan(0, _count));
        WriteArray(w, _outletOf.AsSpan(0, _count));
        WriteArray(w, _deleted.AsSpan(0, _count));
        WriteStrings(w, _articleIds);
        WriteStrings(w, _outlets);
        var center = CodeCenter();
        WriteArray(w, center.AsSpan());

        // terms: the table's, then those only the delta has (their base range is empty)
        var deltaOnly = _delta.Keys.Where(t => _terms.Find(t) < 0).ToList();
        int terms = _terms.Count + deltaOnly.Count;
        w.Write(terms);
        w.Write(MemoryMarshal.AsBytes(_terms.Keys));
        w.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(deltaOnly)));
        var start = new int[terms + 1];
        for (int t = 0; t < terms; t++)
        {
            var (_, n, delta) = MergedPostings(t, deltaOnly);
            start[t + 1] = start[t] + n + (delta?.Count ?? 0);
        }
        WriteArray(w, start.AsSpan());

        // the mapped sections: vectors (mapped part, then the slots added since), postings merged term by term
        // mapped parts are copied by file reads (SnapshotMapping.CopyTo): neither heap nor resident pages of this process
        BeginSection(w, (long)_count * _dim);
        if (_mappedSlots > 0) _map!.CopyTo(w.BaseStream, _q8At, (long)_mappedSlots * _dim);
        w.Write(_q8.AsSpan(0, (_count - _mappedSlots) * _dim));
        BeginSection(w, (long)_count * _dim);
        if (_mappedSlots > 0) _map!.CopyTo(w.BaseStream, _f16At, (long)_mappedSlots * _dim * 2);
        w.Write(MemoryMarshal.AsBytes(_f16.AsSpan(0, (_count - _mappedSlots) * _dim)));
        BeginSection(w, start[terms]);
        WritePostings(w, terms, deltaOnly, weights: false);
        BeginSection(w, start[terms]);
        WritePostings(w, terms, deltaOnly, weights: true);
        WriteCodes(w, center);
        w.Write(SnapshotMagic);
    }

    /// <summary>
    /// The centre the binary codes are taken around: the mean of the live vectors, or the mapped codes' centre while
    /// they are at least half the slots (the codes of those slots are then copied, not computed again, and the
    /// mean of a news corpus moves slowly; a rebuild or a snapshot after the index doubled takes a fresh mean).
    /// </summary>
    float[] CodeCenter()
    {
        if (_codesAt > 0 && _center.Length == _dim && (long)_mappedSlots * 2 >= _count) return _center;
        var sum = new double[_dim];
        var acc = new float[_dim];
        var buf = new float[_dim];
        long n = 0;
        var block = new Half[F16BlockSlots * _dim];
        for (int from = 0, count; from < _count; from += count)
        {
            var halves = F16Block(from, block, out count);
            for (int i = 0; i < count; i++)
            {
                if (_deleted[from + i]) continue;
                TensorPrimitives.ConvertToSingle(halves.Slice(i * _dim, _dim), buf);
                TensorPrimitives.Add(acc, buf, acc);
                if (++n % 1024 == 0) Flush();
            }
        }
        Flush();
        var center = new float[_dim];
        for (int i = 0; i < _dim; i++) center[i] = n == 0 ? 0 : (float)(sum[i] / n);
        return center;

        void Flush()
        {
            for (int i = 0; i < _dim; i++) sum[i] += acc[i];
            Array.Clear(acc);
        }
    }

    /// <summary>The codes section (one code per slot), then the factors section; codes of mapped slots around the same centre are copied.</summary>
    void WriteCodes(BinaryWriter w, float[] center)
    {
        int words = CodeWords;
        bool reuse = ReferenceEquals(center, _center);
        var factors = new float[_count];
        var code = new ulong[words];
        var buf = new float[_dim];
        BeginSection(w, (long)_count * words);
        int encodeFrom = 0;
        if (reuse && _mappedSlots > 0)
        {
            // the codes and factors of mapped slots around the same centre: copied by file reads, as the other sections
            _map!.CopyTo(w.BaseStream, _codesAt, (long)_mappedSlots * words * 8);
            _map.Read(_factorsAt, factors.AsSpan(0, _mappedSlots));
            encodeFrom = _mappedSlots;
        }
        var block = new Half[F16BlockSlots * _dim];
        for (int from = encodeFrom, count; from < _count; from += count)
        {
            var halves = F16Block(from, block, out count);
            for (int i = 0; i < count; i++)
            {
                TensorPrimitives.ConvertToSingle(halves.Slice(i * _dim, _dim), buf);
                factors[from + i] = BinaryCodes.Encode(buf, center, code);
                w.Write(MemoryMarshal.AsBytes(code.AsSpan()));
            }
        }
        BeginSection(w, _count);
        w.Write(MemoryMarshal.AsBytes(factors.AsSpan()));
    }

    /// <summary>Slots whose half-precision vectors a pass over all of them reads at once (768 KB at 384 dimensions).</summary>
    const int F16BlockSlots = 1024;

    /// <summary>
    /// The half-precision vectors of a run of slots from <paramref name="from"/> (up to <see cref="F16BlockSlots"/>, not
    /// across the end of the mapped part): a pass over every vector (a new centre, codes of added slots) reads the mapped
    /// section by file reads in blocks, so it does not become resident in this process.
    /// </summary>
    ReadOnlySpan<Half> F16Block(int from, Half[] block, out int count)
    {
        int end = from < _mappedSlots ? _mappedSlots : _count;
        count = Math.Min(F16BlockSlots, end - from);
        return F16(from, count, block);
    }

    /// <summary>
    /// One postings section (slots or weights), term by term: base range, then the term's delta. Mapped base ranges
    /// are contiguous between terms with a delta and are copied in those runs by file reads, not term by term.
    /// </summary>
    void WritePostings(BinaryWriter w, int terms, List<uint> deltaOnly, bool weights)
    {
        long runFrom = 0, runBytes = 0;
        for (int t = 0; t < terms; t++)
        {
            var (from, n, delta) = MergedPostings(t, deltaOnly);
            if (_postingsMapped)
            {
                long at = (weights ? _weightsAt : _slotsAt) + from * 4L;
                if (runBytes > 0 && runFrom + runBytes != at) Flush();
                if (runBytes == 0) runFrom = at;
                runBytes += n * 4L;
                if (delta is not null) Flush();
            }
            else w.Write(weights ? MemoryMarshal.AsBytes(BaseWeights(from, n)) : MemoryMarshal.AsBytes(BaseSlots(from, n)));
            if (delta is not null)
                w.Write(weights ? MemoryMarshal.AsBytes(delta.Weights.AsSpan(0, delta.Count)) : MemoryMarshal.AsBytes(delta.Slots.AsSpan(0, delta.Count)));
        }
        Flush();

        void Flush()
        {
            if (runBytes > 0) _map!.CopyTo(w.BaseStream, runFrom, runBytes);
            runBytes = 0;
        }
    }

    /// <summary>Term number <paramref name="t"/> of the written table: its base range and its delta postings.</summary>
    (int From, int Count, Postings? Delta) MergedPostings(int t, List<uint> deltaOnly)
    {
        uint id = t < _terms.Count ? _terms.Keys[t] : deltaOnly[t - _terms.Count];
        _delta.TryGetValue(id, out var delta);
        if (t >= _terms.Count) return (0, 0, delta);
        BaseRange(t, out int from, out int n);
        return (from, n, delta);
    }

    /// <summary>Maps a snapshot file: the large sections stay in the file, the rest is read into the heap.</summary>
    public static (InMemoryHybridIndex Index, SnapshotHeader Header) Open(string path)
    {
        var map = SnapshotMapping.Open(path);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
            return Read(file, map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Reads a snapshot written by <see cref="WriteTo"/> wholly into the heap; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public static (InMemoryHybridIndex Index, SnapshotHeader Header) ReadFrom(Stream stream) => Read(stream, null);

    static (InMemoryHybridIndex Index, SnapshotHeader Header) Read(Stream stream, SnapshotMapping? map)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        ulong magic = r.ReadUInt64();
        if (magic is Format2Magic or Format3Magic) throw new OlderFormatException("the snapshot has an earlier release's format");
        if (magic != SnapshotMagic) throw new InvalidDataException("not an index snapshot");
        var header = SnapshotHeader.ReadFrom(r);
        int dim = r.ReadInt32(), count = r.ReadInt32(), deleted = r.ReadInt32();
        if (dim <= 0 || count < 0 || deleted < 0 || deleted > count) throw new InvalidDataException("bad snapshot sizes");
        var x = new InMemoryHybridIndex(dim) { _count = count, _deletedCount = deleted };
        x._scale = ReadArray<float>(r, count);
        x._rowIds = ReadArray<long>(r, count);
        x._articleOf = ReadArray<int>(r, count);
        x._published = ReadArray<long>(r, count);
        x._outletOf = ReadArray<int>(r, count);
        x._deleted = ReadArray<bool>(r, count);
        foreach (var id in ReadStrings(r)) Intern(x._articleIndex, x._articleIds, id);
        foreach (var o in ReadStrings(r)) Intern(x._outletIndex, x._outlets, o);
        x._center = ReadArray<float>(r, dim);
        x._terms = TermTable.ReadFrom(r);
        x._baseStart = ReadArray<int>(r, x._terms.Count + 1);
        long entries = x._baseStart[^1];
        if (map is null)
        {
            x._q8 = ReadSection<byte>(r, (long)count * dim);
            x._f16 = ReadSection<Half>(r, (long)count * dim);
            x._baseSlots = ReadSection<int>(r, entries);
            x._baseWeights = ReadSection<float>(r, entries);
            // the heap form scans every slot in int8: the codes are for mapped slots only
            SkipSection(r, (long)count * x.CodeWords, 8);
            SkipSection(r, count, 4);
        }
        else
        {
            x._map = map;
            x._mappedSlots = count;
            x._q8At = SkipSection(r, (long)count * dim, 1);
            x._f16At = SkipSection(r, (long)count * dim, 2);
            x._slotsAt = SkipSection(r, entries, 4);
            x._weightsAt = SkipSection(r, entries, 4);
            x._codesAt = SkipSection(r, (long)count * x.CodeWords, 8);
            x._factorsAt = SkipSection(r, count, 4);
            x._postingsMapped = true;
            if (stream.Position + 8 > map.Length) throw new InvalidDataException("truncated snapshot");
        }
        if (r.ReadUInt64() != SnapshotMagic) throw new InvalidDataException("truncated snapshot");
        for (int slot = 0; slot < count; slot++)
            if (x._articleOf[slot] < 0 || x._articleOf[slot] >= x._articleIds.Count || x._outletOf[slot] >= x._outlets.Count)
                throw new InvalidDataException("bad snapshot references");
        x.DeferSlotMaps(); // which slot holds a row, and each article's slots: built at first use
        return (x, header);
    }

    static void WriteArray<T>(BinaryWriter w, ReadOnlySpan<T> values) where T : unmanaged
    {
        w.Write((long)values.Length);
        w.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>A large section's item count, then padding to <see cref="SectionAlignment"/>; its bytes follow.</summary>
    static void BeginSection(BinaryWriter w, long items)
    {
        w.Write(items);
        w.Flush();
        int pad = (int)((SectionAlignment - w.BaseStream.Position % SectionAlignment) % SectionAlignment);
        w.Write(new byte[pad]);
    }

    static long SectionStart(BinaryReader r, long expected)
    {
        long n = r.ReadInt64();
        if (n != expected || n < 0 || n > Array.MaxLength) throw new InvalidDataException($"snapshot section of {n} items where {expected} were expected");
        long pos = r.BaseStream.Position;
        return pos + (SectionAlignment - pos % SectionAlignment) % SectionAlignment;
    }

    static long SkipSection(BinaryReader r, long expected, int itemSize)
    {
        long at = SectionStart(r, expected);
        r.BaseStream.Position = at + expected * itemSize;
        return at;
    }

    static T[] ReadSection<T>(BinaryReader r, long expected) where T : unmanaged
    {
        r.BaseStream.Position = SectionStart(r, expected);
        var values = new T[expected];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    static T[] ReadArray<T>(BinaryReader r, long expected) where T : unmanaged
    {
        long n = r.ReadInt64();
        if (n != expected || n < 0 || n > Array.MaxLength) throw new InvalidDataException($"snapshot array of {n} items where {expected} were expected");
        var values = new T[n];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
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
