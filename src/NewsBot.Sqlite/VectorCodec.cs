using System.Runtime.InteropServices;
using NewsBot.Core.Model;

namespace NewsBot.Sqlite;

/// <summary>Binary encodings of vectors in SQLite BLOBs (little-endian).</summary>
internal static class VectorCodec
{
    public static byte[] EncodeDense(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    public static float[] DecodeDense(byte[] blob) => DecodeDense(blob.AsSpan());

    /// <summary>The same from bytes that are not an array of their own (SQLite's row buffer).</summary>
    public static float[] DecodeDense(ReadOnlySpan<byte> blob) => MemoryMarshal.Cast<byte, float>(blob).ToArray();

    /// <summary>Count (int32), then the term ids (uint32), then the weights (float32).</summary>
    public static byte[] EncodeSparse(SparseVector v)
    {
        int n = v.Count;
        var bytes = new byte[4 + n * 8];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), n);
        if (n > 0)
        {
            MemoryMarshal.AsBytes(v.Indices.AsSpan()).CopyTo(bytes.AsSpan(4));
            MemoryMarshal.AsBytes(v.Values.AsSpan()).CopyTo(bytes.AsSpan(4 + n * 4));
        }
        return bytes;
    }

    /// <summary>The term ids and weights of an encoded sparse vector, as spans over the blob.</summary>
    public static void SparseSpans(ReadOnlySpan<byte> blob, out ReadOnlySpan<uint> ids, out ReadOnlySpan<float> weights)
    {
        ids = default;
        weights = default;
        if (blob.Length < 4) return;
        int n = BitConverter.ToInt32(blob[..4]);
        if (n <= 0 || blob.Length < 4 + n * 8) return;
        ids = MemoryMarshal.Cast<byte, uint>(blob.Slice(4, n * 4));
        weights = MemoryMarshal.Cast<byte, float>(blob.Slice(4 + n * 4, n * 4));
    }

    public static SparseVector DecodeSparse(byte[] blob)
    {
        if (blob.Length < 4) return SparseVector.Empty;
        int n = BitConverter.ToInt32(blob, 0);
        if (n <= 0 || blob.Length < 4 + n * 8) return SparseVector.Empty;
        var ids = MemoryMarshal.Cast<byte, uint>(blob.AsSpan(4, n * 4)).ToArray();
        var values = MemoryMarshal.Cast<byte, float>(blob.AsSpan(4 + n * 4, n * 4)).ToArray();
        return new SparseVector(ids, values);
    }
}
