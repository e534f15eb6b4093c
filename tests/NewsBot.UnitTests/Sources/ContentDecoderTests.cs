using System.Text;
using NewsBot.Sources.Text;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>Encoding detection (BOMs, declared charsets, UTF-8 validity, Windows-1252 fallback) and binary detection.</summary>
public sealed class ContentDecoderTests
{
    [Fact]
    public void Invalid_utf8_falls_back_to_windows_1252_including_smart_quotes_0x93_0x94()
    {
        // "Café “quoted”" in Windows-1252: 0xE9 = é, 0x93/0x94 = curly double quotes (undefined in ISO-8859-1)
        byte[] bytes = [.. "Caf"u8, 0xE9, (byte)' ', 0x93, .. "quoted"u8, 0x94];

        var decoded = ContentDecoder.Decode(bytes);

        Assert.Equal("Café “quoted”", decoded.Text);
        Assert.Equal(1252, decoded.Encoding.CodePage);
    }

    [Fact]
    public void Undeclared_cyrillic_in_windows_1251_is_read_as_cyrillic_not_as_western_accents()
    {
        const string text = "Новости Киева\nВ понедельник городской совет утвердил новый бюджет на 2025 год.";
        var decoded = ContentDecoder.Decode(ContentDecoder.Windows1251.GetBytes(text));

        Assert.Equal(text, decoded.Text);
        Assert.Equal(1251, decoded.Encoding.CodePage);
        // Western text with many accents stays Windows-1252
        var western = "Grüße aus München: Café, Crème brûlée, Ålesund, Façade, Zürich, São Tomé, Señor Muñoz.";
        Assert.Equal(western, ContentDecoder.Decode(ContentDecoder.Windows1252.GetBytes(western)).Text);
    }

    [Fact]
    public void Iso_8859_1_text_is_read_correctly_through_the_windows_1252_fallback()
    {
        var bytes = Encoding.Latin1.GetBytes("Zürich, São Paulo, Ålesund — no: Zurich, Sao Paulo, Alesund".Replace("—", "-"));

        Assert.Equal("Zürich, São Paulo, Ålesund - no: Zurich, Sao Paulo, Alesund", ContentDecoder.Decode(bytes).Text);
    }

    [Fact]
    public void Declared_iso_8859_1_is_treated_as_windows_1252_like_browsers_do()
    {
        byte[] bytes = [0x93, .. "Hi"u8, 0x94];

        Assert.Equal("“Hi”", ContentDecoder.Decode(bytes, declaredCharset: "ISO-8859-1").Text);
    }

    [Fact]
    public void Utf8_with_and_without_bom_is_decoded_and_the_bom_is_dropped()
    {
        var text = "Kyiv — “talks” café ✓";
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)];

        Assert.Equal(text, ContentDecoder.Decode(withBom).Text);
        Assert.Equal(text, ContentDecoder.Decode(Encoding.UTF8.GetBytes(text)).Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Utf16_with_bom_is_decoded_and_not_mistaken_for_binary(bool bigEndian)
    {
        var encoding = new UnicodeEncoding(bigEndian, byteOrderMark: true);
        byte[] bytes = [.. encoding.GetPreamble(), .. encoding.GetBytes("Überschrift\n\nText mit Umlauten: äöü.")];

        Assert.Null(ContentDecoder.DescribeBinary(bytes));
        Assert.Equal("Überschrift\n\nText mit Umlauten: äöü.", ContentDecoder.Decode(bytes).Text);
    }

    [Fact]
    public void Http_charset_wins_over_sniffing_and_meta_charset_is_used_when_no_header()
    {
        var win1251 = CodePagesEncoding(1251);
        var bytes = win1251.GetBytes("<html><head><meta charset=\"windows-1251\"></head><body>Київ</body></html>");

        Assert.Contains("Київ", ContentDecoder.Decode(bytes, sniffMarkup: true).Text);               // from <meta charset>
        Assert.Contains("Київ", ContentDecoder.Decode(bytes, declaredCharset: "windows-1251").Text); // from Content-Type

        var httpEquiv = Encoding.Latin1.GetBytes("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><p>Ni\u00f1o</p>");
        Assert.Contains("Niño", ContentDecoder.Decode(httpEquiv, sniffMarkup: true).Text);
    }

    [Fact]
    public void Xml_declaration_encoding_is_honoured()
    {
        var bytes = Encoding.Latin1.GetBytes("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><title>Caf\u00e9</title></channel></rss>");

        Assert.Contains("Café", ContentDecoder.Decode(bytes, sniffMarkup: true).Text);
    }

    [Fact]
    public void Declared_utf8_that_is_not_valid_utf8_falls_back_to_windows_1252()
    {
        byte[] bytes = [.. "Caf"u8, 0xE9];

        Assert.Equal("Café", ContentDecoder.Decode(bytes, declaredCharset: "utf-8").Text);
    }

    [Theory]
    [InlineData(new byte[] { 0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x37, 0x0A }, "PDF")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00 }, "ZIP")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00 }, "PNG")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 }, "JPEG")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, "GIF")]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0x00 }, "gzip")]
    [InlineData(new byte[] { 0x41, 0x42, 0x00, 0x43, 0x44 }, "NUL")]
    [InlineData(new byte[] { 0x01, 0x02, 0x03, 0x04, 0x41, 0x05, 0x06, 0x07, 0x08, 0x0E }, "control")]
    public void Binary_content_is_recognised_by_magic_number_nul_bytes_or_control_characters(byte[] bytes, string expected)
    {
        Assert.Contains(expected, ContentDecoder.DescribeBinary(bytes), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Text_with_tabs_newlines_and_high_bytes_is_not_binary()
    {
        byte[] bytes = [.. "Title\r\n\tIndented line\f\n"u8, 0xE9, 0x93, 0x94];

        Assert.Null(ContentDecoder.DescribeBinary(bytes));
    }

    static Encoding CodePagesEncoding(int codePage)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(codePage);
    }
}
