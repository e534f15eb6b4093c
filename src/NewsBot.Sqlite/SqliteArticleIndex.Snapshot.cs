using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace NewsBot.Sqlite;

/// <summary>The embedded index's snapshot file: saving the in-memory structures beside the database and starting from them.</summary>
public sealed partial class SqliteArticleIndex
{
    /// <summary>
    /// Whether the dense scan of a mapped snapshot builds its background copies (transposed codes, then the 4-bit vectors)
    /// after its first search; process-wide. A process that runs one search or one question and ends (a cold `ask`, set
    /// by the command line's entry point) turns it off: it scores the codes in place, as every process's first search
    /// does, instead of transposing 48 MB on the other core while it answers, then waiting for that copy and cancelling
    /// the 4-bit one (with an exception) at exit (BENCHMARKS.md §2.1.2).
    /// </summary>
    public static bool BuildsScanCopies
    {
        get => InMemoryHybridIndex.UseCodeBlocks;
        set => InMemoryHybridIndex.UseCodeBlocks = value;
    }

    /// <summary>
    /// Waits until the dense scan's background copies of a mapped snapshot (transposed codes, the 4-bit vectors) are
    /// built: the steady state of a serving process, which has them seconds after its first search (the bench times that).
    /// </summary>
    public void WaitForScanCopies()
    {
        _lock.EnterReadLock();
        try
        {
            _memory?.WaitForCodeBlocks();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Drops the in-memory structures; the next search loads them again (from the snapshot when there is one).</summary>
    public void ReleaseMemory()
    {
        _syncLock.Wait();
        try
        {
            _lock.EnterWriteLock();
            try
            {
                _memory?.Dispose();
                _memory = null;
                _snapshotTried = false;
                _maxRowId = 0;
                _lastDeletionSeq = 0;
                Volatile.Write(ref _syncedGeneration, -1);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
        finally
        {
            _syncLock.Release();
        }
    }

    /// <summary>Brings the in-memory structures up to date and saves them to <see cref="SnapshotPath"/> now.</summary>
    public Task SaveSnapshotAsync(CancellationToken ct = default) => SaveSnapshotAsync(evenIfCurrent: true, ct);

    /// <summary>
    /// <see cref="SaveSnapshotAsync(CancellationToken)"/>, unless the snapshot already holds everything (the sync just
    /// saved it). A prune removes more chunks than <see cref="SnapshotAfterChanges"/>, so the sync that applies it rewrites
    /// the snapshot; a second rewrite right after it doubled the work and, at 1M chunks, met the first one's move onto the
    /// new file (its first searches' pages, the scan copies being built): a worker's peak of 1.8 GB (BENCHMARKS.md,
    /// "The worker at 1M"). False when there was nothing to save.
    /// </summary>
    public async Task<bool> SaveSnapshotIfChangedAsync(CancellationToken ct = default) => await SaveSnapshotAsync(evenIfCurrent: false, ct).ConfigureAwait(false);

    async Task<bool> SaveSnapshotAsync(bool evenIfCurrent, CancellationToken ct)
    {
        await SyncAsync(ct).ConfigureAwait(false);
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await _syncLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            bool current = _changesSinceSnapshot == 0 && !_rewriteSnapshot && File.Exists(SnapshotPath);
            if (_memory is null || (current && !evenIfCurrent)) return false;
            await WriteSnapshotAsync(conn, Volatile.Read(ref _syncedGeneration), ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _syncLock.Release();
        }
    }

    /// <summary>Starts from the saved snapshot when it belongs to this database and model and nothing it holds was lost.</summary>
    async Task TryLoadSnapshotAsync(SqliteConnection conn, CancellationToken ct)
    {
        var path = SnapshotPath;
        if (!File.Exists(path)) return;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var (model, dim) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
            var instance = await db.GetMetaAsync("instance_id", ct).ConfigureAwait(false);
            long maxRowId, maxDeletion;
            await using (var cmd = conn.Command("SELECT (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'chunks'), (SELECT COALESCE(MAX(seq), 0) FROM chunk_deletions)"))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                await r.ReadAsync(ct).ConfigureAwait(false);
                maxRowId = r.GetInt64(0);
                maxDeletion = r.GetInt64(1);
            }
            var (memory, header) = InMemoryHybridIndex.Open(path);
            string? why = header.InstanceId != instance ? "it belongs to another database"
                : header.Model != model || memory.Dimensions != dim ? "it was built with another embedding model"
                : header.MaxRowId > maxRowId || header.LastDeletionSeq > maxDeletion ? "it is newer than the database"
                : null;
            if (why is not null)
            {
                memory.Dispose();
                _log.LogInformation("Index snapshot {Path} ignored: {Reason}", path, why);
                return;
            }
            _memory = memory;
            _maxRowId = header.MaxRowId;
            _lastDeletionSeq = header.LastDeletionSeq;
            _changesSinceSnapshot = 0;
            _log.LogDebug("Index snapshot loaded: {Chunks} chunks in {Ms} ms", memory.LiveCount, sw.ElapsedMilliseconds);
        }
        catch (InMemoryHybridIndex.OlderFormatException)
        {
            // everything a snapshot holds is in the rows: rebuild from them, then save the current format
            _log.LogInformation("Index snapshot {Path} has an earlier release's format; loading the index from the database and saving it anew", path);
            _rewriteSnapshot = true;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or EndOfStreamException or OutOfMemoryException)
        {
            _log.LogWarning("Index snapshot {Path} could not be read ({Error}); loading the index from the database", path, ex.Message);
        }
    }

    /// <summary>Saves the in-memory structures (atomically: a temporary file renamed over the old snapshot).</summary>
    async Task WriteSnapshotAsync(SqliteConnection conn, long generation, CancellationToken ct)
    {
        var (model, _) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
        var instance = await db.GetMetaAsync("instance_id", ct).ConfigureAwait(false);
        if (model is null || instance is null) return;
        var path = SnapshotPath;
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var header = new SnapshotHeader(instance, model, generation, _maxRowId, _lastDeletionSeq);
            // Only syncs change the structures, and they hold _syncLock, as this caller does: writing the file (delta
            // postings merged as they stream out) needs only the read lock, so searches go on meanwhile. Synchronous:
            // the locks belong to this thread and must not span an await.
            _lock.EnterReadLock();
            try
            {
                using var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                // what searches made resident of the old file would otherwise stay beside everything the rewrite and the
                // move onto the new file hold: the peak of a worker at 1M chunks (BENCHMARKS.md, "The worker at 1M")
                _memory!.ReleaseMappedPages();
                _memory.WriteTo(file, header);
                file.Flush(flushToDisk: true);
            }
            finally
            {
                _lock.ExitReadLock();
            }
            File.Move(tmp, path, overwrite: true);
            _changesSinceSnapshot = 0;
            _rewriteSnapshot = false;
            // continue from the file just written, mapped: what was heap (a rebuild, chunks added since the last
            // snapshot, delta postings) becomes page cache, so a long-running worker's heap does not grow with the corpus
            MoveOntoSnapshot(path);
            _log.LogDebug("Index snapshot written to {Path} in {Ms} ms; managed heap {HeapMb} MB after the move", path, sw.ElapsedMilliseconds, GC.GetGCMemoryInfo().HeapSizeBytes >> 20);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _log.LogWarning("Index snapshot {Path} could not be written ({Error}); the next start loads the index from the database", path, ex.Message);
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Serves searches from the snapshot file just written, mapped, and lets go of what served them before.</summary>
    void MoveOntoSnapshot(string path)
    {
        SwapOntoSnapshot(path);
        // after the swap's frame is gone: its local held the replaced index, live to the method's end in unoptimised code
        ReleaseHeap();
        AfterSnapshotMove?.Invoke();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    void SwapOntoSnapshot(string path)
    {
        var (mapped, _) = InMemoryHybridIndex.Open(path);
        _lock.EnterWriteLock();
        try
        {
            (_memory, mapped) = (mapped, _memory);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        mapped?.Dispose();
    }

    /// <summary>Tests: runs on the rewriting thread once the index has moved onto a new snapshot and the heap was collected.</summary>
    internal Action? AfterSnapshotMove { get; set; }

    /// <summary>
    /// After the index moved onto a newly written snapshot (a build from the rows, a rewrite, every 2,000 changes in the
    /// worker): what it held before (the heap arrays of a rebuild or of the chunks added since, the builder's copies of
    /// the per-chunk arrays) is garbage, tens to hundreds of MB at 1M chunks, which the runtime would otherwise keep
    /// committed until later allocations happen to trigger a full collection. One blocking, compacting collection that
    /// also decommits the freed memory (<see cref="GCCollectionMode.Aggressive"/>) returns it to the system; these events
    /// are rare and already take seconds, so the pause does not show. The C heap's free pages (the SQLite reads of a build
    /// from rows, the writer's buffers) go back too (<see cref="CHeap.Trim"/>).
    /// </summary>
    static void ReleaseHeap() => CHeap.CollectAndTrim();

    /// <summary>
    /// What the loaded search structures hold after <see cref="SyncAsync"/>: live chunks with a vector, and live chunks
    /// with lexical postings. A consistency check (the crash tests) compares them with the chunks the store holds.
    /// </summary>
    internal (int Vectors, int Lexical) LoadedCounts()
    {
        _lock.EnterReadLock();
        try
        {
            return _memory is null ? (0, 0) : (_memory.LiveCount, _memory.LiveSlotsWithTerms());
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
