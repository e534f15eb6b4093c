namespace NewsBot.Benchmarking;

/// <summary>
/// Page faults and storage reads of one bench round (Linux: <c>/proc/self/stat</c> fields minflt and majflt,
/// <c>/proc/self/io</c> read_bytes): a round whose major faults or read bytes are not near zero ran partly from disk,
/// not from the page cache, and its latencies say so. <see cref="ReadMb"/> counts what this process made the kernel
/// read from storage (positional reads that missed the page cache and the faults of mapped files); a hit in the cache
/// counts nothing. -1 where the platform does not expose them.
/// </summary>
public sealed record RoundIo(long MajorFaults, long MinorFaults, double ReadMb)
{
    /// <summary>Per search of the round, for comparing rounds of different lengths.</summary>
    public double MajorFaultsPerQuery { get; init; }
    /// <summary>Kernel (system) CPU time of the process per search: faults, reads and reclaim done on its behalf.</summary>
    public double SysCpuMsPerQuery { get; init; }
    /// <summary>
    /// The whole machine during the round (<c>/proc/vmstat</c>): pages scanned by direct reclaim (an allocating process
    /// made to free memory itself, this one or another), compaction stalls, and major faults of every process.
    /// Non-zero means the machine was short of free memory while the round ran.
    /// </summary>
    public long MachineDirectReclaimPages { get; init; }
    public long MachineCompactStalls { get; init; }
    public long MachineMajorFaults { get; init; }
    /// <summary>
    /// Pressure stall information of the whole machine (<c>/proc/pressure/memory</c> and <c>io</c>, "some" line): the
    /// milliseconds during the round in which at least one task waited for memory (reclaim, refaults) or for the disk.
    /// </summary>
    public double MachineMemoryStallMs { get; init; }
    public double MachineIoStallMs { get; init; }
}

/// <summary>
/// The page cache residency of the files a search reads, taken just before the searches start (<c>mincore</c> over a
/// mapping of each file: what was cached, without reading anything), and the I/O of each round (<see cref="RoundIo"/>):
/// together they say whether a bench's timed round ran from a cold cache (BENCHMARKS.md §2.2.7).
/// </summary>
public sealed record SearchIoFigures
{
    /// <summary>MB of the database file in the page cache before the first search round, and its size.</summary>
    public double DatabaseCachedMb { get; init; } = -1;
    public double DatabaseMb { get; init; }
    /// <summary>MB of index.snapshot in the page cache before the first search round, and its size.</summary>
    public double SnapshotCachedMb { get; init; } = -1;
    public double SnapshotMb { get; init; }
    /// <summary>The first (untimed) hybrid round: what a process's first searches read.</summary>
    public RoundIo? WarmUpRound { get; init; }
    /// <summary>
    /// The first round's latencies and phases: what a process meets on its first searches (before the scan's background
    /// copies exist, and from whatever the page cache held): with the files evicted, the cold-cache cost of a search.
    /// </summary>
    public Percentiles? WarmUpSearchMs { get; init; }
    public HybridPhaseFigures? WarmUpPhases { get; init; }
    /// <summary>The timed hybrid round, the one <c>search_ms</c> is taken from.</summary>
    public RoundIo? TimedRound { get; init; }
}

/// <summary>Reads the counters of <see cref="RoundIo"/> (hand-written: .NET exposes neither major faults nor read bytes).</summary>
public static class ProcessIo
{
    public readonly record struct Counters(long MajorFaults, long MinorFaults, long ReadBytes, TimeSpan SysCpu, long DirectScan, long CompactStalls, long MachineMajorFaults, long MemoryStallUs, long IoStallUs);

    public static Counters Now()
    {
        long minflt = -1, majflt = -1, read = -1;
        try
        {
            // /proc/self/stat: "pid (comm) state ppid …"; comm may hold spaces, so count fields after the last ')'
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            minflt = long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture); // field 10
            majflt = long.Parse(fields[9], System.Globalization.CultureInfo.InvariantCulture); // field 12
            foreach (var line in File.ReadLines("/proc/self/io"))
                if (line.StartsWith("read_bytes:", StringComparison.Ordinal))
                    read = long.Parse(line.AsSpan(11).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        catch (FormatException) { }
        catch (IndexOutOfRangeException) { }
        long scan = -1, stalls = -1, machineMajor = -1;
        try
        {
            foreach (var line in File.ReadLines("/proc/vmstat"))
            {
                var space = line.IndexOf(' ');
                if (space < 0 || !long.TryParse(line.AsSpan(space + 1), out var v)) continue;
                var key = line.AsSpan(0, space);
                if (key.StartsWith("pgscan_direct")) scan = Math.Max(0, scan) + v; // pgscan_direct and its per-zone/-type variants
                else if (key.SequenceEqual("compact_stall")) stalls = v;
                else if (key.SequenceEqual("pgmajfault")) machineMajor = v;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new Counters(majflt, minflt, read, self.PrivilegedProcessorTime, scan, stalls, machineMajor, StallUs("memory"), StallUs("io"));
    }

    /// <summary>The "some" line's total (µs) of /proc/pressure/{resource}, or -1 (no PSI: older kernels, some containers).</summary>
    static long StallUs(string resource)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/pressure/" + resource))
            {
                if (!line.StartsWith("some ", StringComparison.Ordinal)) continue;
                int at = line.IndexOf("total=", StringComparison.Ordinal);
                if (at >= 0 && long.TryParse(line.AsSpan(at + 6).Trim(), out var us)) return us;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return -1;
    }

    /// <summary>What happened between <paramref name="from"/> and now, per <paramref name="queries"/> for the faults.</summary>
    public static RoundIo Since(Counters from, int queries)
    {
        var to = Now();
        // each counter is -1 where it could not be read, and so is its difference
        static long Delta(long a, long b) => a < 0 || b < 0 ? -1 : b - a;
        static double Scaled(long delta, double divisor, int digits) => delta < 0 ? -1 : Math.Round(delta / divisor, digits);
        long major = Delta(from.MajorFaults, to.MajorFaults), minor = Delta(from.MinorFaults, to.MinorFaults);
        double readMb = Scaled(Delta(from.ReadBytes, to.ReadBytes), 1048576.0, 2);
        int n = Math.Max(1, queries);
        return new RoundIo(major, minor, readMb)
        {
            MajorFaultsPerQuery = Scaled(major, n, 2),
            SysCpuMsPerQuery = Math.Round((to.SysCpu - from.SysCpu).TotalMilliseconds / n, 3),
            MachineDirectReclaimPages = Delta(from.DirectScan, to.DirectScan),
            MachineCompactStalls = Delta(from.CompactStalls, to.CompactStalls),
            MachineMajorFaults = Delta(from.MachineMajorFaults, to.MachineMajorFaults),
            MachineMemoryStallMs = Scaled(Delta(from.MemoryStallUs, to.MemoryStallUs), 1000.0, 1),
            MachineIoStallMs = Scaled(Delta(from.IoStallUs, to.IoStallUs), 1000.0, 1),
        };
    }
}
