using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace NewsBot.Sources.Text;

/// <summary>
/// Text decoded from bytes, with the encoding used and why it was chosen. <paramref name="Uncertain"/> is set when
/// nothing declared the encoding and no detector was confident: the text is then likely garbage.
/// </summary>
internal sealed record DecodedText(string Text, Encoding Encoding, string Reason, bool Uncertain = false);

/// <summary>
/// Turns downloaded or read bytes into text: byte-order marks first, then a declared charset
/// (HTTP <c>Content-Type</c>, HTML <c>&lt;meta charset&gt;</c>, XML declaration), then UTF-8 when the
/// bytes are valid UTF-8, else Windows-1252 (a superset of ISO-8859-1's printable characters).
/// Also recognises binary content (known magic numbers, NUL bytes, many control characters).
/// </summary>
internal static partial class ContentDecoder
{
    const int SniffBytes = 8192;

    /// <summary>Windows-1252, the fallback for bytes that are not valid UTF-8.</summary>
    public static Encoding Windows1252 { get; } = GetCodePage(1252);

    static Encoding GetCodePage(int codePage)
    {
        // Code pages other than UTF-x and Latin-1 need the provider on .NET (Core); registering twice is harmless.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(codePage);
    }

    static readonly (byte[] Magic, int Offset, string What)[] Signatures =
    [
        ("%PDF-"u8.ToArray(), 0, "a PDF document"),
        ([0x50, 0x4B, 0x03, 0x04], 0, "a ZIP archive (or an Office/EPUB document)"),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 0, "a PNG image"),
        ([0xFF, 0xD8, 0xFF], 0, "a JPEG image"),
        ("GIF87a"u8.ToArray(), 0, "a GIF image"),
        ("GIF89a"u8.ToArray(), 0, "a GIF image"),
        ("WEBP"u8.ToArray(), 8, "a WebP image"),
        ([0x1F, 0x8B], 0, "gzip-compressed data"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], 0, "a legacy Microsoft Office document"),
        ([0x7F, 0x45, 0x4C, 0x46], 0, "an executable (ELF)"),
        ([0x52, 0x61, 0x72, 0x21, 0x1A, 0x07], 0, "a RAR archive"),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], 0, "a 7-Zip archive"),
        ("wOFF"u8.ToArray(), 0, "a web font"),
        ("wOF2"u8.ToArray(), 0, "a web font"),
    ];

    /// <summary>
    /// Says what kind of binary content the bytes are ("a PDF document", "data with NUL bytes", …),
    /// or null when they look like text.
    /// </summary>
    public static string? DescribeBinary(ReadOnlySpan<byte> bytes)
    {
        foreach (var (magic, offset, what) in Signatures)
        {
            if (bytes.Length >= offset + magic.Length && bytes.Slice(offset, magic.Length).SequenceEqual(magic))
                return what;
        }
        if (DetectBom(bytes, out _, out _) || DetectWideUnicode(bytes) is not null) return null; // UTF-16/32 text has NUL bytes by design
        var sample = bytes[..Math.Min(bytes.Length, SniffBytes)];
        if (sample.Length == 0) return null;
        if (sample.Contains((byte)0)) return "data with NUL bytes";
        int control = 0;
        foreach (var b in sample)
        {
            if ((b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r' and not 0x0C and not 0x1B) || b == 0x7F)
                control++;
        }
        return control > sample.Length / 10 ? "data with many control characters" : null;
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/>. <paramref name="declaredCharset"/> is the charset of an HTTP
    /// <c>Content-Type</c> header, if any; <paramref name="sniffMarkup"/> looks for an HTML
    /// <c>&lt;meta charset&gt;</c> or an XML <c>encoding="…"</c> declaration in the first bytes.
    /// </summary>
    public static DecodedText Decode(ReadOnlySpan<byte> bytes, string? declaredCharset = null, bool sniffMarkup = false)
    {
        var decoded = DecodeBytes(bytes, declaredCharset, sniffMarkup);
        return decoded with { Text = RepairC1Controls(decoded.Text) };
    }

    static DecodedText DecodeBytes(ReadOnlySpan<byte> bytes, string? declaredCharset, bool sniffMarkup)
    {
        if (DetectBom(bytes, out var bomEncoding, out int bomLength))
            return new DecodedText(bomEncoding.GetString(bytes[bomLength..]), bomEncoding, "byte-order mark");

        // UTF-16/32 without a BOM, told by where the NULs of the ASCII start ("<?xml", "<rss") fall; this wins over a
        // declared label, which may say "utf-16" without the byte order
        if (DetectWideUnicode(bytes) is { } wide)
            return new DecodedText(wide.GetString(bytes), wide, $"{wide.WebName} without a byte-order mark (NUL byte pattern)");

        if (ResolveCharset(declaredCharset) is { } declared)
        {
            if (declared is UTF8Encoding && !Utf8.IsValid(bytes))
                return Guess(bytes, $"declared {declaredCharset}, but not valid UTF-8");
            if (declared is UnicodeEncoding or UTF32Encoding) declared = new UTF8Encoding(false); // no NUL pattern: not wide text
            return new DecodedText(declared.GetString(bytes), declared, $"declared charset {declaredCharset}");
        }

        if (sniffMarkup && SniffDeclaredCharset(bytes) is { } label && ResolveCharset(label) is { } sniffed)
        {
            // A document read as bytes cannot be UTF-16 without a BOM (its declaration was readable as ASCII).
            if (sniffed is UnicodeEncoding or UTF32Encoding) sniffed = new UTF8Encoding(false);
            if (sniffed is UTF8Encoding && !Utf8.IsValid(bytes))
                return Guess(bytes, $"declared {label} in the document, but not valid UTF-8");
            return new DecodedText(sniffed.GetString(bytes), sniffed, $"charset {label} declared in the document");
        }

        if (Utf8.IsValid(bytes))
            return new DecodedText(Encoding.UTF8.GetString(bytes), Encoding.UTF8, "valid UTF-8");
        return Guess(bytes, "not valid UTF-8, no charset declared");
    }

    /// <summary>Bytes in an unknown 8-bit or East Asian encoding: <see cref="CharsetGuesser"/> decides, or says it cannot.</summary>
    static DecodedText Guess(ReadOnlySpan<byte> bytes, string why)
    {
        var guess = CharsetGuesser.Guess(bytes);
        var encoding = guess.Encoding ?? Windows1252;
        return new DecodedText(encoding.GetString(bytes), encoding, $"{why}; {guess.Reason}", guess.Encoding is null);
    }

    public static Encoding Windows1251 { get; } = GetCodePage(1251);

    /// <summary>
    /// UTF-16 or UTF-32 without a byte-order mark, recognised as XML's appendix F does: text that starts with ASCII
    /// ("&lt;?xml", "&lt;rss", whitespace) has a NUL beside each character, before it (big-endian) or after it.
    /// </summary>
    public static Encoding? DetectWideUnicode(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..(Math.Min(bytes.Length, 64) & ~3)];
        if (head.Length < 8) return null;
        if (Pattern(head, 4, 0)) return new UTF32Encoding(bigEndian: false, byteOrderMark: false);
        if (Pattern(head, 4, 3)) return new UTF32Encoding(bigEndian: true, byteOrderMark: false);
        if (Pattern(head, 2, 0)) return new UnicodeEncoding(bigEndian: false, byteOrderMark: false);
        if (Pattern(head, 2, 1)) return new UnicodeEncoding(bigEndian: true, byteOrderMark: false);
        return null;

        // every unit of `width` bytes is one ASCII character at `at`, NULs elsewhere; the first is '<' or whitespace
        static bool Pattern(ReadOnlySpan<byte> head, int width, int at)
        {
            if (head[at] is not ((byte)'<' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
            for (int i = 0; i < head.Length; i++)
            {
                bool isChar = i % width == at;
                if (isChar ? head[i] is 0 or >= 0x80 : head[i] != 0) return false;
            }
            return true;
        }
    }

    /// <summary>
    /// Windows-1252's printable characters in the C1 control range (U+0080–U+009F), where text decoded as
    /// ISO-8859-1 or written as "&amp;#147;" puts them: smart quotes, dashes, the euro sign. Real C1 controls never
    /// belong in news text.
    /// </summary>
    public static string RepairC1Controls(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\u0080', '\u009F');
        if (first < 0) return text;
        var chars = text.ToCharArray();
        for (int i = first; i < chars.Length; i++)
        {
            if (chars[i] is >= '\u0080' and <= '\u009F')
            {
                var mapped = Windows1252.GetString([(byte)chars[i]]);
                chars[i] = mapped.Length == 1 && mapped[0] is not (>= '\u0080' and <= '\u009F') ? mapped[0] : ' ';
            }
        }
        return new string(chars);
    }

    /// <summary>Recognises UTF-8, UTF-16 and UTF-32 byte-order marks.</summary>
    public static bool DetectBom(ReadOnlySpan<byte> bytes, out Encoding encoding, out int length)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { encoding = new UTF8Encoding(false); length = 3; return true; }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00])) { encoding = new UTF32Encoding(bigEndian: false, byteOrderMark: false); length = 4; return true; }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) { encoding = new UTF32Encoding(bigEndian: true, byteOrderMark: false); length = 4; return true; }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) { encoding = new UnicodeEncoding(bigEndian: false, byteOrderMark: false); length = 2; return true; }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) { encoding = new UnicodeEncoding(bigEndian: true, byteOrderMark: false); length = 2; return true; }
        encoding = null!;
        length = 0;
        return false;
    }

    /// <summary>
    /// Maps a charset label to an encoding as browsers do (WHATWG): ASCII and ISO-8859-1 labels mean
    /// Windows-1252. Null for an unknown or empty label.
    /// </summary>
    public static Encoding? ResolveCharset(string? label)
    {
        if (string.IsNullOrWhiteSpace(label)) return null;
        var l = label.Trim().Trim('"', '\'').ToLowerInvariant();
        switch (l)
        {
            case "utf-8" or "utf8" or "unicode-1-1-utf-8":
                return new UTF8Encoding(false);
            case "us-ascii" or "ascii" or "iso-8859-1" or "iso8859-1" or "iso_8859-1" or "latin1" or "l1" or "cp1252" or "windows-1252" or "x-cp1252" or "cp819" or "ibm819":
                return Windows1252;
            case "utf-16" or "utf-16le":
                return new UnicodeEncoding(bigEndian: false, byteOrderMark: false);
            case "utf-16be":
                return new UnicodeEncoding(bigEndian: true, byteOrderMark: false);
        }
        try
        {
            return Encoding.GetEncoding(l);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The charset declared by an HTML meta tag or an XML declaration in the first bytes, if any.</summary>
    public static string? SniffDeclaredCharset(ReadOnlySpan<byte> bytes)
    {
        var head = Encoding.Latin1.GetString(bytes[..Math.Min(bytes.Length, SniffBytes)]);
        var xml = XmlDeclarationEncoding().Match(head);
        if (xml.Success) return xml.Groups[1].Value;
        var meta = MetaCharset().Match(head);
        return meta.Success ? meta.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^\s*<\?xml[^>]*?\sencoding\s*=\s*[""']([A-Za-z0-9_.:\-]+)[""']")]
    private static partial Regex XmlDeclarationEncoding();

    [GeneratedRegex(@"<meta\b[^>]*?\bcharset\s*=\s*[""']?\s*([A-Za-z0-9_.:\-]+)", RegexOptions.IgnoreCase)]
    private static partial Regex MetaCharset();
}
