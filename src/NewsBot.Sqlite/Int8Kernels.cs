using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NewsBot.Sqlite;

/// <summary>
/// Int8 vector arithmetic for the exact dense scan: vectors are quantised with one scale per vector
/// (max |x| / 127), the query is kept widened to int16, and dot products accumulate in int32
/// (AVX-512BW or AVX2 multiply-add of adjacent pairs; a portable loop elsewhere).
/// </summary>
internal static class Int8Kernels
{
    /// <summary>Quantises <paramref name="v"/> into <paramref name="dest"/>; returns the scale (value = q × scale).</summary>
    public static float Quantize(ReadOnlySpan<float> v, Span<sbyte> dest)
    {
        // MaxMagnitude returns the signed element with the largest magnitude: take its absolute value.
        float maxAbs = MathF.Abs(TensorPrimitives.MaxMagnitude(v));
        if (maxAbs == 0 || float.IsNaN(maxAbs))
        {
            dest.Clear();
            return 0;
        }
        float inv = 127f / maxAbs;
        for (int i = 0; i < v.Length; i++)
        {
            var q = (int)MathF.Round(v[i] * inv);
            dest[i] = (sbyte)Math.Clamp(q, -127, 127);
        }
        return maxAbs / 127f;
    }

    /// <summary>
    /// Stores a quantised vector in offset binary (x + 128, a byte): the scan then multiplies unsigned data bytes
    /// by signed query bytes directly, without widening either side.
    /// </summary>
    public static float QuantizeStored(ReadOnlySpan<float> v, Span<byte> dest)
    {
        var signed = MemoryMarshal.Cast<byte, sbyte>(dest);
        var scale = Quantize(v, signed);
        for (int i = 0; i < dest.Length; i++) dest[i] ^= 0x80;
        return scale;
    }

    /// <summary>
    /// Quantises a query to 7 bits (−63…63), so that two products of a data byte (≤ 255) and a query byte summed
    /// stay inside int16; returns the scale and, in <paramref name="offset"/>, 128 × Σ q that removes the data offset.
    /// </summary>
    public static float QuantizeQuery(ReadOnlySpan<float> v, Span<sbyte> dest, out int offset)
    {
        offset = 0;
        float maxAbs = MathF.Abs(TensorPrimitives.MaxMagnitude(v));
        if (maxAbs == 0 || float.IsNaN(maxAbs))
        {
            dest.Clear();
            return 0;
        }
        float inv = 63f / maxAbs;
        int sum = 0;
        for (int i = 0; i < v.Length; i++)
        {
            int q = Math.Clamp((int)MathF.Round(v[i] * inv), -63, 63);
            dest[i] = (sbyte)q;
            sum += q;
        }
        offset = 128 * sum;
        return maxAbs / 63f;
    }

    /// <summary>Σ x·q for a stored (offset-binary) vector and a 7-bit query: Σ (x + 128)·q − offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<byte> stored, ReadOnlySpan<sbyte> q, int offset)
    {
        int n = q.Length;
        ref byte pa = ref MemoryMarshal.GetReference(stored);
        ref sbyte pq = ref MemoryMarshal.GetReference(q);
        int i = 0;
        int sum = 0;
        if (Avx512BW.IsSupported && n >= 64)
        {
            var ones = Vector512.Create((short)1);
            var acc0 = Vector512<int>.Zero;
            var acc1 = Vector512<int>.Zero;
            for (; i <= n - 128; i += 128)
            {
                acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pq, (nuint)i)), ones);
                acc1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref pa, (nuint)(i + 64)), Vector512.LoadUnsafe(ref pq, (nuint)(i + 64))), ones);
            }
            for (; i <= n - 64; i += 64)
                acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pq, (nuint)i)), ones);
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Avx2.IsSupported && n >= 32)
        {
            var ones = Vector256.Create((short)1);
            var acc = Vector256<int>.Zero;
            for (; i <= n - 32; i += 32)
                acc += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pq, (nuint)i)), ones);
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pq, i);
        return sum - offset;
    }
    /// <summary>
    /// Σ x·q in float for a stored (offset-binary) vector and the float query: the int8 vector's dot product without the
    /// query's 7-bit rounding, for the bound of the exact re-scoring (<c>InMemoryHybridIndex.RescoreBound</c>). Every
    /// x − 128 and its product are exact in float up to one rounding each; the sum's error is within n·2⁻²⁴·Σ|x·q|.
    /// </summary>
    public static unsafe float DotFloat(ReadOnlySpan<byte> stored, ReadOnlySpan<float> q)
    {
        int n = q.Length, i = 0;
        float sum = 0;
        fixed (byte* pb = stored)
        fixed (float* pq = q)
        {
            if (Avx2.IsSupported && Fma.IsSupported && n >= 16)
            {
                var bias = Vector256.Create(128);
                var acc0 = Vector256<float>.Zero;
                var acc1 = Vector256<float>.Zero;
                for (; i <= n - 16; i += 16)
                {
                    var x0 = Avx.ConvertToVector256Single(Avx2.Subtract(Avx2.ConvertToVector256Int32(pb + i), bias));
                    var x1 = Avx.ConvertToVector256Single(Avx2.Subtract(Avx2.ConvertToVector256Int32(pb + i + 8), bias));
                    acc0 = Fma.MultiplyAdd(x0, Avx.LoadVector256(pq + i), acc0);
                    acc1 = Fma.MultiplyAdd(x1, Avx.LoadVector256(pq + i + 8), acc1);
                }
                sum = Vector256.Sum(acc0 + acc1);
            }
            for (; i < n; i++) sum += (pb[i] - 128) * pq[i];
        }
        return sum;
    }
}

/// <summary>Software prefetch of vectors a loop will read soon.</summary>
internal static class Prefetcher
{
    /// <summary>
    /// Asks the cache for every 64-byte line of <paramref name="data"/> (x86 <c>prefetcht0</c>; nothing elsewhere). For
    /// reads the hardware prefetcher cannot predict: the int8 re-scoring of the binary pass's candidates reads 384 bytes at
    /// scattered places of the mapped file, each a cache and TLB miss; prefetching a few candidates ahead overlaps them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Lines(ReadOnlySpan<byte> data)
    {
        if (!Sse.IsSupported || data.IsEmpty) return;
        byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(data));
        for (int i = 0; i < data.Length; i += 64) Sse.Prefetch0(p + i);
        Sse.Prefetch0(p + data.Length - 1);
    }
}

/// <summary>A bounded min-heap keeping the k best (highest-scoring) items.</summary>
internal sealed class TopK(int k)
{
    readonly int[] _ids = new int[Math.Max(1, k)];
    readonly float[] _scores = new float[Math.Max(1, k)];
    int _count;

    public int Count => _count;

    /// <summary>The lowest score kept once full (anything lower is rejected), else −∞.</summary>
    public float Threshold => _count < _ids.Length ? float.NegativeInfinity : _scores[0];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int id, float score)
    {
        if (_count < _ids.Length)
        {
            int i = _count++;
            _ids[i] = id;
            _scores[i] = score;
            SiftUp(i);
        }
        else if (score > _scores[0])
        {
            _ids[0] = id;
            _scores[0] = score;
            SiftDown(0);
        }
    }

    public void AddAll(TopK other)
    {
        for (int i = 0; i < other._count; i++) Add(other._ids[i], other._scores[i]);
    }

    /// <summary>The items kept, in no order.</summary>
    public IEnumerable<(int Id, float Score)> Items()
    {
        for (int i = 0; i < _count; i++) yield return (_ids[i], _scores[i]);
    }

    /// <summary>Items best first.</summary>
    public List<(int Id, float Score)> ToSortedList()
    {
        var list = new List<(int, float)>(_count);
        for (int i = 0; i < _count; i++) list.Add((_ids[i], _scores[i]));
        list.Sort((a, b) => b.Item2.CompareTo(a.Item2) is var c && c != 0 ? c : a.Item1.CompareTo(b.Item1));
        return list;
    }

    void SiftUp(int i)
    {
        while (i > 0)
        {
            int p = (i - 1) >> 1;
            if (_scores[p] <= _scores[i]) break;
            Swap(i, p);
            i = p;
        }
    }

    void SiftDown(int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < _count && _scores[l] < _scores[m]) m = l;
            if (r < _count && _scores[r] < _scores[m]) m = r;
            if (m == i) break;
            Swap(i, m);
            i = m;
        }
    }

    void Swap(int a, int b)
    {
        (_ids[a], _ids[b]) = (_ids[b], _ids[a]);
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
    }
}
