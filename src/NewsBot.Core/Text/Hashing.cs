using System.Security.Cryptography;
using System.Text;

namespace NewsBot.Core.Text;

public static class Hashing
{
    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Sha256Hex(string text)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Content hash of an article body, insensitive to whitespace, case and punctuation.</summary>
    public static string ContentHash(string body) => Sha256Hex(TextNormalizer.Canonical(body));

    // FNV-1a stays hand-written: System.IO.Hashing (the BCL's non-cryptographic hashes) offers CRC-32/64 and xxHash
    // but no FNV, and these values are persisted (sparse term ids in every index, MinHash signatures), so another
    // algorithm would break existing data directories. HashingStabilityTests pins them.

    /// <summary>32-bit FNV-1a over a string's UTF-16 code units as little-endian bytes (stable across runs and platforms).</summary>
    public static uint Fnv1a32(ReadOnlySpan<char> s)
    {
        uint h = 2166136261;
        foreach (var c in s)
        {
            h ^= (byte)c;
            h *= 16777619;
            h ^= (byte)(c >> 8);
            h *= 16777619;
        }
        return h;
    }

    /// <summary>64-bit FNV-1a over the same bytes.</summary>
    public static ulong Fnv1a64(ReadOnlySpan<char> s)
    {
        ulong h = 14695981039346656037;
        foreach (var c in s)
        {
            h ^= (byte)c;
            h *= 1099511628211;
            h ^= (byte)(c >> 8);
            h *= 1099511628211;
        }
        return h;
    }

    /// <summary>A 64-bit mix (SplitMix64 finaliser).</summary>
    public static ulong Mix64(ulong x)
    {
        x ^= x >> 30; x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27; x *= 0x94d049bb133111ebUL;
        x ^= x >> 31;
        return x;
    }
}

/// <summary>Stable identities for articles and chunks.</summary>
public static class Identity
{
    /// <summary>Article id for a URL-identified article: "u" + 20 hex chars of SHA-256(canonical URL).</summary>
    public static string ForUrl(string canonicalUrl) => "u" + Hashing.Sha256Hex(canonicalUrl)[..20];

    /// <summary>Article id for a file: "f" + 20 hex chars of its content hash.</summary>
    public static string ForContent(string contentHash) => "f" + contentHash[..20];

    /// <summary>A deterministic UUID (version 8 layout) derived from article id and chunk position.</summary>
    public static Guid ChunkPointId(string articleId, int position)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"newsbot:{articleId}:{position}"));
        Span<byte> g = stackalloc byte[16];
        bytes.AsSpan(0, 16).CopyTo(g);
        g[6] = (byte)((g[6] & 0x0F) | 0x80); // version 8 (custom)
        g[8] = (byte)((g[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(g, bigEndian: true);
    }
}
