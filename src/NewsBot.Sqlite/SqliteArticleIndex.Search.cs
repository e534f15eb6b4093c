using System.Globalization;
using Microsoft.Data.Sqlite;
using NewsBot.Core.Model;

namespace NewsBot.Sqlite;

public sealed partial class SqliteArticleIndex
{
    /// <summary>
    /// Attached, it receives the <see cref="SearchPhases"/> of every search from then on (the bench's timed round);
    /// null (the default) measures nothing.
    /// </summary>
    public SearchPhaseRecorder? Phases { get; set; }

    // The connection a search reads the generation and its hits' rows with, its statements prepared once. Opening a
    // pooled connection twice a search and preparing the hydration join each time was a fifth of the hydration's CPU
    // (BENCHMARKS.md §2.2.5). One is kept; a search that finds it taken (another search holds it) opens its own, and
    // keeps it when none is kept on its return.
    SearchConnection? _spareSearchConnection;
    bool _disposed;

    async Task<SearchConnection> RentSearchConnectionAsync(CancellationToken ct)
        => Interlocked.Exchange(ref _spareSearchConnection, null) ?? new SearchConnection(await db.OpenAsync(ct).ConfigureAwait(false));

    void ReturnSearchConnection(SearchConnection connection)
    {
        if (Interlocked.CompareExchange(ref _spareSearchConnection, connection, null) is not null) connection.Dispose();
        else if (Volatile.Read(ref _disposed)) Interlocked.Exchange(ref _spareSearchConnection, null)?.Dispose(); // the index was disposed meanwhile
    }

    void DisposeSearchConnection()
    {
        Volatile.Write(ref _disposed, true);
        Interlocked.Exchange(ref _spareSearchConnection, null)?.Dispose();
    }

    /// <summary>The hits of the fused candidates, in their order: the chunks' and articles' rows, read in one statement.</summary>
    static async Task<IReadOnlyList<SearchHit>> HydrateAsync(SearchConnection connection, HybridQuery query, List<FusedCandidate> candidates, CancellationToken ct)
    {
        var (cmd, owned) = connection.Hydration(candidates.Count);
        try
        {
            for (int i = 0; i < candidates.Count; i++) cmd.Parameters[i].Value = candidates[i].RowId;
            var slots = new SearchHit?[candidates.Count];
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    long rowId = r.GetInt64(0);
                    int i = candidates.FindIndex(c => c.RowId == rowId); // ten or so: a scan, no dictionary
                    if (i < 0) continue;
                    var c = candidates[i];
                    slots[i] = new SearchHit
                    {
                        Article = new ArticleRef
                        {
                            Id = r.GetString(1), Title = r.GetString(4), Outlet = r.GetStringOrNull(5), Author = r.GetStringOrNull(6),
                            Published = r.FromUnixMs(7), Url = r.GetString(8),
                        },
                        Position = r.GetInt32(2),
                        Text = r.GetString(3),
                        Score = c.Score,
                        DenseScore = query.Mode == RetrievalMode.Lexical ? null : c.DenseScore,
                        LexicalScore = c.LexicalScore,
                        DenseRank = c.DenseRank,
                        LexicalRank = c.LexicalRank,
                    };
                }
            }
            var hits = new List<SearchHit>(candidates.Count);
            foreach (var h in slots)
                if (h is not null) hits.Add(h); // a row missing was deleted meanwhile
            return hits;
        }
        finally
        {
            if (owned) await cmd.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An open connection with the search's statements prepared on it: the generation read and the hydration join for
    /// each number of candidates up to <see cref="MaxPrepared"/>. Used by one search at a time. Every statement is reset
    /// when its reader is disposed, so an idle one holds no read transaction (a checkpoint or another writer never waits for it).
    /// </summary>
    sealed class SearchConnection(SqliteConnection connection) : IDisposable
    {
        const int MaxPrepared = 64;
        SqliteCommand? _generation;
        readonly SqliteCommand?[] _hydration = new SqliteCommand?[MaxPrepared + 1];

        public SqliteCommand Generation => _generation ??= connection.Command("SELECT value FROM meta WHERE key = 'generation'");

        /// <summary>The join for <paramref name="count"/> row ids, parameters $r0…; owned (to dispose) when it is not kept.</summary>
        public (SqliteCommand Command, bool Owned) Hydration(int count)
        {
            if (count <= MaxPrepared && _hydration[count] is { } kept) return (kept, false);
            var names = new string[count];
            for (int i = 0; i < count; i++) names[i] = "$r" + i.ToString(CultureInfo.InvariantCulture);
            var cmd = connection.Command($"""
                SELECT c.rowid, c.article_id, c.position, c.text, a.title, a.outlet, a.author, a.published_ms, a.url
                FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.rowid IN ({string.Join(",", names)})
                """);
            foreach (var name in names) cmd.Parameters.Add(name, SqliteType.Integer);
            if (count > MaxPrepared) return (cmd, true);
            _hydration[count] = cmd;
            return (cmd, false);
        }

        public void Dispose()
        {
            _generation?.Dispose();
            foreach (var cmd in _hydration) cmd?.Dispose();
            connection.Dispose();
        }
    }
}
