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

    /// <summary>Quantises a query and widens it to int16 for the multiply-add kernels.</summary>
    public static float QuantizeQuery(ReadOnlySpan<float> v, Span<short> dest)
    {
        Span<sbyte> tmp = v.Length <= 2048 ? stackalloc sbyte[v.Length] : new sbyte[v.Length];
        var scale = Quantize(v, tmp);
        for (int i = 0; i < v.Length; i++) dest[i] = tmp[i];
        return scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<short> q)
    {
        int n = q.Length;
        ref sbyte pa = ref MemoryMarshal.GetReference(a);
        ref short pq = ref MemoryMarshal.GetReference(q);
        int i = 0;
        int sum = 0;
        if (Avx512BW.IsSupported && n >= 32)
        {
            var acc = Vector512<int>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var a8 = Vector256.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref pa, i))).AsSByte();
                var a16 = Avx512BW.ConvertToVector512Int16(a8);
                var q16 = Vector512.LoadUnsafe(ref Unsafe.Add(ref pq, i));
                acc = Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(a16, q16));
            }
            sum = Vector512.Sum(acc);
        }
        else if (Avx2.IsSupported && n >= 16)
        {
            var acc = Vector256<int>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var a8 = Vector128.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref pa, i))).AsSByte();
                var a16 = Avx2.ConvertToVector256Int16(a8);
                var q16 = Vector256.LoadUnsafe(ref Unsafe.Add(ref pq, i));
                acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(a16, q16));
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pq, i);
        return sum;
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
