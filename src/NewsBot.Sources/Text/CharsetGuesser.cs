using System.Text;
using UtfUnknown;

namespace NewsBot.Sources.Text;

/// <summary>The encoding of undeclared non-UTF-8 bytes, or null with the reason it could not be told.</summary>
internal sealed record CharsetGuess(Encoding? Encoding, string Reason);

/// <summary>
/// Tells the encoding of bytes that declare none and are not UTF-8. The statistics of the scripts (which byte pairs
/// and letter frequencies are likely in Japanese, Korean, Hebrew, Thai, Russian…) come from UTF.Unknown, a port of
/// Mozilla's universal charset detector: writing such models by hand would be neither smaller nor better. Two checks
/// of our own sit around it: Western text with the odd accented letter ("café") is Windows-1252 whatever the
/// detector thinks of so few bytes, and Windows-1251 and KOI8-R, which share a byte range, are told apart by case
/// (in running text most letters are lower-case: 0xE0–0xFF in Windows-1251, 0xC0–0xDF in KOI8-R), and Hebrew,
/// which has no case, from both by the letters it lacks.
/// </summary>
internal static class CharsetGuesser
{
    const int SampleBytes = 64 * 1024;
    const float MinConfidence = 0.5f;

    public static CharsetGuess Guess(ReadOnlySpan<byte> bytes)
    {
        var sample = bytes[..Math.Min(bytes.Length, SampleBytes)];
        if (MostlyUtf8(sample))
            return new(new UTF8Encoding(false), "read as UTF-8 (valid but for a few broken bytes, shown as \uFFFD)");
        if (LooksWestern(sample))
            return new(ContentDecoder.Windows1252, "read as Windows-1252 (Western text with accented letters)");
        if (CyrillicByCase(sample) is { } cyrillic)
            return new(cyrillic, $"read as {cyrillic.WebName} (Cyrillic words)");

        var detected = CharsetDetector.DetectFromBytes(sample).Detected;
        var name = detected?.EncodingName?.ToLowerInvariant();
        if (detected is null || name is null)
            return new(null, "its character encoding could not be determined");
        var encoding = Resolve(name);
        if (encoding is null)
            return new(null, $"its character encoding could not be determined (looks like {name}, which cannot be decoded)");
        if (detected.Confidence < MinConfidence)
            return new(null, $"its character encoding could not be determined with confidence (perhaps {name}, {detected.Confidence:P0} sure)");
        return new(encoding, $"read as {name} (detected, {detected.Confidence:P0} sure)");
    }

    static Encoding? Resolve(string name) => name switch
    {
        "tis-620" or "iso-8859-11" or "windows-874" => ContentDecoder.ResolveCharset("windows-874"),
        "iso-8859-8" or "iso-8859-8-i" or "windows-1255" => ContentDecoder.ResolveCharset("windows-1255"),
        "ascii" or "utf-8" => null, // not what bytes that are not UTF-8 are (mostly-UTF-8 was recognised before)
        _ => ContentDecoder.ResolveCharset(name),
    };

    /// <summary>UTF-8 with the odd broken byte (a truncated copy, one pasted Windows-1252 character): at most 2 % of its non-ASCII characters broken.</summary>
    static bool MostlyUtf8(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        int nonAscii = 0, broken = 0;
        foreach (var c in text)
        {
            if (c == '\uFFFD') broken++;
            else if (c >= 0x80) nonAscii++;
        }
        return nonAscii >= 20 && broken * 50 <= nonAscii;
    }

    /// <summary>
    /// High bytes that stand alone between ASCII letters (accents in Latin words), not in runs that make whole
    /// words of another script, and few of them.
    /// </summary>
    static bool LooksWestern(ReadOnlySpan<byte> bytes)
    {
        int high = 0, lone = 0, asciiLetters = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (b < 0x80)
            {
                if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z') asciiLetters++;
                continue;
            }
            high++;
            bool prevHigh = i > 0 && bytes[i - 1] >= 0x80, nextHigh = i + 1 < bytes.Length && bytes[i + 1] >= 0x80;
            if (!prevHigh && !nextHigh) lone++;
        }
        return high > 0 && lone * 10 >= high * 8 && high * 8 <= asciiLetters;
    }

    /// <summary>Windows-1251 or KOI8-R when the high bytes make Cyrillic words (runs of 0xC0–0xFF), told apart by case.</summary>
    static Encoding? CyrillicByCase(ReadOnlySpan<byte> bytes)
    {
        int high = 0, cyrillicRange = 0, lowerIn1251 = 0, lowerInKoi8 = 0, yeryToYa = 0, run = 0, inRuns = 0;
        foreach (var b in bytes)
        {
            if (b >= 0x80) high++;
            if (b >= 0xC0)
            {
                cyrillicRange++;
                run++;
                if (b >= 0xFB) yeryToYa++;
                if (b >= 0xE0) lowerIn1251++;
                else lowerInKoi8++;
                continue;
            }
            if (run >= 3) inRuns += run;
            run = 0;
        }
        if (run >= 3) inRuns += run;
        // nearly all high bytes are letters of 0xC0–0xFF, mostly in words of three or more
        if (cyrillicRange < 8 || cyrillicRange * 10 < high * 9 || inRuns * 4 < cyrillicRange * 3) return null;
        // Windows-1255 Hebrew letters (0xE0–0xFA, no case) look like lower-case Windows-1251, but Russian text is
        // never without ы, ь, э, ю, я (0xFB–0xFF there, about 6% of its letters)
        if (lowerIn1251 >= lowerInKoi8 * 2) return yeryToYa * 50 >= lowerIn1251 ? ContentDecoder.Windows1251 : null;
        if (lowerInKoi8 >= lowerIn1251 * 2) return ContentDecoder.ResolveCharset("koi8-r");
        return null;
    }
}
