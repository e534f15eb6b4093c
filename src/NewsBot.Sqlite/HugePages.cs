using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// Native memory for large arrays read at random places (<see cref="NibbleVectors"/>: tens of thousands of scattered
/// 192-byte reads a query), asked to be backed by 2 MB pages. With 4 KB pages nearly every such read also misses the
/// TLB (192 MB spans 49,000 pages, the TLB holds a few thousand); Linux gives transparent huge pages to a range marked
/// with <c>madvise(MADV_HUGEPAGE)</c> when its setting is "madvise" (the default of many distributions) or "always".
/// Hand-written because .NET has no API for it: the GC heap cannot be marked (DOTNET_GCLargePages needs a hard heap
/// limit and reserved huge pages). Elsewhere, or if the call fails, the memory is ordinary pages and works the same.
/// </summary>
internal static unsafe partial class HugePages
{
    const nuint Alignment = 2 * 1024 * 1024;
    const int MadvHugepage = 14;

    public static byte* Allocate(long bytes)
    {
        nuint size = (nuint)((bytes + (long)Alignment - 1) & ~((long)Alignment - 1));
        var p = (byte*)NativeMemory.AlignedAlloc(size, Alignment);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = Madvise(p, size, MadvHugepage); // advice only: a refusal leaves ordinary pages
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // no libc to ask (another C library): ordinary pages
            }
        }
        return p;
    }

    public static void Free(byte* p, long bytes) => NativeMemory.AlignedFree(p);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static partial int Madvise(void* address, nuint length, int advice);
}
