using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;
using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Sqlite;

/// <summary>
/// The dense half of the embedded search: an exact scan of the int8-quantised vectors (on all cores for large
/// indexes), then float re-scoring of the best candidates from the half-precision copy.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// The int8 scan keeps this many candidates per wanted hit for exact re-scoring (at least <see cref="MinimumRescored"/>):
    /// int8 rounding can swap near-ties, and re-scoring 4 × k from the half-precision copy restores the exact order.
    /// Raised from 2 × k / 100 in commit 2e30b58, where `bench` measured dense recall@10 against an exact float scan
    /// at 1.0 at 100k and 1M chunks (0.993 at 10k: one near-tie in 300 queries; BENCHMARKS.md §2).
    /// </summary>
    const int RescoreFactor = 4;

    /// <summary>The fewest int8 candidates re-scored, whatever k (see <see cref="RescoreFactor"/>).</summary>
    const int MinimumRescored = 200;

    /// <summary>
    /// At most this many parallel parts for the scan: it is bound by memory bandwidth, which a few cores saturate;
    /// more parts only add merging. The bench machine has 2 cores, so this cap has not been measured there.
    /// </summary>
    const int MaxScanParts = 8;

    /// <summary>
    /// From this many mapped slots on, the scan reads 1-bit codes first (<see cref="BinaryThenInt8"/>); below it the
    /// int8 scan of every slot stays: it is exact up to the re-scoring and takes under a millisecond there (0.4 ms
    /// p50 at 10k in BENCHMARKS.md §2), so the codes would save little and could only lose recall.
    /// </summary>
    internal const int BinaryThreshold = 32_768;

    /// <summary>
    /// Vectors of fewer dimensions are scanned in int8 at any size: their int8 form is already small (at most 128 bytes,
    /// 128 MB per million), and signs of so few components rank too coarsely to find the int8 candidates.
    /// </summary>
    internal const int BinaryMinimumDimensions = 128;

    /// <summary>Off: every index scans int8 (for measuring one path against the other on the same index, and tests).</summary>
    internal static bool UseBinaryCodes = true;

    /// <summary>Whether a search of every slot starts with the 1-bit codes.</summary>
    internal bool ScansBinaryCodes => UseBinaryCodes && _codesAt > 0 && _mappedSlots >= BinaryThreshold && _dim >= BinaryMinimumDimensions;

    /// <summary>
    /// The dense leg. <paramref name="alongside"/> (the lexical leg of a hybrid search), if given, runs as one more item
    /// of the parallel scan's work, or before the scan where the scan is not split; it runs exactly once either way.
    /// </summary>
    List<(int Slot, float Score)> DenseSearch(float[] query, int k, CompiledFilter filter, Action? alongside = null)
    {
        if (query.Length != _dim || _count == 0)
        {
            alongside?.Invoke();
            return [];
        }
        var q7 = new sbyte[_dim];
        float qScale = Int8Kernels.QuantizeQuery(query, q7, out int offset);
        if (qScale == 0)
        {
            alongside?.Invoke();
            return [];
        }
        int rescore = Math.Max(k * RescoreFactor, MinimumRescored);
        if (filter.RestrictSlots is null && ScansBinaryCodes)
            return BinaryThenInt8(query, q7, offset, rescore, filter, alongside, k);
        if (filter.RestrictSlots is { } restricted)
        {
            alongside?.Invoke();
            var chosen = new TopK(rescore);
            foreach (var slot in restricted) ScoreSlot(slot, chosen);
            return new ExactRescore(this, query, k, () => chosen).Run();
        }
        if (_count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            int parts = Math.Min(Environment.ProcessorCount, MaxScanParts);
            var partial = new TopK[parts];
            int per = (_count + parts - 1) / parts;
            // the merge and the exact re-scoring after the parts, shared by the cores (ParallelParts)
            var exact = new ExactRescore(this, query, k, () =>
            {
                var merged = new TopK(rescore);
                foreach (var t in partial) merged.AddAll(t);
                return merged;
            });
            ParallelParts(parts, alongside, p =>
            {
                var local = new TopK(rescore);
                int end = Math.Min(_count, (p + 1) * per);
                if (filter.Any || _deletedCount > 0)
                    for (int slot = p * per; slot < end; slot++) ScoreSlot(slot, local);
                else
                    ScanSlots(p * per, end, q7, offset, local);
                partial[p] = local;
            }, exact);
            return exact.Result;
        }
        alongside?.Invoke();
        var approx = new TopK(rescore);
        for (int slot = 0; slot < _count; slot++) ScoreSlot(slot, approx);
        return new ExactRescore(this, query, k, () => approx).Run();

        void ScoreSlot(int slot, TopK top)
        {
            if ((filter.Any || _deleted[slot]) && !Passes(filter, slot)) return;
            float s = Int8Kernels.Dot(Q8(slot, 1), q7, offset) * _scale[slot];
            if (s > top.Threshold) top.Add(slot, s);
        }
    }

    /// <summary>The unfiltered scan of a range of slots: the mapped part, then the part added since the snapshot.</summary>
    void ScanSlots(int from, int to, sbyte[] q, int offset, TopK top)
    {
        int split = Math.Clamp(_mappedSlots, from, to);
        if (split > from) ScanRange(Q8(from, split - from), _scale, _dim, from, split, q, offset, top);
        if (to > split) ScanRange(Q8(split, to - split), _scale, _dim, split, to, q, offset, top);
    }

    /// <summary>The unfiltered scan of a range of slots whose vectors are <paramref name="data"/>, with everything it needs in locals.</summary>
    static void ScanRange(ReadOnlySpan<byte> data, float[] scales, int dim, int from, int to, sbyte[] q, int offset, TopK top)
    {
        float threshold = top.Threshold;
        for (int slot = from, at = 0; slot < to; slot++, at += dim)
        {
            float s = Int8Kernels.Dot(data.Slice(at, dim), q, offset) * scales[slot];
            if (s > threshold)
            {
                top.Add(slot, s);
                threshold = top.Threshold;
            }
        }
    }
}
