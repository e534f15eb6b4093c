using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// One-bit codes for the first, approximate pass of the dense scan (binary quantisation, as Qdrant's): each vector
/// keeps the sign of every component after the corpus mean is subtracted (48 bytes at 384 dimensions, an eighth of
/// the int8 vector), and one float that turns a code's score into an estimate of the dot product.
/// <para>
/// Centring matters for sentence embeddings: MiniLM's components have non-zero means, so the raw signs of most
/// vectors agree in many places and say little. The score is asymmetric, as in RaBitQ: the query is not reduced to
/// signs but kept at 4 bits per component, as four bit planes, so a code is scored with five popcounts per 64
/// components (System.Numerics.BitOperations; .NET has no x86 vector popcount). The estimate of ⟨x − c, q⟩ is
/// ‖x − c‖² / ‖x − c‖₁ × Σ sign(x − c)ⱼ qⱼ (RaBitQ's unbiased form without its random rotation); ⟨c, q⟩ is the same
/// for every vector and left out, which the ranking does not need.
/// </para>
/// </summary>
internal static class BinaryCodes
{
    /// <summary>Bits of the query per component: four planes.</summary>
    const int QueryBits = 4;

    public static int WordsFor(int dim) => (dim + 63) >> 6;

    /// <summary>Writes the signs of <paramref name="v"/> − <paramref name="center"/> into <paramref name="code"/>; returns the code's factor.</summary>
    public static float Encode(ReadOnlySpan<float> v, ReadOnlySpan<float> center, Span<ulong> code)
    {
        code.Clear();
        float l1 = 0, l2 = 0;
        for (int i = 0; i < v.Length; i++)
        {
            float d = v[i] - center[i];
            l1 += MathF.Abs(d);
            l2 += d * d;
            if (d > 0) code[i >> 6] |= 1UL << (i & 63);
        }
        return l1 > 0 ? l2 / l1 : 0;
    }

    /// <summary>A query prepared for scoring codes: its 4-bit levels as bit planes, interleaved per 64-bit word.</summary>
    public sealed class Query
    {
        public required ulong[] Planes { get; init; }
        public required float Low { get; init; }
        public required float Step { get; init; }
        /// <summary>Σ of the 4-bit levels.</summary>
        public required int LevelSum { get; init; }
        public required int Dimensions { get; init; }
        /// <summary>The 4-bit level of each component (what the planes hold), for the lookup tables of <see cref="BinaryCodeBlocks"/>.</summary>
        public required byte[] Levels { get; init; }

        public int Level(int i) => Levels[i];
    }

    public static Query Prepare(ReadOnlySpan<float> q)
    {
        int words = WordsFor(q.Length);
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var x in q)
        {
            lo = MathF.Min(lo, x);
            hi = MathF.Max(hi, x);
        }
        const int levels = (1 << QueryBits) - 1;
        float step = hi > lo ? (hi - lo) / levels : 0;
        var planes = new ulong[words * QueryBits];
        var levelOf = new byte[q.Length];
        int sum = 0;
        for (int i = 0; i < q.Length; i++)
        {
            int u = step > 0 ? Math.Clamp((int)MathF.Round((q[i] - lo) / step), 0, levels) : 0;
            sum += u;
            levelOf[i] = (byte)u;
            for (int b = 0; b < QueryBits; b++)
                if ((u >> b & 1) != 0) planes[(i >> 6) * QueryBits + b] |= 1UL << (i & 63);
        }
        return new Query { Planes = planes, Low = lo, Step = step, LevelSum = sum, Dimensions = q.Length, Levels = levelOf };
    }

    /// <summary>
    /// Σ sign(x − c)ⱼ qⱼ for one code, up to the query's quantisation: with qⱼ ≈ low + step·uⱼ and sⱼ = ±1,
    /// Σ sⱼqⱼ = low·(2·popcount(code) − D) + step·(2·Σᵦ 2ᵇ·popcount(code ∧ planeᵦ) − Σ uⱼ).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Score(ReadOnlySpan<ulong> code, Query q)
    {
        ref ulong planes = ref MemoryMarshal.GetArrayDataReference(q.Planes);
        int ones = 0, weighted = 0;
        for (int w = 0; w < code.Length; w++)
        {
            ulong c = code[w];
            ref ulong p = ref Unsafe.Add(ref planes, w * QueryBits);
            ones += BitOperations.PopCount(c);
            weighted += BitOperations.PopCount(c & p)
                + (BitOperations.PopCount(c & Unsafe.Add(ref p, 1)) << 1)
                + (BitOperations.PopCount(c & Unsafe.Add(ref p, 2)) << 2)
                + (BitOperations.PopCount(c & Unsafe.Add(ref p, 3)) << 3);
        }
        return q.Low * (2 * ones - q.Dimensions) + q.Step * (2 * weighted - q.LevelSum);
    }
}

/// <summary>
/// Keeps the best <c>k</c> of a stream where k is large (the binary pass's thousands of candidates): items above the
/// threshold are appended to a buffer of 2k, and when it fills, a quickselect keeps the best k and raises the threshold.
/// A heap (<see cref="TopK"/>) pays log k on each of the k·(1 + ln(n/k)) insertions of a scan; measured at 100k chunks,
/// that made 4,000 candidates cost 3 ms of CPU more than 250, where the buffer's appends cost a few nanoseconds each.
/// </summary>
internal sealed class CandidateBuffer(int k) : IDisposable
{
    readonly int _k = Math.Max(1, k);
    readonly int _capacity = 2 * Math.Max(1, k);
    // pooled: at 1M chunks each part of a search holds 2 × 31,300 candidates (0.5 MB), which as new arrays would be
    // large-object-heap allocations on every search; Dispose returns them
    int[] _ids = System.Buffers.ArrayPool<int>.Shared.Rent(2 * Math.Max(1, k));
    float[] _scores = System.Buffers.ArrayPool<float>.Shared.Rent(2 * Math.Max(1, k));
    int _count;

    public void Dispose()
    {
        if (_ids.Length == 0) return;
        System.Buffers.ArrayPool<int>.Shared.Return(_ids);
        System.Buffers.ArrayPool<float>.Shared.Return(_scores);
        _ids = [];
        _scores = [];
        _count = 0;
    }

    /// <summary>Scores at or below this cannot be among the best k.</summary>
    public float Threshold { get; private set; } = float.NegativeInfinity;

    /// <summary>Items held (at most 2k).</summary>
    public int Count => _count;

    /// <summary>
    /// Starts the threshold at <paramref name="lowerBound"/>, a score the caller expects at least k items of the stream
    /// to exceed (from a sample): items below it are then never appended, which saves most of the appends and
    /// quickselects of the scan's first part. When fewer than k items do exceed it, the buffer ends with fewer
    /// (<see cref="Count"/> tells; the caller scans again without it).
    /// </summary>
    public void Prime(float lowerBound)
    {
        if (_count == 0) Threshold = lowerBound;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int id, float score)
    {
        if (_count == _capacity) Shrink();
        _ids[_count] = id;
        _scores[_count++] = score;
    }

    /// <summary>The ids of the best k (fewer when fewer were added), in no order.</summary>
    public ReadOnlySpan<int> Ids()
    {
        if (_count > _k) Shrink();
        return _ids.AsSpan(0, _count);
    }

    /// <summary>
    /// Every item held, in the order added (no selection): between k and 2k items once a primed stream reached k, all above
    /// <see cref="Threshold"/>; fewer only when fewer were added.
    /// </summary>
    public ReadOnlySpan<int> Held() => _ids.AsSpan(0, _count);

    /// <summary>Moves the best k to the front (quickselect, Hoare partition around a middle pivot) and drops the rest.</summary>
    void Shrink()
    {
        int lo = 0, hi = _count - 1, want = _k - 1; // position of the k-th best in descending order
        while (lo < hi)
        {
            float pivot = _scores[lo + ((hi - lo) >> 1)];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (_scores[i] > pivot) i++;
                while (_scores[j] < pivot) j--;
                if (i <= j)
                {
                    (_scores[i], _scores[j]) = (_scores[j], _scores[i]);
                    (_ids[i], _ids[j]) = (_ids[j], _ids[i]);
                    i++;
                    j--;
                }
            }
            if (want <= j) hi = j;
            else if (want >= i) lo = i;
            else break;
        }
        _count = _k;
        float min = float.PositiveInfinity;
        for (int i = 0; i < _k; i++) min = MathF.Min(min, _scores[i]);
        Threshold = min;
    }
}
