using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NewsBot.Sqlite;

/// <summary>
/// The binary pass of the dense scan of a mapped snapshot (from <see cref="BinaryThreshold"/> slots): the 1-bit codes
/// choose candidates, the 4-bit copy ranks them, int8 re-scores the best, and <see cref="DenseSearch"/> re-scores the
/// last few hundred in half precision.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
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
    /// Binary quantisation with oversampling and re-scoring: the mapped slots' 1-bit codes are scanned (48 bytes a
    /// vector at 384 dimensions, against 384 for int8, so the pass is no longer bound by memory bandwidth), the best
    /// (at least <see cref="Oversampling"/> × <paramref name="rescore"/> a part, 1 in 16 slots at 1M) are ranked by the
    /// 4-bit copy where there is one and the best <see cref="NibbleKeep"/> of them, or else all of them, scored again
    /// from their int8 vectors (read in place from the mapped file: a few thousand random reads), and the best
    /// <paramref name="rescore"/> of those go on to the exact re-scoring from half precision (<see cref="ExactRescore"/>,
    /// shared by the cores after the parts: <see cref="ParallelParts"/>), whose best <paramref name="k"/> are returned.
    /// Slots added since the snapshot have no code and are scored in int8.
    /// </summary>
    List<(int Slot, float Score)> BinaryThenInt8(float[] query, sbyte[] q7, int offset, int rescore, CompiledFilter filter, Action? alongside, int k)
    {
        var bq = BinaryCodes.Prepare(query);
        int mapped = _mappedSlots;
        bool check = filter.Any || _deletedCount > 0;
        int parts = ScanParts(mapped);
        // the same share of every part's slots (2 in CandidateFraction), so that the number of parts does not move recall;
        // the floor (Oversampling × rescore a part) was measured with a part a core, so with more parts it is shared out
        int wanted = (int)(Math.Max((long)rescore * Oversampling * Math.Min(parts, Environment.ProcessorCount), (long)mapped * 2 / CandidateFraction) / parts);
        var partial = new TopK[parts];
        int per = (mapped + parts - 1) / parts;
        var blocks = UseCodeBlocks ? CodeBlocks() : null;
        var tables = blocks?.Tables(bq);
        var nibbles = UseNibbles ? Volatile.Read(ref _nibbles) : null;
        var nq = nibbles?.Prepare(query);
        int nibbleKeep = Math.Max(rescore, NibbleKeep / parts);
        // the merge (with the slots added since the snapshot) and the exact re-scoring, after the parts (ParallelParts)
        var exact = new ExactRescore(this, query, k, () =>
        {
            var approx = new TopK(rescore);
            foreach (var t in partial) approx.AddAll(t);
            for (int slot = mapped; slot < _count; slot++)
                if (!check || Passes(filter, slot)) ScoreInt8(slot, approx);
            return approx;
        });
        ParallelParts(parts, alongside, p =>
        {
            var local = new CandidateBuffer(wanted);
            int from = p * per, to = Math.Min(mapped, from + per);
            bool primed = false;
            if (blocks is not null)
            {
                int perBlocks = (blocks.Blocks + parts - 1) / parts;
                int fb = p * perBlocks, tb = Math.Min(blocks.Blocks, fb + perBlocks);
                if (tb > fb && !filter.Any && PrimeFromSample(blocks, fb, tb, tables!, bq, wanted, local))
                {
                    ScanBlocks(blocks, fb, tb, tables!, bq, check ? filter : null, local);
                    primed = local.Count >= wanted;
                    if (!primed)
                    {
                        // the sample's bound was too high for this part (many deleted chunks above it, or a rare sample): the plain scan
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
            // (1 in 32 or 64 slots are ~12–24 KB apart, a page each) and cost 6 % of the dense leg's CPU.
            // Where the 4-bit copy ranks them and the sample's bound held, the part hands on every item above that bound
            // (a few percent more than wanted, in slot order) instead of selecting exactly the wanted best: the 4-bit
            // estimate of the extra items costs less than the quickselect (BENCHMARKS.md §2.2.4), and reading the rows in
            // slot order is kinder to the hardware prefetcher than the quickselect's order.
            var ids = primed && nibbles is not null && TakeAllAboveBound ? local.Held() : local.Ids();
            CandidateBuffer? finer = null;
            if (nibbles is not null && ids.Length > nibbleKeep)
            {
                // the 4-bit estimate from the heap picks the few thousand that are worth an int8 read of the file
                finer = new CandidateBuffer(nibbleKeep);
                var scores = ArrayPool<float>.Shared.Rent(ids.Length);
                nibbles.ScoreMany(ids, nq!, scores, NibblePrefetchAhead);
                for (int j = 0; j < ids.Length; j++)
                    if (scores[j] > finer.Threshold) finer.Add(ids[j], scores[j]);
                ArrayPool<float>.Shared.Return(scores);
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
        }, exact);
        return exact.Result;

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
        return Math.Min(MaxScanParts, mapped >= SplitPartsFrom ? PartsPerCore * cores : cores);
    }

    /// <summary>Parts a core of the binary pass from 256k mapped slots (<see cref="ScanParts"/>); a field so that a measuring harness can vary it.</summary>
    internal static int PartsPerCore = 2;

    /// <summary>From this many mapped slots the binary pass has <see cref="PartsPerCore"/> parts a core (<see cref="ScanParts"/>); a field so that a measuring harness can vary it.</summary>
    internal static int SplitPartsFrom = 262_144;

    /// <summary>How many candidates ahead the int8 re-scoring prefetches (<see cref="Prefetcher"/>).</summary>
    internal static int PrefetchAhead = 8;

    /// <summary>
    /// How far above the expected rank of a part's wanted-th best candidate in the sample its bound is set, in standard
    /// deviations of that rank (√ of it: the sample's count above a score is close to Poisson). The bound was set where 1.3
    /// times the wanted candidates (plus one block) would exceed it, which let ~1.6 times the wanted items into the buffer at
    /// 1M chunks and ~2.5 times at 100k, each an append and a share of the quickselect (10 % of the dense CPU at 1M). Four
    /// deviations let ~1.22 times in at 1M; three let 1.14 times in but fell short of the wanted count (which costs a second,
    /// unprimed scan of the part) in 1.2 % of the parts, four in 0.2 %, five in none of 4,000 (BENCHMARKS.md §2.2.4).
    /// A field so that a measuring harness can vary it.
    /// </summary>
    internal static double SampleSigmas = 4;

    /// <summary>
    /// On: where the 4-bit copy ranks the candidates and the sample's bound held, every item above the bound goes on (no
    /// quickselect down to the wanted count); off: exactly the wanted best (for measuring, and tests).
    /// </summary>
    internal static bool TakeAllAboveBound = true;

    /// <summary>One block in this many is scored first to estimate where the part's best candidates begin.</summary>
    const int SampleStride = 64;

    /// <summary>
    /// Sets the candidate buffer's starting threshold from a sample of the part (one block in <see cref="SampleStride"/>):
    /// the score that the expected share of the wanted candidates in the sample, plus <see cref="SampleSigmas"/> standard
    /// deviations, exceed, so that the full scan appends only items likely to be kept. Without it the buffer starts empty,
    /// takes every early item and re-selects its thousands of candidates again and again while the threshold climbs (at 1M
    /// chunks the quickselects cost as much CPU as the scan). Returns false, priming nothing, when the sample is too small to say.
    /// </summary>
    internal static bool PrimeFromSample(BinaryCodeBlocks blocks, int fromBlock, int toBlock, byte[] tables, BinaryCodes.Query q, int wanted, CandidateBuffer top)
    {
        int sampled = (toBlock - fromBlock + SampleStride - 1) / SampleStride * BinaryCodeBlocks.BlockCodes;
        int codes = Math.Min(blocks.Count, toBlock * BinaryCodeBlocks.BlockCodes) - fromBlock * BinaryCodeBlocks.BlockCodes;
        double expected = (double)wanted * sampled / Math.Max(1, codes);
        long rank = (long)Math.Ceiling(expected + SampleSigmas * Math.Sqrt(expected)) + 1;
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
        Span<float> scores = stackalloc float[BinaryCodeBlocks.BlockCodes];
        var factor = blocks.Factor;
        var onesTerm = blocks.OnesTerm;
        float low = q.Low, step = q.Step;
        int levelSum = q.LevelSum, count = blocks.Count;
        float threshold = top.Threshold;
        for (int block = fromBlock; block < toBlock; block++)
        {
            blocks.Score(block, tables, weighted);
            int first = block * BinaryCodeBlocks.BlockCodes, n = Math.Min(BinaryCodeBlocks.BlockCodes, count - first);
            // all 64 scores at once and a bit mask of those above the threshold; only those lanes go on, one by one
            ulong above = n == BinaryCodeBlocks.BlockCodes
                ? BlockScores(weighted, onesTerm.AsSpan(first, n), factor.AsSpan(first, n), low, step, levelSum, threshold, scores)
                : 0;
            for (int i = n == BinaryCodeBlocks.BlockCodes ? n : 0; i < n; i++)
            {
                scores[i] = low * onesTerm[first + i] + step * factor[first + i] * (2 * weighted[i] - levelSum);
                if (scores[i] > threshold) above |= 1UL << i;
            }
            while (above != 0)
            {
                int lane = BitOperations.TrailingZeroCount(above);
                above &= above - 1;
                // the threshold rises when the buffer fills and is re-selected, so a lane above the old one is checked again
                if (scores[lane] > threshold && (filter is null || Passes(filter, first + lane)))
                {
                    top.Add(first + lane, scores[lane]);
                    threshold = top.Threshold;
                }
            }
        }
    }

    /// <summary>
    /// The 64 scores of a full block (the same arithmetic, in the same order, as the scalar form and the sample) into
    /// <paramref name="scores"/>; returns the mask of those above <paramref name="threshold"/>.
    /// </summary>
    static ulong BlockScores(ReadOnlySpan<int> weighted, ReadOnlySpan<float> onesTerm, ReadOnlySpan<float> factor, float low, float step, int levelSum, float threshold, Span<float> scores)
    {
        ref int w = ref MemoryMarshal.GetReference(weighted);
        ref float o = ref MemoryMarshal.GetReference(onesTerm);
        ref float f = ref MemoryMarshal.GetReference(factor);
        ref float s = ref MemoryMarshal.GetReference(scores);
        ulong above = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vLow = Vector512.Create(low);
            var vStep = Vector512.Create(step);
            var vSum = Vector512.Create(levelSum);
            var vThreshold = Vector512.Create(threshold);
            for (int i = 0; i < BinaryCodeBlocks.BlockCodes; i += 16)
            {
                var wi = Vector512.LoadUnsafe(ref w, (nuint)i);
                var si = vLow * Vector512.LoadUnsafe(ref o, (nuint)i) + vStep * Vector512.LoadUnsafe(ref f, (nuint)i) * Vector512.ConvertToSingle(wi + wi - vSum);
                si.StoreUnsafe(ref s, (nuint)i);
                above |= Vector512.GreaterThan(si, vThreshold).ExtractMostSignificantBits() << i;
            }
            return above;
        }
        var lowV = Vector256.Create(low);
        var stepV = Vector256.Create(step);
        var sumV = Vector256.Create(levelSum);
        var thresholdV = Vector256.Create(threshold);
        for (int i = 0; i < BinaryCodeBlocks.BlockCodes; i += 8)
        {
            // Vector256 is emulated in software where the hardware has none: still right, only slower
            var wi = Vector256.LoadUnsafe(ref w, (nuint)i);
            var si = lowV * Vector256.LoadUnsafe(ref o, (nuint)i) + stepV * Vector256.LoadUnsafe(ref f, (nuint)i) * Vector256.ConvertToSingle(wi + wi - sumV);
            si.StoreUnsafe(ref s, (nuint)i);
            above |= (ulong)Vector256.GreaterThan(si, thresholdV).ExtractMostSignificantBits() << i;
        }
        return above;
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
}
