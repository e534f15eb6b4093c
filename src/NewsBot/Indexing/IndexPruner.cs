using NewsBot.Core.Ports;
using NewsBot.Core.Retention;
using NewsBot.Sqlite;

namespace NewsBot.Indexing;

/// <summary>
/// A prune (<see cref="RetentionService"/>) followed by what only the host knows about: the embedded index's snapshot
/// is saved again, so the next process starts from a snapshot without the pruned chunks instead of finding it stale.
/// </summary>
public sealed class IndexPruner(RetentionService retention, IArticleIndex index)
{
    public RetentionPolicy Policy => retention.Policy;

    public async Task<PruneReport> PruneAsync(DateTimeOffset cutoff, CancellationToken ct = default)
    {
        var report = await retention.PruneAsync(cutoff, ct).ConfigureAwait(false);
        // only where a snapshot exists: a store too small to have one loads from its rows anyway; and once: a prune of
        // more than SnapshotAfterChanges chunks is saved by the sync that applies it
        if (report.Articles > 0 && index is SqliteArticleIndex embedded && File.Exists(embedded.SnapshotPath))
            await embedded.SaveSnapshotIfChangedAsync(ct).ConfigureAwait(false);
        return report;
    }
}
