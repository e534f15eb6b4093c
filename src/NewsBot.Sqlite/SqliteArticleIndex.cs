using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;

namespace NewsBot.Sqlite;

/// <summary>
/// The embedded index (the zero-setup default): chunks, their dense and sparse vectors and the article
/// row are written to SQLite in one transaction per article; searches run in memory over structures
/// loaded from the database and kept in step with it, also when another process (the CLI next to a
/// running worker) writes: every write bumps a generation counter, and a search first loads rows added
/// and drops rows deleted since the generation it knows.
/// </summary>
public sealed partial class SqliteArticleIndex(SqliteDatabase db, int rrfK = NewsBot.Core.Retrieval.ReciprocalRankFusion.DefaultK, ILogger<SqliteArticleIndex>? logger = null) : IArticleIndex, ITermStatistics, IPreloadable, IDisposable
{
    readonly ILogger _log = logger ?? NullLogger<SqliteArticleIndex>.Instance;
    readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    readonly SemaphoreSlim _syncLock = new(1, 1);
    InMemoryHybridIndex? _memory;
    long _syncedGeneration = -1;
    long _maxRowId, _lastDeletionSeq, _changesSinceSnapshot;
    bool _snapshotTried, _rewriteSnapshot; // the latter: the snapshot found had an earlier format, save anew after the rebuild

    /// <summary>
    /// Rows loaded or deleted since the last snapshot after which a sync writes a new one (0 writes after
    /// every change; negative never). A process then starts from the snapshot and loads only what changed.
    /// </summary>
    public int SnapshotAfterChanges { get; set; } = 2000;

    /// <summary>
    /// Deleted chunks stay in memory as tomb-stones (skipped by every scan) until more than this many pile up and they
    /// are over <see cref="RebuildDeletedFraction"/> of the slots; then the next sync rebuilds from the rows. A rebuild
    /// costs seconds at 100k chunks (BENCHMARKS.md §2, load from rows), so small deletions never trigger one; set
    /// with the in-memory index and not tuned since.
    /// </summary>
    const int RebuildMinimumDeleted = 1000;

    /// <summary>The other rebuild condition: a fifth of the slots are tomb-stones (the scan then wastes a fifth of its reads).</summary>
    const int RebuildDeletedFraction = 5;

    /// <summary>The file the in-memory search structures are saved to, beside the database.</summary>
    public string SnapshotPath => Path.Combine(db.DataDirectory, "index.snapshot");

    public string Provider => "embedded";

    /// <summary>The article row is written with its chunks, in one transaction.</summary>
    public bool RecordsArticles => true;

    public SqliteDatabase Database => db;

    /// <summary>Half-precision rows the dense leg's exact re-scoring has read in this process (the bench divides it by its searches).</summary>
    public static long RescoreReads => Interlocked.Read(ref InMemoryHybridIndex.RescoreReads);

    public async Task EnsureReadyAsync(EmbeddingModelInfo model, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        var (storedModel, storedDim) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
        if (storedModel is null)
        {
            await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
            (storedModel, storedDim) = await ReadModelAsync(conn, tx, ct).ConfigureAwait(false);
            if (storedModel is null)
            {
                await using var cmd = conn.Command("INSERT OR REPLACE INTO meta(key, value) VALUES('embedding_model', $m), ('embedding_dimensions', $d)", tx)
                    .With("$m", model.Model).With("$d", model.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return;
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        if (!string.Equals(storedModel, model.Model, StringComparison.Ordinal) || storedDim != model.Dimensions)
            throw new IndexModelMismatchException(
                $"The embedded index in {db.FilePath} was built with the embedding model '{storedModel}' ({storedDim} dimensions), " +
                $"but the configured model is '{model.Model}' ({model.Dimensions} dimensions). Vectors of different models cannot be mixed: " +
                $"run `newsbot reindex` to re-embed every article with the configured model, or set Embeddings:Model back.");
    }

    static async Task<(string? Model, int? Dim)> ReadModelAsync(SqliteConnection conn, SqliteTransaction? tx, CancellationToken ct)
    {
        await using var cmd = conn.Command("SELECT key, value FROM meta WHERE key IN ('embedding_model', 'embedding_dimensions')", tx);
        string? m = null;
        int? d = null;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            if (r.GetString(0) == "embedding_model") m = r.GetString(1);
            else if (int.TryParse(r.GetString(1), out var dim)) d = dim;
        }
        return (m, d);
    }

    /// <summary>The model recorded by the embedded index, or null when none was recorded yet.</summary>
    public async Task<EmbeddingModelInfo?> GetModelAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        var (m, d) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
        return m is null || d is null ? null : new EmbeddingModelInfo(m, d.Value);
    }

    /// <summary>An article's stored chunks with their vectors (for copying them into another index).</summary>
    public async Task<List<IndexedChunk>> ReadChunksAsync(ArticleRecord article, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT position, text, token_count, dense, sparse FROM chunks WHERE article_id = $id ORDER BY position").With("$id", article.Id);
        var list = new List<IndexedChunk>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new IndexedChunk
            {
                Article = article.Article,
                Position = r.GetInt32(0),
                Text = r.GetString(1),
                TokenCount = r.GetInt32(2),
                Dense = VectorCodec.DecodeDense((byte[])r[3]),
                Sparse = VectorCodec.DecodeSparse((byte[])r[4]),
            });
        }
        return list;
    }

    /// <summary>Forgets the recorded model (used by reindex before rebuilding with another model).</summary>
    public async Task ResetModelAsync(EmbeddingModelInfo model, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = conn.Command("""
            INSERT INTO chunk_deletions(chunk_rowid) SELECT rowid FROM chunks;
            DELETE FROM chunks;
            INSERT OR REPLACE INTO meta(key, value) VALUES('embedding_model', $m), ('embedding_dimensions', $d);
            UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
            """, tx).With("$m", model.Model).With("$d", model.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        _lock.EnterWriteLock();
        try
        {
            _memory?.Dispose();
            _memory = null;
            _syncedGeneration = -1;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public async Task UpsertAsync(ArticleRecord article, IReadOnlyList<IndexedChunk> chunks, string? replacesArticleId = null, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (replacesArticleId is not null && replacesArticleId != article.Id)
            await DeleteChunksAsync(conn, tx, replacesArticleId, ct).ConfigureAwait(false);
        await DeleteChunksAsync(conn, tx, article.Id, ct).ConfigureAwait(false);
        await SqliteArticleStore.WriteArticleAsync(conn, tx, article, replacesArticleId, ct).ConfigureAwait(false);
        await using (var ins = conn.Command("INSERT INTO chunks(article_id, position, text, token_count, dense, sparse) VALUES($a, $p, $t, $n, $d, $s)", tx))
        {
            var pa = ins.Parameters.Add("$a", SqliteType.Text);
            var pp = ins.Parameters.Add("$p", SqliteType.Integer);
            var pt = ins.Parameters.Add("$t", SqliteType.Text);
            var pn = ins.Parameters.Add("$n", SqliteType.Integer);
            var pd = ins.Parameters.Add("$d", SqliteType.Blob);
            var ps = ins.Parameters.Add("$s", SqliteType.Blob);
            foreach (var c in chunks)
            {
                pa.Value = c.Article.Id;
                pp.Value = c.Position;
                pt.Value = c.Text;
                pn.Value = c.TokenCount;
                pd.Value = VectorCodec.EncodeDense(c.Dense);
                ps.Value = VectorCodec.EncodeSparse(c.Sparse);
                await ins.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        await BumpGenerationAsync(conn, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string articleId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await DeleteChunksAsync(conn, tx, articleId, ct).ConfigureAwait(false);
        await SqliteArticleStore.DeleteArticleRowAsync(conn, tx, articleId, ct).ConfigureAwait(false);
        await BumpGenerationAsync(conn, tx, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    static async Task DeleteChunksAsync(SqliteConnection conn, SqliteTransaction tx, string articleId, CancellationToken ct)
    {
        await using var cmd = conn.Command("""
            INSERT INTO chunk_deletions(chunk_rowid) SELECT rowid FROM chunks WHERE article_id = $id;
            DELETE FROM chunks WHERE article_id = $id;
            """, tx).With("$id", articleId);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    static async Task BumpGenerationAsync(SqliteConnection conn, SqliteTransaction tx, CancellationToken ct)
    {
        await using var cmd = conn.Command("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'", tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(HybridQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var recorder = Phases;
        var clock = recorder is null ? null : new SearchClock();
        var connection = await RentSearchConnectionAsync(ct).ConfigureAwait(false);
        bool failed = true; // a connection that failed a read (or was cancelled in one) is closed, not kept for the next search
        try
        {
            // what SyncAsync checks first, on this search's connection with its statement prepared: nothing changed, nothing to load
            var generation = ParseGeneration(await connection.Generation.ExecuteScalarAsync(ct).ConfigureAwait(false));
            if (generation != Volatile.Read(ref _syncedGeneration)) await SyncAsync(ct).ConfigureAwait(false);
            clock?.MarkSynced();
            List<FusedCandidate> candidates;
            _lock.EnterReadLock();
            try
            {
                if (_memory is null || _memory.LiveCount == 0)
                {
                    failed = false;
                    return [];
                }
                if (query.Mode != RetrievalMode.Lexical && query.Dense.Length != _memory.Dimensions)
                    throw new IndexModelMismatchException($"The query vector has {query.Dense.Length} dimensions but the embedded index holds {_memory.Dimensions}-dimensional vectors. Run `newsbot reindex`.");
                candidates = _memory.Search(query, rrfK, clock);
            }
            finally
            {
                _lock.ExitReadLock();
            }
            clock?.MarkSearched();
            var hits = candidates.Count == 0 ? [] : await HydrateAsync(connection, query, candidates, ct).ConfigureAwait(false);
            if (clock is not null) recorder!.Add(clock.End());
            failed = false;
            return hits;
        }
        finally
        {
            if (failed) connection.Dispose();
            else ReturnSearchConnection(connection);
        }
    }

    public async Task<IndexStats> GetStatsAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        var (model, dim) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
        await using var cmd = conn.Command("SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM chunks)");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return new IndexStats(Provider, r.GetInt64(0), r.GetInt64(1), model, dim, db.DiskBytes());
    }

    /// <summary>Loads the search structures (a search would do it too).</summary>
    public Task PreloadAsync(CancellationToken ct = default) => SyncAsync(ct);

    /// <summary>Loads into memory whatever other writers committed since the last search.</summary>
    public async Task SyncAsync(CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        long generation = await ReadGenerationAsync(conn, ct).ConfigureAwait(false);
        if (generation == Volatile.Read(ref _syncedGeneration)) return;
        await _syncLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // the load in a method of its own: its frame (the loaded index it added to, in locals and, in unoptimised
            // code, in temporaries live to the method's end) is gone before a rewrite replaces that index, so that the
            // rewrite's collection can take the replaced one (BENCHMARKS.md, "The worker at 1M": at 1M chunks it stayed
            // beside the new one until the next collection)
            if (await LoadChangesAsync(conn, ct).ConfigureAwait(false) is { } loaded
                && SnapshotAfterChanges >= 0 && (_changesSinceSnapshot > SnapshotAfterChanges || _rewriteSnapshot) && _memory is not null)
                await WriteSnapshotAsync(conn, loaded, ct).ConfigureAwait(false);
        }
        finally
        {
            _syncLock.Release();
        }
    }

    /// <summary>
    /// Loads what other writers committed since the last sync (the caller holds <c>_syncLock</c>): the generation loaded, or
    /// null when nothing changed or a full load was written to a snapshot and mapped as it went.
    /// </summary>
    async Task<long?> LoadChangesAsync(SqliteConnection conn, CancellationToken ct)
    {
        var generation = await ReadGenerationAsync(conn, ct).ConfigureAwait(false);
        if (generation == _syncedGeneration) return null;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        if (_memory is null && !_snapshotTried)
        {
            _snapshotTried = true;
            await TryLoadSnapshotAsync(conn, ct).ConfigureAwait(false);
        }
        bool full = _memory is null;
        if (!full)
        {
            // deletions since last sync
            var deleted = new List<long>();
            await using (var cmd = conn.Command("SELECT seq, chunk_rowid FROM chunk_deletions WHERE seq > $s ORDER BY seq").With("$s", _lastDeletionSeq))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    _lastDeletionSeq = r.GetInt64(0);
                    deleted.Add(r.GetInt64(1));
                }
            }
            _changesSinceSnapshot += deleted.Count;
            if (deleted.Count > 0)
            {
                _lock.EnterWriteLock();
                try
                {
                    foreach (var rowId in deleted) _memory!.Remove(rowId);
                    // rebuild when tomb-stones pile up
                    if (_memory!.DeletedCount > RebuildMinimumDeleted && _memory.DeletedCount > _memory.SlotCount / RebuildDeletedFraction) full = true;
                }
                finally
                {
                    _lock.ExitWriteLock();
                }
            }
        }
        if (full)
        {
            await using (var cmd = conn.Command("SELECT COALESCE(MAX(seq), 0) FROM chunk_deletions"))
                _lastDeletionSeq = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) ?? 0L);
            _maxRowId = 0;
        }
        var (_, dim) = await ReadModelAsync(conn, null, ct).ConfigureAwait(false);
        var target = full ? null : _memory;
        if (full && dim is { } d0)
        {
            // a fresh load: size the arrays once and build the compact postings in one pass
            var (rows, postings) = await CountRowsAsync(conn, ct).ConfigureAwait(false);
            if (await TryLoadStreamedAsync(conn, d0, rows, generation, ct).ConfigureAwait(false)) { Volatile.Write(ref _syncedGeneration, generation); return null; }
            target = new InMemoryHybridIndex(d0);
            target.BeginBulk((int)rows, postings);
        }
        int loaded = 0;
        await using (var cmd = conn.Command(RowsSql).With("$after", _maxRowId))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            // rows are read into reused buffers: no per-row vector allocations (100k rows load in about a second)
            var denseBuffer = new byte[8192];
            var sparseBuffer = new byte[65536];
            bool locked = false;
            try
            {
                int sinceLock = 0;
                // synchronous reads (SQLite's are anyway): the write lock is thread-affine and must not span an await
                while (r.Read())
                {
                    if ((loaded & 4095) == 0) ct.ThrowIfCancellationRequested();
                    var dense = ReadVectors(r, ref denseBuffer, ref sparseBuffer, out var ids, out var weights);
                    target ??= new InMemoryHybridIndex(dim ?? dense.Length);
                    if (dense.Length != target.Dimensions) continue;
                    if (!full && !locked) { _lock.EnterWriteLock(); locked = true; }
                    long rowId = r.GetInt64(0);
                    target.Add(rowId, r.GetString(1), r.GetStringOrNull(4), r.IsDBNull(5) ? null : r.GetInt64(5), dense, ids, weights);
                    _maxRowId = Math.Max(_maxRowId, rowId);
                    loaded++;
                    // let searches in between when catching up on many rows
                    if (locked && ++sinceLock >= 1024) { _lock.ExitWriteLock(); locked = false; sinceLock = 0; }
                }
            }
            finally
            {
                if (locked) _lock.ExitWriteLock();
            }
        }
        target?.EndBulk();
        _changesSinceSnapshot += loaded;
        if (full)
        {
            _lock.EnterWriteLock();
            try
            {
                (var old, _memory) = (_memory, target ?? (dim is { } d ? new InMemoryHybridIndex(d) : null));
                if (!ReferenceEquals(old, _memory)) old?.Dispose();
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
        Volatile.Write(ref _syncedGeneration, generation);
        if (loaded > 0 || full)
            _log.LogDebug("Embedded index synced: {Loaded} chunks loaded ({Mode}) in {Ms} ms", loaded, full ? "full" : "incremental", sw.ElapsedMilliseconds);
        return generation;
    }

    static async Task<long> ReadGenerationAsync(SqliteConnection conn, CancellationToken ct)
    {
        await using var cmd = conn.Command("SELECT value FROM meta WHERE key = 'generation'");
        return ParseGeneration(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false));
    }

    static long ParseGeneration(object? v)
        => v is string s && long.TryParse(s, out var g) ? g : Convert.ToInt64(v ?? 0L, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Document frequencies from the in-memory postings (loading them first, as a search would).</summary>
    public async Task<TermFrequencies> GetDocumentFrequenciesAsync(IReadOnlyList<uint> termIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(termIds);
        await SyncAsync(ct).ConfigureAwait(false);
        _lock.EnterReadLock();
        try
        {
            return _memory is null ? TermFrequencies.None(termIds.Count) : _memory.DocumentFrequencies(termIds);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose()
    {
        DisposeSearchConnection();
        _memory?.Dispose();
        _lock.Dispose();
        _syncLock.Dispose();
    }
}
