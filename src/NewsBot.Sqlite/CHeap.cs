using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// The C heap (glibc's malloc), from which SQLite's page caches and statements and the ONNX runtime allocate. Memory they
/// free goes back to malloc's free lists, not to the system: after a bulk phase (a snapshot written, pooled connections
/// closed, a catch-up) tens of MB stay resident until something reuses them. <see cref="Trim"/> hands the free pages back
/// (<c>malloc_trim</c>, which also releases the free middle of each arena, not only its top). Hand-written because .NET
/// has no API for the C heap; elsewhere (not Linux, or another C library) it does nothing.
/// </summary>
public static partial class CHeap
{
    /// <summary>Returns the C heap's free pages to the system; true when there was something to return.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl and others have no malloc_trim
        }
    }

    /// <summary>
    /// Gives both heaps' garbage back after a heavy step (an index moved onto a new snapshot, a feed poll's ingestion, a
    /// benchmark's fixture): the managed heap's by one compacting, decommitting collection
    /// (<see cref="NewsBot.Core.Operations.ManagedHeap.CompactAndDecommit"/>), then the C heap's free pages (<see cref="Trim"/>).
    /// </summary>
    public static void CollectAndTrim()
    {
        NewsBot.Core.Operations.ManagedHeap.CompactAndDecommit();
        Trim();
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim", SetLastError = false)]
    private static partial int MallocTrim(nuint pad);
}
