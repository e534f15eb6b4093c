using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NewsBot.Sqlite;

/// <summary>
/// The 1-bit codes of the mapped slots copied into blocks of 64 codes, byte-transposed ("fast scan", as FAISS's
/// PQ fast scan and RaBitQ use it), so that one vector register holds the same code byte of 64 vectors and the query
/// side becomes a table lookup: for every 4 components (a nibble of a code) a 16-entry table of Σ qⱼ over the set
/// bits, looked up for 64 codes at once with one byte shuffle (Avx512BW/Avx2 <c>Shuffle</c>, <c>vpshufb</c>).
/// <para>
/// Why not the codes in place: scored one code at a time (<see cref="BinaryCodes.Score"/>) a 384-dimension code
/// costs 30 scalar popcounts and the AND/shift/add around them; measured on the bench's 1M index that scan took
/// ~19 ms of CPU per query, the largest part of the dense leg. .NET exposes no vector popcount (VPOPCNTQ) to do it in
/// place, and the snapshot's row layout is owned by the snapshot format; this copy costs 48 bytes a chunk of native
/// memory (plus 8 of heap for the per-code terms), built once per mapped snapshot in the background after its first search (which,
/// like the searches until the copy is done, scores the codes in place), and gives exactly the same integer score
/// (Σ over set bits of the query's 4-bit levels), so the ranking, and the recall, do not change.
/// </para>
/// Layout: block k holds codes 64k…64k+63; its byte b·64 + 2i is byte b of code 64k+i and byte b·64 + 2i + 1 that of
/// code 64k+32+i (i &lt; 32): read as 16-bit lanes, the low bytes are the first 32 codes and the high bytes the next 32,
/// which lets the kernel sum 8-bit lookups into 16-bit lanes without unpacking.
/// </summary>
internal sealed unsafe class BinaryCodeBlocks : IDisposable
{
    public const int BlockCodes = 64;

    /// <summary>Bytes of one code (the whole 64-bit words of <see cref="BinaryCodes"/>).</summary>
    public int CodeBytes { get; }

    public int Count { get; }

    public int Blocks => (Count + BlockCodes - 1) / BlockCodes;

    // the transposed codes, CodeBytes × 64 bytes a block, in native memory on 2 MB pages where the kernel gives them
    // (HugePages): every search streams all of them (48 MB at 1M chunks), and on 4 KB pages the hardware prefetcher
    // stops at every page boundary and each page costs a TLB miss (BENCHMARKS.md §2.2.4)
    byte* _data;
    readonly long _bytes;

    /// <summary>Off: the blocks are on ordinary pages (for measuring).</summary>
    internal static bool OnHugePages = true;

    /// <summary>The transposed codes of block <paramref name="block"/>, <see cref="CodeBytes"/> × 64 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Block(int block)
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        return new ReadOnlySpan<byte>(_data + (long)block * BlockCodes * CodeBytes, BlockCodes * CodeBytes);
    }

    /// <summary>Frees the blocks; the owner calls it when no search can be reading them (the index's Dispose).</summary>
    public void Dispose()
    {
        if (_data is null) return;
        if (OnHugePages) HugePages.Free(_data, _bytes);
        else NativeMemory.Free(_data);
        _data = null;
    }

    /// <summary>Each code's factor (‖x − c‖² / ‖x − c‖₁), copied from the snapshot.</summary>
    public float[] Factor { get; }

    /// <summary>factor × (2 · popcount(code) − D): the part of the score that the query's low end multiplies.</summary>
    public float[] OnesTerm { get; }

    BinaryCodeBlocks(int count, int codeBytes)
    {
        Count = count;
        CodeBytes = codeBytes;
        Factor = new float[count];
        OnesTerm = new float[count];
        _bytes = Math.Max(1, (long)Blocks * BlockCodes * codeBytes);
        _data = OnHugePages ? HugePages.Allocate(_bytes) : (byte*)NativeMemory.Alloc((nuint)_bytes);
        NativeMemory.Clear(_data, (nuint)_bytes); // the padding of a last partial block scores as zero bits
    }

    /// <summary>Copies <paramref name="count"/> codes of <paramref name="words"/> 64-bit words each, and their factors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per snapshot: straight to optimised code
    public static BinaryCodeBlocks Build(ReadOnlySpan<ulong> codes, ReadOnlySpan<float> factors, int count, int words, int dimensions)
    {
        var b = new BinaryCodeBlocks(count, words * 8);
        try
        {
            var bytes = MemoryMarshal.AsBytes(codes);
            int cb = b.CodeBytes;
            for (int i = 0; i < count; i++)
            {
                var code = bytes.Slice(i * cb, cb);
                int block = i / BlockCodes, lane = i % BlockCodes;
                int column = lane < 32 ? 2 * lane : 2 * (lane - 32) + 1;
                long baseAt = (long)block * BlockCodes * cb + column;
                for (int j = 0; j < cb; j++) b._data[baseAt + (long)j * BlockCodes] = code[j];
                int ones = 0;
                foreach (var w in codes.Slice(i * words, words)) ones += BitOperations.PopCount(w);
                b.Factor[i] = factors[i];
                b.OnesTerm[i] = factors[i] * (2 * ones - dimensions);
            }
            return b;
        }
        catch
        {
            b.Dispose(); // the native memory is not the collector's to reclaim
            throw;
        }
    }

    /// <summary>
    /// The query's lookup tables: for every nibble of a code (4 components) its 16 sums of the query's 4-bit levels,
    /// each table repeated in the four 16-byte lanes that a 512-bit shuffle looks up in (64 bytes a nibble).
    /// </summary>
    public byte[] Tables(BinaryCodes.Query q)
    {
        int nibbles = CodeBytes * 2;
        var levels = new byte[nibbles * 4];
        for (int i = 0; i < q.Dimensions; i++) levels[i] = (byte)q.Level(i);
        var t = new byte[nibbles * 64];
        for (int g = 0; g < nibbles; g++)
            for (int n = 0; n < 16; n++)
            {
                int sum = 0;
                for (int k = 0; k < 4; k++) if ((n >> k & 1) != 0) sum += levels[g * 4 + k];
                for (int lane = 0; lane < 4; lane++) t[g * 64 + lane * 16 + n] = (byte)sum;
            }
        return t;
    }

    /// <summary>Σ over the set bits of each code of block <paramref name="block"/> of the query's levels, into <paramref name="weighted"/> (64 entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Score(int block, byte[] tables, Span<int> weighted)
    {
        var data = Block(block);
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported) Score512(data, tables, CodeBytes, weighted);
        else if (Avx2.IsSupported) Score256(data, tables, CodeBytes, weighted);
        else ScoreScalar(data, tables, CodeBytes, weighted);
    }

    internal static void Score512(ReadOnlySpan<byte> data, byte[] tables, int codeBytes, Span<int> weighted)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        ref byte t = ref MemoryMarshal.GetArrayDataReference(tables);
        var low = Vector512.Create((byte)0x0F);
        Vector512<ushort> accA = default, accB = default;
        for (int b = 0; b < codeBytes; b++)
        {
            var v = Vector512.LoadUnsafe(ref d, (nuint)(b * 64));
            var lo = v & low;
            var hi = Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low;
            var s = Avx512BW.Shuffle(Vector512.LoadUnsafe(ref t, (nuint)(b * 128)), lo)
                + Avx512BW.Shuffle(Vector512.LoadUnsafe(ref t, (nuint)(b * 128 + 64)), hi);
            // each 16-bit lane holds (first code's sum) + 256 × (second's): summing the lanes and their high bytes apart
            // keeps both (each sum ≤ 120 a byte, ≤ 15 × 4 × 2 × codeBytes in all, within 16 bits)
            accA += s.AsUInt16();
            accB += Vector512.ShiftRightLogical(s.AsUInt16(), 8);
        }
        var first = accA - Vector512.ShiftLeft(accB, 8);
        var (f0, f1) = Vector512.Widen(first);
        var (s0, s1) = Vector512.Widen(accB);
        ref int w = ref MemoryMarshal.GetReference(weighted);
        f0.AsInt32().StoreUnsafe(ref w, 0);
        f1.AsInt32().StoreUnsafe(ref w, 16);
        s0.AsInt32().StoreUnsafe(ref w, 32);
        s1.AsInt32().StoreUnsafe(ref w, 48);
    }

    internal static void Score256(ReadOnlySpan<byte> data, byte[] tables, int codeBytes, Span<int> weighted)
    {
        ref byte d = ref MemoryMarshal.GetReference(data);
        ref byte t = ref MemoryMarshal.GetArrayDataReference(tables);
        var low = Vector256.Create((byte)0x0F);
        ref int w = ref MemoryMarshal.GetReference(weighted);
        for (int half = 0; half < 2; half++)
        {
            Vector256<ushort> accA = default, accB = default;
            for (int b = 0; b < codeBytes; b++)
            {
                var v = Vector256.LoadUnsafe(ref d, (nuint)(b * 64 + half * 32));
                var lo = v & low;
                var hi = Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & low;
                var s = Avx2.Shuffle(Vector256.LoadUnsafe(ref t, (nuint)(b * 128)), lo)
                    + Avx2.Shuffle(Vector256.LoadUnsafe(ref t, (nuint)(b * 128 + 64)), hi);
                accA += s.AsUInt16();
                accB += Vector256.ShiftRightLogical(s.AsUInt16(), 8);
            }
            var first = accA - Vector256.ShiftLeft(accB, 8);
            var (f0, f1) = Vector256.Widen(first);
            var (s0, s1) = Vector256.Widen(accB);
            f0.AsInt32().StoreUnsafe(ref w, (nuint)(half * 16));
            f1.AsInt32().StoreUnsafe(ref w, (nuint)(half * 16 + 8));
            s0.AsInt32().StoreUnsafe(ref w, (nuint)(32 + half * 16));
            s1.AsInt32().StoreUnsafe(ref w, (nuint)(32 + half * 16 + 8));
        }
    }

    /// <summary>The same sums one byte at a time: hardware without Avx2, and the reference the vector kernels are tested against.</summary>
    internal static void ScoreScalar(ReadOnlySpan<byte> data, byte[] tables, int codeBytes, Span<int> weighted)
    {
        for (int lane = 0; lane < BlockCodes; lane++)
        {
            int column = lane < 32 ? 2 * lane : 2 * (lane - 32) + 1;
            int sum = 0;
            for (int b = 0; b < codeBytes; b++)
            {
                int x = data[b * BlockCodes + column];
                sum += tables[b * 128 + (x & 15)] + tables[b * 128 + 64 + (x >> 4)];
            }
            weighted[lane] = sum;
        }
    }
}
