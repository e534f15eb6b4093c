namespace NewsBot.Sqlite;

/// <summary>
/// The postings pages that the pruned lexical leg's lookups map into the process, let go once they have grown the
/// file-backed resident set by a budget (BENCHMARKS.md §2.1.4).
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    // Lookups by binary search in base lists read in place from the mapping (the pruned leg's), since the last release.
    // Counted without a lock: a lost increment among concurrent searches only delays a release to the next search.
    int _mappedLookups;

    /// <summary>Off: postings pages mapped by lookups stay mapped (for measuring the release's cost, and tests).</summary>
    internal static bool ReleaseLookedUpPostings = Environment.GetEnvironmentVariable("NEWSBOT_POSTINGS_RELEASE") != "0";

    /// <summary>How many bytes of the postings sections are mapped into this process now (0 when they are in the heap; tests).</summary>
    internal long MappedPostingsBytes => _postingsMapped && _map is not null
        ? _map.MappedBytes(_slotsAt, (long)BaseEntries * 4) + _map.MappedBytes(_weightsAt, (long)BaseEntries * 4)
        : 0;

    float MappedLookup(int from, int n, int slot)
    {
        if (_postingsMapped) _mappedLookups++;
        return Lookup(BaseSlots(from, n), BaseWeights(from, n), slot);
    }

    /// <summary>
    /// How much the process's file-backed resident set may grow through postings lookups before their pages are released
    /// (<see cref="ReleaseMappedPostings"/>); 0 releases after every search that looked up. A release costs the next
    /// searches a minor fault for each large folio they touch again (at 1M chunks, releasing after every search measured
    /// ~30 faults and +0.3 ms of lexical CPU a search, BENCHMARKS.md §2.1.4), so the pages hot across searches are kept
    /// until the growth reaches this.
    /// </summary>
    internal static long PostingsResidentBudgetBytes = 64L << 20;

    long _fileResidentAfterRelease = -1;

    /// <summary>
    /// After a search that looked postings up in place: once the process's file-backed resident set has grown by
    /// <see cref="PostingsResidentBudgetBytes"/> since the last release, drops its mapping of both postings sections
    /// (<see cref="SnapshotMapping.Release"/>), so the pages those binary searches touched count in the page cache, not in
    /// this process; the next lookups map what they touch again.
    /// </summary>
    void ReleaseMappedPostings()
    {
        if (!ReleaseLookedUpPostings || !_postingsMapped || _map is null || Volatile.Read(ref _mappedLookups) == 0) return;
        long budget = PostingsResidentBudgetBytes;
        if (budget > 0)
        {
            long resident = ProcessStatm.FileResidentBytes();
            if (resident >= 0 && _fileResidentAfterRelease >= 0 && resident - _fileResidentAfterRelease < budget) return;
        }
        _mappedLookups = 0;
        long bytes = (long)BaseEntries * 4;
        _map.Release(_slotsAt, bytes);
        _map.Release(_weightsAt, bytes);
        if (budget > 0) _fileResidentAfterRelease = ProcessStatm.FileResidentBytes();
    }
}
