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
    /// Each part of the binary pass keeps this many candidates per int8 candidate wanted (Qdrant's "oversampling"), and
    /// at least 1 in <see cref="CandidateFraction"/> of the slots. Measured on the bench's 100k index (BENCHMARKS.md
    /// §2.2): for queries near stored vectors the int8 scan's top 10 were all among the best 250 codes, but for the
    /// bench's text queries recall@10 against exact float was 0.987 with 1,000 candidates a part and 1.0 with 2,000;
    /// each 1,000 candidates more cost about 0.5–0.7 ms of CPU (random int8 reads from the mapped file). 10 × 200.
    /// </summary>
    internal static int Oversampling = 10;

    /// <summary>
    /// Where the true neighbours fall in the codes' order grows with the density of the index (the bench's 1M index has
    /// ten times the chunks around each topic of its 100k one), so the candidates also grow with it: 1 in 32 slots,
    /// 31,300 a part at 1M. Measured with `bench --chunks 1000000` on one 1M index (BENCHMARKS.md §2.2): recall@10 against
    /// the exact float scan 0.970 with 1 in 256, 0.990 with 1 in 64 on the bench's 30 recall queries but 0.988 on 100
    /// (`bench --search-only`), 0.990 with 1 in 48 and 0.995 with 1 in 32 on those 100. Recall is the target that may
    /// not be traded; the block scan and prefetching (BinaryCodeBlocks, Prefetcher) paid for the extra re-scoring.
    /// Those were measured with two parts of half the index each; since the parts may be more (<see cref="ScanParts"/>),
    /// each keeps 2 in CandidateFraction of its own slots, the same 62,500 in all at 1M, and from 256k chunks the
    /// 4-bit copy (<see cref="NibbleVectors"/>) decides which of them are read in int8 (BENCHMARKS.md §2.2.2).
    /// A field, not a constant, so that a measuring harness can vary it.
    /// </summary>
    internal static int CandidateFraction = 32;

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
        TopK approx;
        if (filter.RestrictSlots is null && ScansBinaryCodes)
            approx = BinaryThenInt8(query, q7, offset, rescore, filter, alongside);
        else if (filter.RestrictSlots is { } restricted)
        {
            alongside?.Invoke();
            approx = new TopK(rescore);
            foreach (var slot in restricted) ScoreSlot(slot, approx);
        }
        else if (_count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            int parts = Math.Min(Environment.ProcessorCount, MaxScanParts);
            var partial = new TopK[parts];
            int per = (_count + parts - 1) / parts;
            ParallelParts(parts, alongside, p =>
            {
                var local = new TopK(rescore);
                int end = Math.Min(_count, (p + 1) * per);
                if (filter.Any || _deletedCount > 0)
                    for (int slot = p * per; slot < end; slot++) ScoreSlot(slot, local);
                else
                    ScanSlots(p * per, end, q7, offset, local);
                partial[p] = local;
            });
            approx = new TopK(rescore);
            foreach (var t in partial) approx.AddAll(t);
        }
        else
        {
            alongside?.Invoke();
            approx = new TopK(rescore);
            for (int slot = 0; slot < _count; slot++) ScoreSlot(slot, approx);
        }

        // exact re-scoring of the int8 candidates
        var exact = new TopK(k);
        Span<float> buf = _dim <= 4096 ? stackalloc float[_dim] : new float[_dim];
        foreach (var (slot, _) in approx.ToSortedList())
            exact.Add(slot, Exact(slot, query, buf));
        return exact.ToSortedList();

        void ScoreSlot(int slot, TopK top)
        {
            if ((filter.Any || _deleted[slot]) && !Passes(filter, slot)) return;
            float s = Int8Kernels.Dot(Q8(slot, 1), q7, offset) * _scale[slot];
            if (s > top.Threshold) top.Add(slot, s);
        }
    }

    /// <summary>
    /// Binary quantisation with oversampling and re-scoring: the mapped slots' 1-bit codes are scanned (48 bytes a
    /// vector at 384 dimensions, against 384 for int8, so the pass is no longer bound by memory bandwidth), the best
    /// <see cref="Oversampling"/> × <paramref name="rescore"/> are scored again from their int8 vectors (read in place
    /// from the mapped file: a few thousand random reads), and the best <paramref name="rescore"/> of those go on to
    /// the exact re-scoring from half precision. Slots added since the snapshot have no code and are scored in int8.
    /// </summary>
    TopK BinaryThenInt8(float[] query, sbyte[] q7, int offset, int rescore, CompiledFilter filter, Action? alongside)
    {
        var bq = BinaryCodes.Prepare(query);
        int mapped = _mappedSlots;
        bool check = filter.Any || _deletedCount > 0;
        int parts = ScanParts(mapped);
        // the same share of every part's slots (2 in CandidateFraction), so that the number of parts does not move recall
        int wanted = Math.Max(rescore * Oversampling, (int)((long)mapped * 2 / CandidateFraction / parts));
        var partial = new TopK[parts];
        int per = (mapped + parts - 1) / parts;
        var blocks = UseCodeBlocks ? CodeBlocks() : null;
        var tables = blocks?.Tables(bq);
        var nibbles = UseNibbles ? Volatile.Read(ref _nibbles) : null;
        var nq = nibbles?.Prepare(query);
        int nibbleKeep = Math.Max(rescore, NibbleKeep / parts);
        ParallelParts(parts, alongside, p =>
        {
            var local = new CandidateBuffer(wanted);
            int from = p * per, to = Math.Min(mapped, from + per);
            if (blocks is not null)
            {
                int perBlocks = (blocks.Blocks + parts - 1) / parts;
                int fb = p * perBlocks, tb = Math.Min(blocks.Blocks, fb + perBlocks);
                if (tb > fb && !filter.Any && PrimeFromSample(blocks, fb, tb, tables!, bq, wanted, local))
                {
                    ScanBlocks(blocks, fb, tb, tables!, bq, check ? filter : null, local);
                    if (local.Count < wanted && local.Threshold > float.NegativeInfinity)
                    {
                        // the sample's bound was too high for this part (many deleted chunks above it): the plain scan
                        local.Dispose();
                        local = new CandidateBuffer(wanted);
                        ScanBlocks(blocks, fb, tb, tables!, bq, check ? filter : null, local);
                    }
                }
                else if (tb > fb) ScanBlocks(blocks, fb, tb, tables!, bq, check ? filter : null, local);
            }
            else if (to > from) ScanCodes(from, to, bq, check ? filter : null, local);
            // each part re-scores its own candidates in int8 (random reads of the mapped file, so on all cores too), a
            // few candidates ahead prefetched; sorting them into file order first measured no faster with the prefetch
            // (1 in 32 or 64 slots are ~12–24 KB apart, a page each) and cost 6 % of the dense leg's CPU
            var ids = local.Ids();
            CandidateBuffer? finer = null;
            if (nibbles is not null && ids.Length > nibbleKeep)
            {
                // the 4-bit estimate from the heap picks the few thousand that are worth an int8 read of the file
                finer = new CandidateBuffer(nibbleKeep);
                for (int j = 0; j < ids.Length; j++)
                {
                    if (j + NibblePrefetchAhead < ids.Length) Prefetcher.Lines(nibbles.Row(ids[j + NibblePrefetchAhead]));
                    float s = nibbles.Score(ids[j], nq!);
                    if (s > finer.Threshold) finer.Add(ids[j], s);
                }
                ids = finer.Ids();
            }
            var top = new TopK(rescore);
            for (int j = 0; j < ids.Length; j++)
            {
                if (j + PrefetchAhead < ids.Length) Prefetcher.Lines(Q8(ids[j + PrefetchAhead], 1));
                ScoreInt8(ids[j], top);
            }
            partial[p] = top;
            finer?.Dispose();
            local.Dispose();
        });
        var approx = new TopK(rescore);
        foreach (var t in partial) approx.AddAll(t);
        for (int slot = mapped; slot < _count; slot++)
            if (!check || Passes(filter, slot)) ScoreInt8(slot, approx);
        return approx;

        void ScoreInt8(int slot, TopK top)
        {
            float s = Int8Kernels.Dot(Q8(slot, 1), q7, offset) * _scale[slot];
            if (s > top.Threshold) top.Add(slot, s);
        }
    }

    /// <summary>
    /// Parts of the binary pass: two per core from 256k mapped slots on (at most <see cref="MaxScanParts"/>), else one per
    /// core. Parts are taken by whichever core is free, so when one core is held up (another process, a collection) the
    /// other takes more of the scan instead of waiting for a half of it; more parts than that add candidate selection
    /// and merging. Each part keeps the same share of its slots, so the candidates in all do not depend on the count.
    /// </summary>
    static int ScanParts(int mapped)
    {
        int cores = Environment.ProcessorCount;
        if (cores <= 1) return 1;
        return Math.Min(MaxScanParts, mapped >= 262_144 ? PartsPerCore * cores : cores);
    }

    /// <summary>Parts a core of the binary pass from 256k mapped slots (<see cref="ScanParts"/>); a field so that a measuring harness can vary it.</summary>
    internal static int PartsPerCore = 2;

    /// <summary>
    /// Runs <paramref name="part"/> for 0…<paramref name="parts"/> − 1 and <paramref name="alongside"/> (if any) on all
    /// cores, the calling thread included; <paramref name="alongside"/> is handed out first, so that the short lexical leg
    /// overlaps the dense parts instead of following them.
    /// </summary>
    static void ParallelParts(int parts, Action? alongside, Action<int> part)
    {
        if (alongside is null)
        {
            Parallel.For(0, parts, part);
            return;
        }
        int next = -1;
        Parallel.For(0, Math.Min(Environment.ProcessorCount, parts + 1), _ =>
        {
            // each worker takes the next item until none is left: item 0 is the lexical leg, item i the dense part i − 1
            for (int item = Interlocked.Increment(ref next); item <= parts; item = Interlocked.Increment(ref next))
            {
                if (item == 0) alongside();
                else part(item - 1);
            }
        });
    }

    /// <summary>How many candidates ahead the int8 re-scoring prefetches (<see cref="Prefetcher"/>).</summary>
    internal static int PrefetchAhead = 8;

    /// <summary>
    /// The sample's bound is set where this many times a part's wanted candidates would exceed it (plus one block). It was 2:
    /// every item appended beyond the wanted ones costs an append and its share of the quickselects, and at 1M chunks 1.3
    /// measured ~1 ms of CPU a query less (BENCHMARKS.md §2.2.2). A sample of 1 in 64 blocks puts a few hundred items
    /// above the bound, so falling short of the wanted count (which costs a second scan of the part) is many standard
    /// deviations away.
    /// </summary>
    internal static double SampleMargin = 1.3;

    /// <summary>One block in this many is scored first to estimate where the part's best candidates begin.</summary>
    const int SampleStride = 64;

    /// <summary>
    /// Sets the candidate buffer's starting threshold from a sample of the part (one block in <see cref="SampleStride"/>):
    /// the score that twice the expected share of candidates in the sample exceed, so that the full scan appends only
    /// items likely to be kept. Without it the buffer starts empty, takes every early item and re-selects its thousands
    /// of candidates again and again while the threshold climbs (at 1M chunks the quickselects cost as much CPU as the
    /// scan). Returns false, priming nothing, when the sample is too small to say.
    /// </summary>
    static bool PrimeFromSample(BinaryCodeBlocks blocks, int fromBlock, int toBlock, byte[] tables, BinaryCodes.Query q, int wanted, CandidateBuffer top)
    {
        int sampled = (toBlock - fromBlock + SampleStride - 1) / SampleStride * BinaryCodeBlocks.BlockCodes;
        int codes = Math.Min(blocks.Count, toBlock * BinaryCodeBlocks.BlockCodes) - fromBlock * BinaryCodeBlocks.BlockCodes;
        long rank = (long)(SampleMargin * wanted * sampled / Math.Max(1, codes)) + BinaryCodeBlocks.BlockCodes;
        if (rank >= sampled / 2) return false;
        using var sample = new CandidateBuffer((int)rank);
        Span<int> weighted = stackalloc int[BinaryCodeBlocks.BlockCodes];
        for (int block = fromBlock; block < toBlock; block += SampleStride)
        {
            blocks.Score(block, tables, weighted);
            int first = block * BinaryCodeBlocks.BlockCodes, n = Math.Min(BinaryCodeBlocks.BlockCodes, blocks.Count - first);
            for (int i = 0; i < n; i++)
                sample.Add(first + i, q.Low * blocks.OnesTerm[first + i] + q.Step * blocks.Factor[first + i] * (2 * weighted[i] - q.LevelSum));
        }
        if (sample.Ids().Length < rank) return false;
        top.Prime(sample.Threshold);
        return true;
    }

    /// <summary>The binary pass over blocks [<paramref name="fromBlock"/>, <paramref name="toBlock"/>) of the transposed codes.</summary>
    void ScanBlocks(BinaryCodeBlocks blocks, int fromBlock, int toBlock, byte[] tables, BinaryCodes.Query q, CompiledFilter? filter, CandidateBuffer top)
    {
        Span<int> weighted = stackalloc int[BinaryCodeBlocks.BlockCodes];
        var factor = blocks.Factor;
        var onesTerm = blocks.OnesTerm;
        float low = q.Low, step = q.Step;
        int levelSum = q.LevelSum, count = blocks.Count;
        float threshold = top.Threshold;
        for (int block = fromBlock; block < toBlock; block++)
        {
            blocks.Score(block, tables, weighted);
            int first = block * BinaryCodeBlocks.BlockCodes, n = Math.Min(BinaryCodeBlocks.BlockCodes, count - first);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // eight scores at a time; only lanes above the threshold go on, one by one
                var vLow = Vector256.Create(low);
                var vStep = Vector256.Create(step);
                var vSum = Vector256.Create(levelSum);
                for (; i + 8 <= n; i += 8)
                {
                    var w = Vector256.Create<int>(weighted.Slice(i, 8));
                    var s = vLow * Vector256.Create<float>(onesTerm.AsSpan(first + i, 8))
                        + vStep * Vector256.Create<float>(factor.AsSpan(first + i, 8)) * Vector256.ConvertToSingle(w + w - vSum);
                    uint above = Vector256.GreaterThan(s, Vector256.Create(threshold)).ExtractMostSignificantBits();
                    while (above != 0)
                    {
                        int lane = BitOperations.TrailingZeroCount(above);
                        above &= above - 1;
                        int slot = first + i + lane;
                        if (s[lane] > threshold && (filter is null || Passes(filter, slot)))
                        {
                            top.Add(slot, s[lane]);
                            threshold = top.Threshold;
                        }
                    }
                }
            }
            for (; i < n; i++)
            {
                int slot = first + i;
                float s = low * onesTerm[slot] + step * factor[slot] * (2 * weighted[i] - levelSum);
                if (s > threshold && (filter is null || Passes(filter, slot)))
                {
                    top.Add(slot, s);
                    threshold = top.Threshold;
                }
            }
        }
    }

    void ScanCodes(int from, int to, BinaryCodes.Query q, CompiledFilter? filter, CandidateBuffer top)
    {
        int words = CodeWords;
        var codes = Codes(from, to - from);
        var factors = Factors(from, to - from);
        float threshold = top.Threshold;
        for (int i = 0, at = 0; i < factors.Length; i++, at += words)
        {
            float s = BinaryCodes.Score(codes.Slice(at, words), q) * factors[i];
            if (s > threshold && (filter is null || Passes(filter, from + i)))
            {
                top.Add(from + i, s);
                threshold = top.Threshold;
            }
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
