namespace NewsBot.Benchmarking;

/// <summary>
/// What one phase of the bench left resident: the peak over the phase, then at its end the resident set and its parts
/// (Linux /proc/self/status: anonymous pages, file-backed pages such as a mapped snapshot, shared memory) and the
/// managed heap. A mapped file's pages count in the resident set (and its peak) as soon as the process touches them,
/// though the kernel can drop them at any time: the split says whether a peak is heap or mapping. AllocatedMb is what
/// the phase allocated on the managed heap: garbage the collector lets accumulate before a full collection shows in
/// the anonymous part. The anonymous part's owners: GcCommittedMb (what the collector held from the system at its last collection,
/// live objects and free space alike), SqliteMb (SQLite's own allocations, page caches included; SqlitePeakMb its high-water
/// mark over the phase) and, on glibc, NativeHeapMb / NativeFreeMb (the C heap's arenas and the part of them free but kept
/// from the system: SQLite's and the ONNX runtime's allocations come from there).
/// </summary>
public sealed record MemoryPhase(string Phase, double PeakMb, double RssMb, double AnonMb, double FileMb, double ShmemMb, double HeapMb, double AllocatedMb)
{
    public double GcCommittedMb { get; init; }
    public double SqliteMb { get; init; }
    public double SqlitePeakMb { get; init; }
    public double? NativeHeapMb { get; init; }
    public double? NativeFreeMb { get; init; }
}

/// <summary>
/// Per-phase peaks of this process. The kernel keeps one high-water mark (VmHWM) per process; writing "5" to
/// /proc/self/clear_refs resets it to the current resident set (Linux 4.0+), so each phase's peak is its own. The
/// whole run's peak is the largest of them (and of the peak before the first phase).
/// </summary>
public sealed class ProcessMemory
{
    readonly List<MemoryPhase> _phases = [];
    long _peakBytes;
    long _allocated = GC.GetTotalAllocatedBytes();

    public IReadOnlyList<MemoryPhase> Phases => _phases;

    /// <summary>The whole run's peak so far, the phases' peaks included.</summary>
    public long PeakBytes => Math.Max(_peakBytes, Read().Hwm);

    /// <summary>Records the phase that ends now and starts the next one's peak from the current resident set.</summary>
    public MemoryPhase EndPhase(string phase)
    {
        var s = Read();
        _peakBytes = Math.Max(_peakBytes, s.Hwm);
        long allocated = GC.GetTotalAllocatedBytes();
        var native = NativeHeap.Read();
        var p = new MemoryPhase(phase, Mb(s.Hwm), Mb(s.Rss), Mb(s.Anon), Mb(s.File), Mb(s.Shmem), Mb(GC.GetTotalMemory(false)), Mb(allocated - _allocated))
        {
            GcCommittedMb = Mb(GC.GetGCMemoryInfo().TotalCommittedBytes),
            SqliteMb = Mb(NewsBot.Sqlite.SqliteDatabase.NativeMemoryBytes()),
            SqlitePeakMb = Mb(NewsBot.Sqlite.SqliteDatabase.NativeMemoryPeakBytes(reset: true)),
            NativeHeapMb = native is { } n ? Mb(n.Total) : null,
            NativeFreeMb = native is { } f ? Mb(f.Free) : null,
        };
        _allocated = allocated;
        _phases.Add(p);
        ResetPeak();
        return p;
    }

    public static string Describe(MemoryPhase p) =>
        $"{p.Phase}: peak {p.PeakMb} MB; now {p.RssMb} MB resident (anon {p.AnonMb}, file {p.FileMb}, shmem {p.ShmemMb}), heap {p.HeapMb} MB " +
        $"({p.AllocatedMb} MB allocated, {p.GcCommittedMb} MB committed), SQLite {p.SqliteMb} MB (peak {p.SqlitePeakMb}), C heap {p.NativeHeapMb} MB ({p.NativeFreeMb} free)";

    static double Mb(long bytes) => Math.Round(bytes / 1048576.0, 0);

    static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { } // not Linux, or not allowed: the peaks stay cumulative, which is still an upper bound
        catch (UnauthorizedAccessException) { }
    }

    internal readonly record struct Status(long Hwm, long Rss, long Anon, long File, long Shmem);

    /// <summary>/proc/self/status in bytes; elsewhere the working set stands for both the peak and the resident set.</summary>
    internal static Status Read()
    {
        long hwm = 0, rss = 0, anon = 0, file = 0, shmem = 0;
        try
        {
            foreach (var line in System.IO.File.ReadLines("/proc/self/status"))
            {
                var colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line.AsSpan(0, colon);
                ref long target = ref hwm;
                if (key.SequenceEqual("VmHWM")) target = ref hwm;
                else if (key.SequenceEqual("VmRSS")) target = ref rss;
                else if (key.SequenceEqual("RssAnon")) target = ref anon;
                else if (key.SequenceEqual("RssFile")) target = ref file;
                else if (key.SequenceEqual("RssShmem")) target = ref shmem;
                else continue;
                var value = line.AsSpan(colon + 1).Trim();
                var space = value.IndexOf(' ');
                if (long.TryParse(space < 0 ? value : value[..space], out var kb)) target = kb * 1024;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        if (rss == 0) rss = hwm = Environment.WorkingSet;
        return new Status(hwm, rss, anon, file, shmem);
    }
}
