using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace NewsBot.Sqlite;

/// <summary>A full load that is saved as a snapshot anyway is built straight into the snapshot file, then mapped.</summary>
public sealed partial class SqliteArticleIndex
{
    const string RowsSql = """
        SELECT c.rowid, c.article_id, c.dense, c.sparse, a.outlet, a.published_ms
        FROM chunks c LEFT JOIN articles a ON a.id = c.article_id WHERE c.rowid > $after ORDER BY c.rowid
        """;

    /// <summary>How many chunk rows there are and how many lexical postings they hold (to size a load).</summary>
    static async Task<(long Rows, long Postings)> CountRowsAsync(SqliteConnection conn, CancellationToken ct)
    {
        await using var count = conn.Command("SELECT COUNT(*), COALESCE(SUM((length(sparse) - 4) / 8), 0) FROM chunks");
        await using var cr = await count.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await cr.ReadAsync(ct).ConfigureAwait(false);
        return (cr.GetInt64(0), cr.GetInt64(1));
    }

    /// <summary>Postings per spill bucket of a streamed build (tests set it small to sort many buckets).</summary>
    internal int BuildBucketEntries { get; set; } = InMemoryHybridIndex.SnapshotBuilder.DefaultBucketEntries;

    delegate void RowSink(SqliteDataReader row, ReadOnlySpan<float> dense, ReadOnlySpan<uint> termIds, ReadOnlySpan<float> termWeights);

    /// <summary>
    /// The dense vector (column 2) and the lexical postings (column 3) of the current row, read into reused buffers that
    /// grow when a row needs more: no allocation per row (a load of 1M rows).
    /// </summary>
    static ReadOnlySpan<float> ReadVectors(SqliteDataReader r, ref byte[] denseBuffer, ref byte[] sparseBuffer, out ReadOnlySpan<uint> termIds, out ReadOnlySpan<float> termWeights)
    {
        int denseLength = (int)r.GetBytes(2, 0, null, 0, 0);
        if (denseLength > denseBuffer.Length) denseBuffer = new byte[denseLength];
        r.GetBytes(2, 0, denseBuffer, 0, denseLength);
        int sparseLength = (int)r.GetBytes(3, 0, null, 0, 0);
        if (sparseLength > sparseBuffer.Length) sparseBuffer = new byte[sparseLength];
        r.GetBytes(3, 0, sparseBuffer, 0, sparseLength);
        VectorCodec.SparseSpans(sparseBuffer.AsSpan(0, sparseLength), out termIds, out termWeights);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(denseBuffer.AsSpan(0, denseLength));
    }

    /// <summary>Every chunk row in rowid order, its vectors read into reused buffers.</summary>
    static void ReadRows(SqliteConnection conn, SqliteTransaction tx, RowSink sink, CancellationToken ct)
    {
        using var cmd = conn.Command(RowsSql, tx).With("$after", 0L);
        using var r = cmd.ExecuteReader();
        var denseBuffer = new byte[8192];
        var sparseBuffer = new byte[65536];
        for (int n = 0; r.Read(); n++)
        {
            if ((n & 4095) == 0) ct.ThrowIfCancellationRequested();
            var dense = ReadVectors(r, ref denseBuffer, ref sparseBuffer, out var ids, out var weights);
            sink(r, dense, ids, weights);
        }
    }

    /// <summary>
    /// A full load of more rows than <see cref="SnapshotAfterChanges"/> (a heap load would be saved right after):
    /// two passes over the rows in one read transaction write the snapshot file without the vectors or postings in the
    /// heap (<see cref="InMemoryHybridIndex.SnapshotBuilder"/>), and the index maps it. False (nothing changed) where
    /// that does not apply or the file could not be written; the caller then loads into the heap.
    /// </summary>
    async Task<bool> TryLoadStreamedAsync(SqliteConnection conn, int dim, long rows, long generation, CancellationToken ct)
    {
        if (SnapshotAfterChanges < 0 || rows == 0 || (rows + _changesSinceSnapshot <= SnapshotAfterChanges && !_rewriteSnapshot)) return false;
        var (model, _) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
        var instance = await db.GetMetaAsync("instance_id", ct).ConfigureAwait(false);
        if (model is null || instance is null) return false;
        var path = SnapshotPath;
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            long maxRowId;
            using (var builder = new InMemoryHybridIndex.SnapshotBuilder(dim, (int)Math.Min(rows, Array.MaxLength), BuildBucketEntries))
            using (var tx = conn.BeginTransaction(deferred: true))
            {
                ReadRows(conn, tx, (r, dense, ids, _) => builder.Count(r.GetInt64(0), r.GetString(1), r.GetStringOrNull(4), r.IsDBNull(5) ? null : r.GetInt64(5), dense, ids), ct);
                maxRowId = builder.MaxRowId;
                builder.Begin(tmp, new SnapshotHeader(instance, model, generation, maxRowId, _lastDeletionSeq));
                ReadRows(conn, tx, (r, dense, ids, weights) => builder.Write(r.GetInt64(0), dense, ids, weights), ct);
                builder.Finish();
            }
            File.Move(tmp, path, overwrite: true);
            MoveOntoSnapshot(path);
            _maxRowId = maxRowId;
            _changesSinceSnapshot = 0;
            _rewriteSnapshot = false;
            _log.LogDebug("Embedded index built from {Rows} rows into the snapshot {Path} in {Ms} ms", rows, path, sw.ElapsedMilliseconds);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _log.LogWarning("Index snapshot {Path} could not be built from the rows ({Error}); loading the index into memory", path, ex.Message);
            return false;
        }
        finally
        {
            // a failed or cancelled build leaves no partial file (after the rename there is none to delete)
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
