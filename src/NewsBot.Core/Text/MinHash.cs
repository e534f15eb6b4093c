namespace NewsBot.Core.Text;

/// <summary>
/// MinHash signatures over word 3-shingles, for near-duplicate detection: the share of equal
/// signature slots estimates the Jaccard similarity of two texts' shingle sets.
/// Signatures are split into bands for locality-sensitive lookup.
/// </summary>
public static class MinHash
{
    public const int Size = 64;
    public const int Bands = 16;
    public const int RowsPerBand = Size / Bands;
    const int ShingleWords = 3;

    static readonly ulong[] Seeds = Enumerable.Range(0, Size).Select(i => Hashing.Mix64(0x9E3779B97F4A7C15UL * (ulong)(i + 1))).ToArray();

    public static ulong[] Compute(string text)
    {
        var words = LexicalAnalyzer.Words(text).ToList();
        var sig = new ulong[Size];
        Array.Fill(sig, ulong.MaxValue);
        if (words.Count == 0) return sig;
        int shingles = Math.Max(1, words.Count - ShingleWords + 1);
        for (int i = 0; i < shingles; i++)
        {
            var shingle = string.Join(' ', words.Skip(i).Take(ShingleWords));
            ulong h = Hashing.Fnv1a64(shingle);
            for (int k = 0; k < Size; k++)
            {
                ulong v = Hashing.Mix64(h ^ Seeds[k]);
                if (v < sig[k]) sig[k] = v;
            }
        }
        return sig;
    }

    public static double Similarity(ulong[] a, ulong[] b)
    {
        if (a.Length != Size || b.Length != Size) return 0;
        int same = 0;
        for (int i = 0; i < Size; i++) if (a[i] == b[i]) same++;
        return same / (double)Size;
    }

    /// <summary>One hash per band: two signatures that share any band hash are candidates.</summary>
    public static long[] BandHashes(ulong[] sig)
    {
        var result = new long[Bands];
        for (int band = 0; band < Bands; band++)
        {
            ulong h = (ulong)band * 0x100000001B3UL;
            for (int r = 0; r < RowsPerBand; r++) h = Hashing.Mix64(h ^ sig[band * RowsPerBand + r]);
            result[band] = (long)h;
        }
        return result;
    }

    public static byte[] ToBytes(ulong[] sig)
    {
        var bytes = new byte[sig.Length * 8];
        Buffer.BlockCopy(sig, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    public static ulong[] FromBytes(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0) return [];
        var sig = new ulong[bytes.Length / 8];
        Buffer.BlockCopy(bytes, 0, sig, 0, sig.Length * 8);
        return sig;
    }
}
