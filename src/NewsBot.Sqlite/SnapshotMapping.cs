using System.IO.MemoryMappedFiles;

namespace NewsBot.Sqlite;

/// <summary>
/// A snapshot file mapped read-only into the address space: the index reads its large sections (int8 and
/// half-precision vectors, postings) in place, so they cost page cache the kernel can share and evict, not heap, and a
/// process starts without reading them. The pages a search touches (every int8 vector, a few postings ranges and
/// half-precision vectors) become resident; the rest stays on disk until used.
/// </summary>
internal sealed unsafe class SnapshotMapping : IDisposable
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _start;
    bool _disposed;

    SnapshotMapping(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        _file = file;
        _view = view;
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
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SnapshotMapping(file, view, length);
        }
        catch
        {
            file.Dispose();
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

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
