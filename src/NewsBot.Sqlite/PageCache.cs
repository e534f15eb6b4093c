using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// The kernel's page cache of one file (Linux; hand-written because .NET exposes neither <c>mincore</c>,
/// <c>preadv2</c> nor <c>posix_fadvise</c>): how much of it is cached (<see cref="CachedBytes"/>, the way <c>fincore</c>
/// asks: a read-only mapping that is never touched, so asking reads nothing and changes nothing), whether a range is
/// (<see cref="IsCached"/>), and advice to read a range ahead (<see cref="WillNeed"/>) without waiting for it. Elsewhere, or when the kernel refuses, nothing happens and the
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
    /// Asks the kernel to drop the range's clean pages from the page cache (<c>POSIX_FADV_DONTNEED</c>): tests use it to
    /// start from a cold cache for one file without touching the rest of the machine's cache.
    /// </summary>
    public static bool DontNeed(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) => Advise(handle, offset, length, 4);

    /// <summary>
    /// Asks the kernel to read <paramref name="length"/> bytes at <paramref name="offset"/> of the open file into the page
    /// cache in the background (<c>POSIX_FADV_WILLNEED</c>: readahead, returns at once). The pages are page cache, shared
    /// and evictable, not this process's resident set until it maps and touches them. False where it was not done.
    /// </summary>
    public static bool WillNeed(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) => Advise(handle, offset, length, 3);

    /// <summary>
    /// Whether the <c>scratch.Length</c> bytes at <paramref name="offset"/> of the open file are all in the page cache: a read
    /// that may not wait for the disk (<c>preadv2</c> with <c>RWF_NOWAIT</c>, Linux 4.14+) into <paramref name="scratch"/>.
    /// True where it cannot be asked (the caller then reads as it would have), so only a definite "not cached" answers false.
    /// </summary>
    public static bool IsCached(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, Span<byte> scratch)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (s_noWaitUnavailable || handle.IsInvalid || offset < 0) return true;
        try
        {
            fixed (byte* p = scratch)
            {
                var iov = new IoVec { Base = p, Length = (nuint)scratch.Length };
                const int RwfNowait = 0x8, EAgain = 11;
                long n = Preadv2((int)handle.DangerousGetHandle(), &iov, 1, offset, RwfNowait);
                if (n == scratch.Length) return true;
                if (n >= 0 || Marshal.GetLastPInvokeError() == EAgain) return false; // a short read: part of it is not cached
                s_noWaitUnavailable = true; // EOPNOTSUPP / EINVAL: a file system or kernel without it
                return true;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_noWaitUnavailable = true;
            return true;
        }
    }

    static bool s_noWaitUnavailable = !OperatingSystem.IsLinux();

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

    [StructLayout(LayoutKind.Sequential)]
    struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "preadv2", SetLastError = true)]
    private static partial long Preadv2(int fd, IoVec* iov, int iovcnt, long offset, int flags);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = false)]
    private static partial void* Mmap(void* address, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = false)]
    private static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = false)]
    private static partial int Mincore(void* address, nuint length, byte* vector);

    [LibraryImport("libc", EntryPoint = "posix_fadvise", SetLastError = false)]
    private static partial int Fadvise(int fd, long offset, long length, int advice);
}
