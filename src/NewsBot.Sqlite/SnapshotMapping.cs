using System.IO.MemoryMappedFiles;

namespace NewsBot.Sqlite;

/// <summary>
/// A snapshot file mapped read-only into the address space: the index reads its large sections (int8 and
/// half-precision vectors, postings) in place, so they cost page cache the kernel can share and evict, not heap, and a
/// process starts without reading them. The pages a search touches (every int8 vector, a few postings ranges and
/// half-precision vectors) become resident; the rest stays on disk until used.
/// </summary>
internal sealed unsafe partial class SnapshotMapping : IDisposable
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _start;
    readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
    bool _disposed;

    SnapshotMapping(MemoryMappedFile file, MemoryMappedViewAccessor view, long length, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        _file = file;
        _view = view;
        _handle = handle;
        Length = length;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _start = p + view.PointerOffset;
    }

    public long Length { get; }

    public static SnapshotMapping Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length == 0) throw new InvalidDataException("empty snapshot");
        // the same file (inode) opened for plain reads as well: a newer snapshot may be renamed over the path meanwhile
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        MemoryMappedFile? file = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SnapshotMapping(file, view, length, handle);
        }
        catch
        {
            file?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A section of the file as a span of <typeparamref name="T"/> (bounds checked against the file).</summary>
    public ReadOnlySpan<T> Span<T>(long offset, long count) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || count < 0 || count > int.MaxValue || offset + count * sizeof(T) > Length)
            throw new InvalidDataException("snapshot section outside the file");
        return new ReadOnlySpan<T>(_start + offset, (int)count);
    }

    /// <summary>
    /// Reads a section's items at <paramref name="offset"/> into <paramref name="destination"/> by a positional read of the
    /// file, not through the mapping. For what a search reads a little of at random places (half-precision vectors of
    /// its candidates, one term's postings): a touch of the mapping makes the kernel map the 64 KB around it as well
    /// (fault-around, even with MADV_RANDOM), so a few hundred touches a query leave the whole section resident in the
    /// process over time, while a read copies only the bytes asked for out of the page cache, which the kernel shares
    /// and evicts and which does not count in the process's resident set. (A small half-precision section is read in place
    /// all the same, its residency accepted for the system calls it saves: <c>InMemoryHybridIndex.F16InPlaceBytes</c>.)
    /// </summary>
    public void Read<T>(long offset, Span<T> destination) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination);
        if (offset < 0 || offset + bytes.Length > Length) throw new InvalidDataException("snapshot section outside the file");
        while (bytes.Length > 0)
        {
            int n = RandomAccess.Read(_handle, bytes, offset);
            if (n == 0) throw new InvalidDataException("truncated snapshot");
            bytes = bytes[n..];
            offset += n;
        }
    }

    /// <summary>
    /// Drops this process's mapping of the pages of a section (<c>madvise(MADV_DONTNEED)</c>): the file's pages stay in the
    /// page cache, which the kernel shares and evicts, and a later touch maps them again (a minor fault). For sections read
    /// in place at random places (the long postings lists' binary searches): since Linux 6.18 a fault maps the whole large
    /// folio of the page cache around the page touched (up to 2 MB), not 64 KB, so the touches of a few hundred queries left
    /// ~370 MB of the 1M index's postings resident in the process (BENCHMARKS.md §2.1.4). The pages are rounded outward, so
    /// a neighbour section's edge pages may be dropped too, which only costs a fault. Hand-written: .NET has no madvise.
    /// </summary>
    /// <returns>Whether the kernel took the advice (false elsewhere than Linux, or with nothing to release).</returns>
    public bool Release(long offset, long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!OperatingSystem.IsLinux() || bytes <= 0) return false;
        long from = Math.Max(0, offset) & ~(PageSize - 1);
        long to = Math.Min(Length, offset + bytes);
        if (to <= from) return false;
        try
        {
            return Madvise(_start + from, (nuint)(to - from), MadvDontNeed) == 0; // advice: a refusal leaves the pages mapped
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // no libc to ask: the pages stay mapped, as before
        }
    }

    /// <summary>
    /// How many bytes of a section are mapped into this process now (pages present in <c>/proc/self/pagemap</c>); -1 where
    /// that cannot be read. For tests and measurements.
    /// </summary>
    internal long MappedBytes(long offset, long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!OperatingSystem.IsLinux() || bytes <= 0) return OperatingSystem.IsLinux() ? 0 : -1;
        long first = ((long)_start + Math.Max(0, offset)) / PageSize, last = ((long)_start + Math.Min(Length, offset + bytes) - 1) / PageSize;
        try
        {
            using var pagemap = File.OpenHandle("/proc/self/pagemap");
            var entries = new byte[(last - first + 1) * 8];
            int n = RandomAccess.Read(pagemap, entries, first * 8);
            long present = 0;
            for (int i = 0; i + 8 <= n; i += 8)
                if ((BitConverter.ToUInt64(entries, i) >> 63) != 0) present++;
            return present * PageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    const long PageSize = 4096;
    const int MadvDontNeed = 4;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "madvise", SetLastError = false)]
    private static partial int Madvise(void* address, nuint length, int advice);

    /// <summary>
    /// Whether the <c>scratch.Length</c> bytes at <paramref name="offset"/> are all in the page cache
    /// (<see cref="PageCache.IsCached"/>, read into <paramref name="scratch"/>); true where that cannot be asked.
    /// </summary>
    public bool IsCached(long offset, Span<byte> scratch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return offset < 0 || offset + scratch.Length > Length || PageCache.IsCached(_handle, offset, scratch);
    }

    /// <summary>
    /// Asks the kernel to read each range (<paramref name="bytes"/> at every offset) into the page cache in the background
    /// (<see cref="PageCache.WillNeed"/>): positional reads of those ranges that follow then wait for reads the disk serves
    /// side by side instead of one after the other.
    /// </summary>
    public void ReadAhead(ReadOnlySpan<long> offsets, int bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var offset in offsets)
            if (offset >= 0 && offset + bytes <= Length && !PageCache.WillNeed(_handle, offset, bytes)) return;
    }

    /// <summary>
    /// Copies a byte range of the file to <paramref name="destination"/> through reads of the file, not the mapping:
    /// writing a new snapshot from a mapped index then neither copies the mapped sections into the heap nor makes them
    /// resident in this process (a whole 1M-chunk snapshot would be 2.6 GB of resident pages), only page cache.
    /// </summary>
    public void CopyTo(Stream destination, long offset, long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || bytes < 0 || offset + bytes > Length) throw new InvalidDataException("snapshot section outside the file");
        if (bytes == 0) return;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(bytes, 1 << 20));
        try
        {
            while (bytes > 0)
            {
                int n = RandomAccess.Read(_handle, buffer.AsSpan(0, (int)Math.Min(bytes, buffer.Length)), offset);
                if (n == 0) throw new InvalidDataException("truncated snapshot");
                destination.Write(buffer, 0, n);
                offset += n;
                bytes -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Drops this process's resident pages of the mapping (<c>madvise(MADV_DONTNEED)</c>); the file's pages stay in the
    /// page cache, and a later touch maps them again from there, with the same bytes. For a snapshot rewrite: a serving
    /// index keeps what its searches touched resident (at 1M chunks the codes, and the int8 section, which the searches
    /// read through the mapping until the 4-bit copy exists: ~440 MB), and the rewrite, which reads the old file by
    /// positional reads, held that beside the heap it builds and the new file's first pages: a worker at 1M peaked at
    /// 1,582 MB in its first rewrite (BENCHMARKS.md, "The worker at 1M"). Hand-written because .NET has no API for it;
    /// elsewhere (not Linux, no libc) it does nothing.
    /// </summary>
    /// <returns>Whether the kernel took the advice.</returns>
    public bool ReleaseResidentPages() => Release(0, Length);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        _handle.Dispose();
    }
}
