namespace NewsBot.Core.Operations;

/// <summary>
/// Gives the managed heap's garbage back to the system after a rare, heavy step (an index moved onto a new snapshot,
/// the int8 rewrite of a model, a benchmark's fixture): one blocking, compacting collection that also compacts the large
/// object heap once and decommits the freed memory (<see cref="GCCollectionMode.Aggressive"/>). Otherwise the runtime keeps
/// it committed until later allocations happen to trigger a full collection.
/// </summary>
public static class ManagedHeap
{
    public static void CompactAndDecommit()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
