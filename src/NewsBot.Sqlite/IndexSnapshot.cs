namespace NewsBot.Sqlite;

/// <summary>
/// The snapshot format of the embedded search structures ("NBISNAP2"): the whole structure as a few flat arrays,
/// so a process starts without rebuilding it from the rows. The format is unchanged since the release that
/// introduced it; a snapshot that does not read back is ignored and the index is rebuilt from the rows.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
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

