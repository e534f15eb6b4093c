namespace NewsBot.Sqlite;

internal sealed partial class InMemoryHybridIndex
{
    /// <summary>How many of a query's re-scoring candidates are probed for residency before their rows are read.</summary>
    const int ReadAheadProbes = 8;

    /// <summary>
    /// Before the dense leg re-scores its candidates from the half-precision vectors (one positional read of the
    /// snapshot each, a few hundred a query, at random places of a section of 768 MB at 1M chunks): when the first few
    /// rows are not in the page cache, asks the kernel to read every candidate's row ahead, so that the reads that follow
    /// wait for the disk side by side instead of one after another. A process whose page cache cannot hold the section
    /// (other work took the memory, a small machine) paid a disk read per candidate in sequence (BENCHMARKS.md §2.2.7).
    /// From a warm cache this costs the <see cref="ReadAheadProbes"/> probe reads and asks nothing.
    /// </summary>
    void ReadAheadF16(ReadOnlySpan<int> candidates)
    {
        if (_map is null || candidates.Length == 0) return;
        int rowBytes = _dim * 2;
        Span<byte> probe = rowBytes <= 8192 ? stackalloc byte[rowBytes] : new byte[rowBytes];
        bool cold = false;
        for (int i = 0, probed = 0; i < candidates.Length && probed < ReadAheadProbes && !cold; i++)
        {
            int slot = candidates[i];
            if (slot >= _mappedSlots) continue; // added since the snapshot: in the heap
            probed++;
            cold = !_map.IsCached(_f16At + (long)slot * rowBytes, probe);
        }
        if (!cold) return;
        var offsets = new long[candidates.Length];
        int n = 0;
        foreach (var slot in candidates)
            if (slot < _mappedSlots) offsets[n++] = _f16At + (long)slot * rowBytes;
        _map.ReadAhead(offsets.AsSpan(0, n), rowBytes);
    }
}
