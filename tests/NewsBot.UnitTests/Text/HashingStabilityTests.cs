using System.Text;
using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

/// <summary>
/// Hashes that are persisted (sparse term ids in the SQLite store and Qdrant, MinHash signatures) must never change,
/// or existing data directories stop matching new queries. The expected values were computed by the implementation
/// of release 1 and are pinned here on purpose.
/// </summary>
public sealed class HashingStabilityTests
{
    [Theory]
    [InlineData("", 0x811C9DC5u, 0xCBF29CE484222325UL)] // the FNV offset bases: no input, no change
    [InlineData("a", 0x2B24D044u, 0x089BE207B544F1E4UL)]
    [InlineData("bank", 0x085C90C3u, 0x9A69333FE5D570A3UL)]
    [InlineData("central bank", 0xD70F1FE0u, 0x460E589BA6BA1BC0UL)]
    [InlineData("zürich", 0xE6AFC63Bu, 0x4F22BD60D991DBDBUL)]
    [InlineData("日本語", 0xC7EC9C62u, 0x7DADDFFA02EAB542UL)]
    [InlineData("😀", 0xB34A1DAAu, 0xF39A100FB654058AUL)] // a surrogate pair: two UTF-16 code units
    public void Fnv1a_of_a_string_is_pinned_and_is_FNV_1a_over_its_UTF16LE_bytes(string text, uint expected32, ulong expected64)
    {
        Assert.Equal(expected32, Hashing.Fnv1a32(text));
        Assert.Equal(expected64, Hashing.Fnv1a64(text));
        Assert.Equal(expected32, LexicalAnalyzer.TermId(text));

        // The textbook definition over the bytes, as a second witness.
        uint h32 = 2166136261;
        ulong h64 = 14695981039346656037;
        foreach (byte b in Encoding.Unicode.GetBytes(text))
        {
            h32 = (h32 ^ b) * 16777619;
            h64 = (h64 ^ b) * 1099511628211;
        }
        Assert.Equal(h32, Hashing.Fnv1a32(text));
        Assert.Equal(h64, Hashing.Fnv1a64(text));
    }

    [Fact]
    public void Sparse_term_ids_of_a_sentence_are_pinned()
    {
        var v = LexicalEncoder.Default.EncodeDocument("The central bank raised interest rates by a quarter point.");

        Assert.Equal(
            [140284099u, 282276997u, 539084030u, 732882375u, 833100316u, 1857452215u, 2077407942u, 2589584626u, 2601319187u, 2913230185u, 3063581644u, 3168350137u, 3520244237u],
            v.Indices);
        Assert.All(v.Values, w => Assert.Equal(1.6266174f, w));
    }

    [Fact]
    public void MinHash_signature_slots_are_pinned()
    {
        var signature = MinHash.Compute("The central bank raised interest rates by a quarter point on Wednesday.");

        Assert.Equal(MinHash.Size, signature.Length);
        Assert.Equal(
            [0x15D8ED95DC43A105UL, 0x0E402E79609D7A2EUL, 0x32B2B2C5D177EEF6UL, 0x1E1B55FDA1EFE089UL, 0x2CE673BDE167440DUL, 0x57E1DD44310D0956UL, 0x27DB3A2CB5AAAD4FUL, 0x02CE8EBCF6C1DDB6UL],
            signature[..8]);
    }
}
