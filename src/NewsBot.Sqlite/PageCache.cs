using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// The kernel's page cache of one file (Linux; hand-written because .NET exposes neither <c>mincore</c> nor
/// <c>posix_fadvise</c>): how much of it is cached (<see cref="CachedBytes"/>, the way <c>fincore</c> asks: a read-only
/// mapping that is never touched, so asking reads nothing and changes nothing), and advice to read a range ahead
/// (<see cref="WillNeed"/>) without waiting for it. Elsewhere, or when the kernel refuses, nothing happens and the
/// answers are -1 / false.
/// </summary>
public static unsafe partial class PageCache
{
    /// <summary>Bytes of the file at <paramref name="path"/> in the page cache, or -1 where that cannot be asked.</summary>
    public static long CachedBytes(string path)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(path)) return -1;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            if (length == 0) return 0;
            const int ProtRead = 1, MapShared = 1;
            var map = Mmap(null, (nuint)length, ProtRead, MapShared, (int)handle.DangerousGetHandle(), 0);
            if (map == (void*)-1) return -1;
            try
            {
                long pageSize = Environment.SystemPageSize;
                var vec = new byte[(length + pageSize - 1) / pageSize];
                fixed (byte* v = vec)
                    if (Mincore(map, (nuint)length, v) != 0) return -1;
                long resident = 0;
                foreach (var b in vec) resident += b & 1;
                return resident * pageSize;
            }
            finally
            {
                _ = Munmap(map, (nuint)length);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>
    /// Asks the kernel to drop the range's clean pages from the page cache (<c>POSIX_FADV_DONTNEED</c>): the bench and its
    /// tests use it to start from a cold cache for one file without touching the rest of the machine's cache.
    /// </summary>
    public static bool DontNeed(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) => Advise(handle, offset, length, 4);

    /// <summary>
    /// Asks the kernel to read <paramref name="length"/> bytes at <paramref name="offset"/> of the open file into the page
    /// cache in the background (<c>POSIX_FADV_WILLNEED</c>: readahead, returns at once). The pages are page cache, shared
    /// and evictable, not this process's resident set until it maps and touches them. False where it was not done.
    /// </summary>
    public static bool WillNeed(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) => Advise(handle, offset, length, 3);

    static bool Advise(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length, int advice)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!OperatingSystem.IsLinux() || handle.IsInvalid || length <= 0) return false;
        try
        {
            return Fadvise(handle.DangerousGetHandle().ToInt32(), offset, length, advice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = false)]
    private static partial void* Mmap(void* address, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = false)]
    private static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = false)]
    private static partial int Mincore(void* address, nuint length, byte* vector);

    [LibraryImport("libc", EntryPoint = "posix_fadvise", SetLastError = false)]
    private static partial int Fadvise(int fd, long offset, long length, int advice);
}
