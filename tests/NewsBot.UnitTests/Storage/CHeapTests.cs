using System.Runtime.InteropServices;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// Memory freed to the C heap stays resident until <see cref="CHeap.Trim"/> hands it back (what the index does after a
/// snapshot write, and the bench after each fixture batch: BENCHMARKS.md §2.1.3).
/// </summary>
public class CHeapTests
{
    static long AnonBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(8).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    [Fact]
    public void Freed_C_heap_memory_goes_back_to_the_system_when_trimmed()
    {
        if (!OperatingSystem.IsLinux()) return; // malloc_trim is glibc's; elsewhere Trim does nothing
        // 64 MB in 4 KB blocks (below malloc's mmap threshold: they come from an arena), all freed but the last one,
        // which keeps the arena's top in place so that free() alone returns nothing
        const int Blocks = 16_384;
        var blocks = new nint[Blocks];
        var ones = new byte[4096];
        Array.Fill(ones, (byte)1);
        for (int i = 0; i < Blocks; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(4096); // malloc on Unix
            Marshal.Copy(ones, 0, blocks[i], ones.Length); // touched: resident
        }
        for (int i = 0; i < Blocks - 1; i++) Marshal.FreeHGlobal(blocks[i]);
        try
        {
            long before = AnonBytes();
            Assert.True(CHeap.Trim());
            long after = AnonBytes();
            Assert.True(before - after > 32L << 20, $"resident anonymous memory {before >> 20} MB before the trim, {after >> 20} MB after");
        }
        finally
        {
            Marshal.FreeHGlobal(blocks[Blocks - 1]);
        }
    }
}
