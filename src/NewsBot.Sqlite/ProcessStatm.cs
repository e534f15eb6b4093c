using Microsoft.Win32.SafeHandles;

namespace NewsBot.Sqlite;

/// <summary>
/// The process's file-backed resident pages, from <c>/proc/self/statm</c> (its third field: resident file and shared
/// memory pages), read through one kept handle: a search can afford a few microseconds to ask, not a file open. Hand-written
/// because .NET's <see cref="System.Diagnostics.Process"/> reports only the whole resident set, and allocates to do it.
/// </summary>
internal static class ProcessStatm
{
    static readonly Lock Gate = new();
    static SafeFileHandle? _handle;
    static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>File-backed (and shared) resident bytes, or -1 where they cannot be read.</summary>
    public static long FileResidentBytes()
    {
        if (_unavailable) return -1;
        Span<byte> text = stackalloc byte[128];
        int n;
        lock (Gate)
        {
            try
            {
                _handle ??= File.OpenHandle("/proc/self/statm");
                n = RandomAccess.Read(_handle, text, 0); // procfs makes the text anew for each read from offset 0
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _unavailable = true;
                return -1;
            }
        }
        // "size resident shared text lib data dt", in pages
        int field = 0;
        long value = 0;
        for (int i = 0; i < n; i++)
        {
            byte c = text[i];
            if (c == (byte)' ') { if (++field > 2) break; value = 0; continue; }
            if (field == 2 && c >= (byte)'0' && c <= (byte)'9') value = value * 10 + (c - '0');
        }
        return field >= 2 ? value * Environment.SystemPageSize : -1;
    }
}
