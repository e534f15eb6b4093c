using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NewsBot.Cli;

/// <summary>Writes command results: JSON documents to stdout (snake_case keys), human lines otherwise; progress to stderr.</summary>
public sealed class CliOutput(TextWriter stdout, TextWriter stderr, bool json)
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static readonly JsonSerializerOptions JsonLineOptions = new(JsonOptions) { WriteIndented = false };

    public bool Json => json;

    public TextWriter Out => stdout;

    public TextWriter Err => stderr;

    /// <summary>Whether progress may be drawn (stderr is a terminal and no JSON is expected).</summary>
    public bool Interactive => !json && !Console.IsErrorRedirected;

    public void WriteJson<T>(T value) => stdout.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public void WriteJsonLine<T>(T value)
    {
        stdout.WriteLine(JsonSerializer.Serialize(value, JsonLineOptions));
        stdout.Flush();
    }

    public void Line(string text = "") => stdout.WriteLine(text);

    public void Error(string text) => stderr.WriteLine(text);

    public void Progress(string text)
    {
        if (!Interactive) return;
        var width = 100;
        try { width = Math.Max(20, Console.WindowWidth - 1); } catch (IOException) { }
        if (text.Length > width) text = text[..(width - 1)] + "…";
        stderr.Write("\r" + text.PadRight(width));
        stderr.Flush();
    }

    public void EndProgress()
    {
        if (!Interactive) return;
        stderr.Write("\r" + new string(' ', 100) + "\r");
        stderr.Flush();
    }

    public static string FormatDate(DateTimeOffset? d) => d?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "undated";

    public static string? IsoDate(DateTimeOffset? d) => d?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
