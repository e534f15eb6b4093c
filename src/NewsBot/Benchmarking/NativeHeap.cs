using System.Runtime.InteropServices;

namespace NewsBot.Benchmarking;

/// <summary>
/// The C heap (glibc's malloc) as <c>mallinfo2</c> reports it over all its arenas: what it took from the system and
/// how much of that is free but kept. Null where there is no glibc (macOS, Windows, musl): the bench's memory phases
/// then leave those figures out.
/// </summary>
static class NativeHeap
{
    // size_t fields, in glibc's order (malloc.h, struct mallinfo2)
    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    // DllImport rather than LibraryImport: the struct is blittable, and LibraryImport's generator would need unsafe code in this project
    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 Mallinfo2();

    public static (long Total, long Free)? Read()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var m = Mallinfo2();
            // arena: the arenas' bytes (main heap and the threads' arenas); hblkhd: large blocks mapped on their own
            return ((long)(m.Arena + m.Hblkhd), (long)m.Fordblks);
        }
        catch (EntryPointNotFoundException) { return null; } // not glibc, or glibc before 2.33
        catch (DllNotFoundException) { return null; }
    }
}
