using System.Globalization;
using Telegram.Bot.Extensions;

namespace NewsBot.Telegram.Formatting;

/// <summary>Small helpers for Telegram's HTML parse mode. Every piece of model or source text goes through <see cref="Escape"/>.</summary>
public static class TelegramHtml
{
    /// <summary>Telegram's limit on one message's text.</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>Escapes &amp; &lt; &gt; and " (safe in text and in double-quoted attributes).</summary>
    public static string Escape(string? text) => HtmlText.Escape(text ?? "") ?? "";

    public static string Italic(string? text) => $"<i>{Escape(text)}</i>";

    public static string Bold(string? text) => $"<b>{Escape(text)}</b>";

    /// <summary>Longest escaped href made into a link: a longer tag could not be split and the answer would be lost.</summary>
    public const int MaxHrefLength = 1000;

    /// <summary>Longest address shown as plain text after a title.</summary>
    public const int MaxShownUrlLength = 200;

    /// <summary>
    /// A link when the URL is http(s); otherwise (file://, relative, garbage) the title followed by the
    /// address as plain escaped text, since Telegram does not make such links clickable. An http(s) URL longer
    /// than <see cref="MaxHrefLength"/> once escaped is no link: the title is followed by the site's host only.
    /// </summary>
    public static string Link(string? url, string title)
    {
        if (IsClickable(url))
        {
            var href = Escape(url);
            return href.Length <= MaxHrefLength
                ? $"<a href=\"{href}\">{Escape(title)}</a>"
                : $"{Escape(title)} ({Escape(new Uri(url!).Host)})";
        }
        return string.IsNullOrWhiteSpace(url) ? Escape(title) : $"{Escape(title)} ({Escape(Truncate(url, MaxShownUrlLength))})";
    }

    public static bool IsClickable(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) &&
        !url!.Any(char.IsWhiteSpace);

    /// <summary>"12 Mar 2025" (invariant culture, UTC date).</summary>
    public static string Date(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture) : "";

    /// <summary>"12 Mar 2025 14:03 UTC".</summary>
    public static string DateTime(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture) + " UTC" : "never";

    /// <summary>Shortens plain text to at most <paramref name="max"/> characters, ending with an ellipsis, never splitting a surrogate pair.</summary>
    public static string Truncate(string? text, int max)
    {
        text ??= "";
        if (text.Length <= max)
            return text;
        var cut = Math.Max(0, max - 1);
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
            cut--;
        var space = text.LastIndexOf(' ', Math.Max(0, cut - 1), Math.Min(cut, 40));
        if (space > max / 2)
            cut = space;
        return text[..cut].TrimEnd() + "…";
    }
}
