using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NewsBot.Sqlite;

/// <summary>
/// A 4-bit copy of the mapped vectors, held in the heap, for a second, finer estimate between the 1-bit codes and the
/// int8 re-scoring (BENCHMARKS.md §2.2.2). At 1M chunks the binary pass must hand on 1 in 32 chunks (62,500) for
/// recall@10 ≥ 0.99, because a 1-bit code mis-orders whole groups of near-identical vectors; re-scoring all of them from
/// the mapped int8 vectors was the largest part of the dense leg (random 384-byte reads of the file, each a cache and a
/// TLB miss). These codes rank those candidates nearly as int8 does from 192 bytes of heap each, so only the best few
/// thousand are read in int8.
/// <para>
/// Each vector is stored as (x − c)ⱼ / σⱼ, c the codes' centre and σⱼ each component's spread around it (so that the
/// few MiniLM components of large spread do not set every vector's step), on 15 levels (−7…7) with one scale per vector
/// (its largest |value| / 7). Layout: <see cref="RowBytes"/> bytes a vector; byte i holds component i in its low nibble
/// and component i + <see cref="RowBytes"/> in its high nibble, so that the kernel splits one load into two halves of
/// the query without shuffling. Estimate of ⟨x − c, q⟩ up to one positive factor per query: scaleₓ × Σ uⱼ·(σⱼqⱼ), the
/// query quantised to int8; the ranking of candidates is all it is for (int8 and half precision score the survivors).
/// </para>
/// </summary>
internal sealed unsafe class NibbleVectors : IDisposable
{
    /// <summary>The largest level either side of zero (stored with 8 added: 1…15).</summary>
    const int Levels = 7;

    public int Count { get; }

    public int Dimensions { get; }

    /// <summary>Bytes a vector: half the dimensions rounded up to a multiple of 64 (one 512-bit load).</summary>
    public int RowBytes { get; }

    // the packed levels, RowBytes a vector, in native memory on 2 MB pages where the kernel gives them (see HugePages)
    byte* _data;
    readonly long _bytes;

    /// <summary>Each vector's scale.</summary>
    public float[] Scale { get; }

    /// <summary>The spread of each component around the centre (what the levels are divided by).</summary>
    public float[] Spread { get; }

    NibbleVectors(int count, int dimensions, float[] spread)
    {
        Count = count;
        Dimensions = dimensions;
        RowBytes = (dimensions + 127) / 128 * 64;
        _bytes = Math.Max(1, (long)count * RowBytes);
        _data = HugePages.Allocate(_bytes);
        Scale = new float[count];
        Spread = spread;
    }

    public static int RowBytesFor(int dimensions) => (dimensions + 127) / 128 * 64;

    /// <summary>
    /// Builds the codes of <paramref name="count"/> int8 vectors (offset binary, <see cref="Int8Kernels.QuantizeStored"/>),
    /// read a block at a time by <paramref name="readInt8"/> (first slot, destination): the caller reads them from the
    /// snapshot file rather than through the mapping, which would leave the whole int8 section resident.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per snapshot: straight to optimised code
    public static NibbleVectors Build(int count, int dimensions, ReadOnlySpan<float> scales, ReadOnlySpan<float> center, Action<int, byte[]> readInt8, CancellationToken ct = default)
    {
        const int blockSlots = 4096;
        var buffer = new byte[blockSlots * dimensions];
        // pass 1: each component's spread around the centre, from an even sample of at most 64k vectors
        var sumSq = new double[dimensions];
        int stride = Math.Max(1, count / 65_536), sampled = 0;
        var one = new byte[dimensions];
        for (int slot = 0; slot < count; slot += stride)
        {
            if ((sampled & 4095) == 0) ct.ThrowIfCancellationRequested();
            readInt8(slot, one);
            for (int j = 0; j < dimensions; j++)
            {
                double d = (one[j] - 128) * scales[slot] - center[j];
                sumSq[j] += d * d;
            }
            sampled++;
        }
        var spread = new float[dimensions];
        double floor = 0;
        for (int j = 0; j < dimensions; j++) floor = Math.Max(floor, Math.Sqrt(sumSq[j] / Math.Max(1, sampled)));
        // a component that never moves would divide by zero; one millionth of the largest spread keeps it at level 0
        for (int j = 0; j < dimensions; j++) spread[j] = (float)Math.Max(Math.Sqrt(sumSq[j] / Math.Max(1, sampled)), floor * 1e-6 + 1e-30);

        var v = new NibbleVectors(count, dimensions, spread);
        try
        {
            var w = new float[dimensions];
            var inverse = new float[dimensions];
            for (int j = 0; j < dimensions; j++) inverse[j] = 1 / spread[j];
            for (int first = 0; first < count; first += blockSlots)
            {
                // a process that ends soon after its first search (a cold `ask`) releases the index without waiting for this
                ct.ThrowIfCancellationRequested();
                int n = Math.Min(blockSlots, count - first);
                var block = n == blockSlots ? buffer : new byte[n * dimensions];
                readInt8(first, block);
                for (int i = 0; i < n; i++)
                    v.Scale[first + i] = Encode(block.AsSpan(i * dimensions, dimensions), scales[first + i], center, inverse, w, new Span<byte>(v._data + (long)(first + i) * v.RowBytes, v.RowBytes));
            }
            return v;
        }
        catch
        {
            v.Dispose();
            throw;
        }
    }

    /// <summary>One vector's levels into <paramref name="row"/>; returns its scale.</summary>
    internal static float Encode(ReadOnlySpan<byte> int8, float scale, ReadOnlySpan<float> center, ReadOnlySpan<float> inverseSpread, Span<float> w, Span<byte> row)
    {
        float max = 0;
        for (int j = 0; j < int8.Length; j++)
        {
            w[j] = ((int8[j] - 128) * scale - center[j]) * inverseSpread[j];
            max = MathF.Max(max, MathF.Abs(w[j]));
        }
        row.Fill(0x88); // level 0 everywhere, the padding included
        if (max == 0) return 0;
        float inv = Levels / max;
        int half = row.Length;
        for (int j = 0; j < int8.Length; j++)
        {
            int u = Math.Clamp((int)MathF.Round(w[j] * inv), -Levels, Levels) + 8;
            ref byte b = ref row[j < half ? j : j - half];
            b = j < half ? (byte)((b & 0xF0) | u) : (byte)((b & 0x0F) | (u << 4));
        }
        return max / Levels;
    }

    /// <summary>A query prepared for <see cref="Score"/>: σⱼqⱼ in int8 (low and high halves of the rows), and 8 × Σ of it.</summary>
    public sealed class Query(sbyte[] low, sbyte[] high, int offset)
    {
        public sbyte[] Low { get; } = low;
        public sbyte[] High { get; } = high;
        public int Offset { get; } = offset;
    }

    public Query Prepare(ReadOnlySpan<float> q)
    {
        var weighted = new float[Dimensions];
        float max = 0;
        for (int j = 0; j < Dimensions; j++)
        {
            weighted[j] = q[j] * Spread[j];
            max = MathF.Max(max, MathF.Abs(weighted[j]));
        }
        var low = new sbyte[RowBytes];
        var high = new sbyte[RowBytes];
        int sum = 0;
        for (int j = 0; j < Dimensions && max > 0; j++)
        {
            int x = Math.Clamp((int)MathF.Round(weighted[j] * 127 / max), -127, 127);
            if (j < RowBytes) low[j] = (sbyte)x;
            else high[j - RowBytes] = (sbyte)x;
            sum += x;
        }
        return new Query(low, high, 8 * sum);
    }

    /// <summary>The estimate of vector <paramref name="slot"/> (comparable between vectors for one query).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Score(int slot, Query q) => Scale[slot] * Dot(Row(slot), q.Low, q.High, q.Offset);

    /// <summary>
    /// The estimates of the vectors <paramref name="slots"/> into <paramref name="scores"/> (each what <see cref="Score"/>
    /// gives), the rows <paramref name="prefetchAhead"/> slots ahead prefetched. One loop over tens of thousands of rows a
    /// query at 1M chunks: per row it does the three 64-byte loads of a 384-dimension row against the query held in
    /// registers, without the per-call checks, span slicing and empty scalar tail of <see cref="Score"/>.
    /// </summary>
    public void ScoreMany(ReadOnlySpan<int> slots, Query q, Span<float> scores, int prefetchAhead)
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        if (scores.Length < slots.Length) throw new ArgumentException("fewer scores than slots", nameof(scores));
        if (!Avx512BW.IsSupported || RowBytes != 192)
        {
            for (int j = 0; j < slots.Length; j++)
            {
                if (j + prefetchAhead < slots.Length) Prefetcher.Lines(Row(slots[j + prefetchAhead]));
                scores[j] = Score(slots[j], q);
            }
            return;
        }
        var mask = Vector512.Create((byte)0x0F);
        var ones = Vector512.Create((short)1);
        var l0 = Vector512.Create<sbyte>(q.Low.AsSpan(0, 64));
        var l1 = Vector512.Create<sbyte>(q.Low.AsSpan(64, 64));
        var l2 = Vector512.Create<sbyte>(q.Low.AsSpan(128, 64));
        var h0 = Vector512.Create<sbyte>(q.High.AsSpan(0, 64));
        var h1 = Vector512.Create<sbyte>(q.High.AsSpan(64, 64));
        var h2 = Vector512.Create<sbyte>(q.High.AsSpan(128, 64));
        var scale = Scale;
        int offset = q.Offset, ahead = Math.Max(0, prefetchAhead);
        for (int j = 0; j < slots.Length; j++)
        {
            if (j + ahead < slots.Length)
            {
                byte* next = _data + (long)slots[j + ahead] * 192;
                Sse.Prefetch0(next);
                Sse.Prefetch0(next + 64);
                Sse.Prefetch0(next + 128);
            }
            int slot = slots[j];
            byte* r = _data + (long)slot * 192;
            var acc = Pair(Vector512.Load(r), l0, h0, mask) + Pair(Vector512.Load(r + 64), l1, h1, mask) + Pair(Vector512.Load(r + 128), l2, h2, mask);
            scores[j] = scale[slot] * (Vector512.Sum(Avx512BW.MultiplyAddAdjacent(acc, ones)) - offset);
        }

        // both nibbles of 64 bytes against their halves of the query, adjacent pairs summed (≤ 7,620 each, three ≤ 22,860)
        static Vector512<short> Pair(Vector512<byte> v, Vector512<sbyte> low, Vector512<sbyte> high, Vector512<byte> mask)
            => Avx512BW.MultiplyAddAdjacent(v & mask, low) + Avx512BW.MultiplyAddAdjacent(Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask, high);
    }

    /// <summary>The row of vector <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Row(int slot)
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        return new ReadOnlySpan<byte>(_data + (long)slot * RowBytes, RowBytes);
    }

    /// <summary>Frees the levels; the owner calls it when no search can be reading them (the index's Dispose).</summary>
    public void Dispose()
    {
        if (_data is null) return;
        HugePages.Free(_data, _bytes);
        _data = null;
    }

    /// <summary>Σ uⱼ·qⱼ over both nibbles of every byte, minus <paramref name="offset"/> (8 × Σ q: the levels' +8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> low, ReadOnlySpan<sbyte> high, int offset)
    {
        if (Avx512BW.IsSupported) return Dot512(row, low, high) - offset;
        if (Avx2.IsSupported) return Dot256(row, low, high) - offset;
        return DotScalar(row, low, high, 0) - offset;
    }

    internal static int Dot512(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> low, ReadOnlySpan<sbyte> high)
    {
        int n = row.Length, i = 0;
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref sbyte pl = ref MemoryMarshal.GetReference(low);
        ref sbyte ph = ref MemoryMarshal.GetReference(high);
        var mask = Vector512.Create((byte)0x0F);
        var ones = Vector512.Create((short)1);
        var acc = Vector512<int>.Zero;
        for (; i <= n - 64; i += 64)
        {
            var v = Vector512.LoadUnsafe(ref r, (nuint)i);
            var lo = v & mask;
            var hi = Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;
            // unsigned levels (≤ 15) × signed query bytes (≤ 127), adjacent pairs summed: ≤ 3,810 each, both ≤ 7,620
            var pairs = Avx512BW.MultiplyAddAdjacent(lo, Vector512.LoadUnsafe(ref pl, (nuint)i))
                + Avx512BW.MultiplyAddAdjacent(hi, Vector512.LoadUnsafe(ref ph, (nuint)i));
            acc += Avx512BW.MultiplyAddAdjacent(pairs, ones);
        }
        return DotScalar(row[i..], low[i..], high[i..], Vector512.Sum(acc));
    }

    internal static int Dot256(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> low, ReadOnlySpan<sbyte> high)
    {
        int n = row.Length, i = 0;
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref sbyte pl = ref MemoryMarshal.GetReference(low);
        ref sbyte ph = ref MemoryMarshal.GetReference(high);
        var mask = Vector256.Create((byte)0x0F);
        var ones = Vector256.Create((short)1);
        var acc = Vector256<int>.Zero;
        for (; i <= n - 32; i += 32)
        {
            var v = Vector256.LoadUnsafe(ref r, (nuint)i);
            var lo = v & mask;
            var hi = Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & mask;
            var pairs = Avx2.MultiplyAddAdjacent(lo, Vector256.LoadUnsafe(ref pl, (nuint)i))
                + Avx2.MultiplyAddAdjacent(hi, Vector256.LoadUnsafe(ref ph, (nuint)i));
            acc += Avx2.MultiplyAddAdjacent(pairs, ones);
        }
        return DotScalar(row[i..], low[i..], high[i..], Vector256.Sum(acc));
    }

    /// <summary>The same sum one byte at a time, added to <paramref name="sum"/>: the tail, hardware without Avx2, and the tests' reference.</summary>
    internal static int DotScalar(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> low, ReadOnlySpan<sbyte> high, int sum)
    {
        for (int i = 0; i < row.Length; i++) sum += (row[i] & 15) * low[i] + (row[i] >> 4) * high[i];
        return sum;
    }
}
