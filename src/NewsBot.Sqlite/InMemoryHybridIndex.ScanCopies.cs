namespace NewsBot.Sqlite;

/// <summary>
/// The in-memory copies that the dense scan of a mapped snapshot builds for itself in the background after its first search:
/// the 1-bit codes in the transposed layout of <see cref="BinaryCodeBlocks"/> and, for large indexes, the 4-bit vectors of
/// <see cref="NibbleVectors"/>; until they are built the scan works without them.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    /// <summary>Off: the codes are scored in place, one at a time (for measuring one path against the other, and tests).</summary>
    internal static bool UseCodeBlocks = true;

    BinaryCodeBlocks? _codeBlocks;
    NibbleVectors? _nibbles;

    /// <summary>Whether the transposed codes are built (tests).</summary>
    internal bool HasCodeBlocks => Volatile.Read(ref _codeBlocks) is not null;

    /// <summary>Whether the 4-bit copy of the mapped vectors is built (tests and measurements).</summary>
    internal bool HasNibbles => Volatile.Read(ref _nibbles) is not null;

    /// <summary>Off: the binary pass's candidates all go to int8 re-scoring (for measuring, and tests).</summary>
    internal static bool UseNibbles = true;

    /// <summary>
    /// From this many mapped slots on, the 4-bit copy (<see cref="NibbleVectors"/>, half a byte a component of heap: 192 MB
    /// at 1M chunks) is built with the code blocks and ranks the binary pass's candidates before int8. Below it the
    /// candidates are few enough (3,125 a part at 100k) that their int8 reads cost less than the copy's memory is worth
    /// (the 100k bench's peak is at its 500 MB target).
    /// </summary>
    internal static int NibbleThreshold = 262_144;

    /// <summary>
    /// How many of the binary candidates (all parts together) the 4-bit estimate hands on to int8 re-scoring. It was 4,000;
    /// at 1M chunks 2,000 kept recall@10 (the bench's 0.998 on 100 queries, and the int8 scan's top 10 in all of 400 queries
    /// near stored vectors) for ~0.5 ms of CPU a query less, where 1,000 lost a neighbour of the int8 scan's in 500
    /// (BENCHMARKS.md §2.2.4).
    /// </summary>
    internal static int NibbleKeep = 2_000;

    /// <summary>How many candidates ahead the 4-bit pass prefetches its rows.</summary>
    internal static int NibblePrefetchAhead = 8;

    /// <summary>
    /// How long after the code blocks the 4-bit copy waits before it starts reading the int8 section (384 MB at 1M chunks):
    /// a cold `ask` that ends after one search does not compete with it for the cores and the disk (measured at 1M: the
    /// copy started at once made a cold `ask` ~0.25 s slower); a serving process builds it a moment later.
    /// </summary>
    internal static TimeSpan NibbleDelay = TimeSpan.FromSeconds(2);

    // completed by WaitForCodeBlocks: whoever waits for the copies wants them now, not after the delay
    readonly TaskCompletionSource _copiesWanted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    Task? _codeBlocksBuild;
    readonly Lock _codeBlocksLock = new();
    // cancelled by Dispose: the 4-bit copy takes seconds at 1M chunks, which a process ending after one search should not wait for
    readonly CancellationTokenSource _copiesCancel = new();

    /// <summary>
    /// The mapped slots' codes in the transposed layout of <see cref="BinaryCodeBlocks"/>, or null until they are built.
    /// The first search that wants them starts the copy in the background and, like those after it until the copy is
    /// done, scores the codes in place: the copy reads all of them (48 MB at 1M chunks), which a cold `ask` should not
    /// wait for before its one search.
    /// </summary>
    BinaryCodeBlocks? CodeBlocks()
    {
        if (Volatile.Read(ref _codeBlocks) is { } built) return built;
        lock (_codeBlocksLock)
        {
            if (_codeBlocksBuild is null && _map is not null)
            {
                int slots = _mappedSlots;
                _codeBlocksBuild = Task.Run(async () =>
                {
                    var blocks = BinaryCodeBlocks.Build(Codes(0, slots), Factors(0, slots), slots, CodeWords, _dim);
                    Volatile.Write(ref _codeBlocks, blocks);
                    if (slots >= NibbleThreshold && _center.Length == _dim)
                    {
                        await Task.WhenAny(Task.Delay(NibbleDelay, _copiesCancel.Token), _copiesWanted.Task).ConfigureAwait(false);
                        _copiesCancel.Token.ThrowIfCancellationRequested();
                        var nibbles = NibbleVectors.Build(slots, _dim, _scale, _center, (from, dest) => _map!.Read(_q8At + (long)from * _dim, dest.AsSpan()), _copiesCancel.Token);
                        Volatile.Write(ref _nibbles, nibbles);
                    }
                });
            }
        }
        return null;
    }

    /// <summary>Builds the transposed codes now, if the index scans codes (tests and measurements that compare the two scans).</summary>
    internal void WaitForCodeBlocks()
    {
        if (!ScansBinaryCodes) return;
        _copiesWanted.TrySetResult();
        CodeBlocks();
        _codeBlocksBuild?.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Waits for a background copy of the codes that is still reading the mapping (before it is released), and frees the
    /// transposed codes (native memory); the index's Dispose calls it when no search can be reading them.
    /// </summary>
    void ReleaseCodeBlocks()
    {
        _copiesCancel.Cancel();
        try
        {
            _codeBlocksBuild?.Wait();
        }
        catch (AggregateException)
        {
            // a failed or cancelled copy only means the codes are scored in place; the mapping is released either way
        }
        // the token source is not disposed: it holds no timer, and Dispose may run more than once
        Volatile.Read(ref _codeBlocks)?.Dispose();
        _codeBlocks = null;
    }
}
