using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using NewsBot.Core.Text;
using NewsBot.Sources.Text;

namespace NewsBot.Sources.Html;

/// <summary>
/// Cleans HTML for reading and turns an element into text blocks: one per paragraph, heading, list
/// item, quote or cell; inline markup flattened; a double <c>&lt;br&gt;</c> splits a block.
/// </summary>
internal static partial class HtmlBlocks
{
    static readonly HashSet<string> BlockTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul",
    };

    /// <summary>Elements that never hold article prose.</summary>
    static readonly HashSet<string> DroppedTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "video", "audio",
        "picture", "img", "source", "track", "map", "form", "button", "input", "select", "option", "textarea", "label",
        "nav", "aside", "footer", "dialog", "menu", "figure", "head", "link", "meta", "title",
    };

    static readonly HashSet<string> DroppedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search", "menu", "menubar", "toolbar", "tablist", "alert",
    };

    /// <summary>Class or id words (split at '-', '_' and case changes) that mark boilerplate.</summary>
    static readonly HashSet<string> BoilerplateWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "cookie", "cookies", "consent", "gdpr", "share", "sharing", "sharebar", "social", "related", "recommended",
        "recommendations", "comment", "comments", "disqus", "newsletter", "subscribe", "subscription", "signup",
        "promo", "advert", "advertisement", "ad", "ads", "adslot", "sponsor", "sponsored", "outbrain", "taboola",
        "popup", "modal", "overlay", "breadcrumb", "breadcrumbs", "sidebar", "navbar", "navigation", "nav", "menu",
        "masthead", "banner", "paywall", "byline", "dateline", "timestamp", "tags", "trending", "toolbar", "widget",
    };

    /// <summary>The prose blocks of <paramref name="root"/>, cleaned, with link lists, bylines and one-line boilerplate left out.</summary>
    public static List<string> Collect(INode root, string? title = null)
    {
        var collector = new Collector();
        collector.Walk(root, inLink: false);
        collector.Flush();
        var result = new List<string>();
        foreach (var (text, linkChars) in collector.Blocks)
        {
            if (text.Length == 0) continue;
            int words = CountWords(text);
            if (linkChars >= text.Length * 0.7 && words < 25) continue; // a link list or a "read more" link
            if (title is not null && string.Equals(text, title, StringComparison.OrdinalIgnoreCase)) continue;
            if (words <= 8 && Byline().IsMatch(text)) continue;
            if (words <= 12 && BoilerplateLine().IsMatch(text)) continue;
            if (words <= 80 && CookieNotice().IsMatch(text) && ConsentWording().IsMatch(text)) continue; // a consent banner in an unnamed box
            if (words <= 15 && ReadMoreTeaser().IsMatch(text)) continue; // "Read more: Other headline"
            if (words <= 6 && DateParsing.TryParse(text, out _)) continue; // a dateline such as "5 March 2024"
            if (result.Count > 0 && result[^1] == text) continue;
            result.Add(text);
        }
        return result;
    }

    /// <summary>
    /// Removes what never belongs to an article: scripts, styles, forms, navigation, asides, footers,
    /// figures, hidden elements, dialogs, and elements whose class or id says cookie banner, share
    /// buttons, related links, comments, newsletter, ads, breadcrumbs, sidebar, byline, tags.
    /// An element that holds the main content (article, main, articleBody) or most of the page's
    /// paragraph text is never removed, however it is named.
    /// </summary>
    public static void RemoveBoilerplate(IElement root)
    {
        // header elements are boilerplate outside the article (site header); inside it they hold the headline and standfirst
        var candidates = root.QuerySelectorAll("*").Where(IsBoilerplate).ToList();
        if (candidates.Count == 0) return;
        int totalText = ParagraphTextLength(root);
        foreach (var element in candidates)
        {
            if (element.Parent is null || !root.Contains(element)) continue; // removed with an ancestor
            if (HoldsMainContent(element, totalText)) continue;
            element.Remove();
        }
    }

    static bool IsBoilerplate(IElement e)
    {
        var tag = e.LocalName;
        if (tag is "html" or "body" or "main" or "article") return false;
        if (DroppedTags.Contains(tag)) return true;
        if (tag == "header" && e.Closest("article, main, [itemprop='articleBody']") is null) return true;
        if (e.HasAttribute("hidden") || string.Equals(e.GetAttribute("aria-hidden"), "true", StringComparison.OrdinalIgnoreCase)) return true;
        if (e.GetAttribute("style") is { } style && HiddenStyle().IsMatch(style)) return true;
        if (e.GetAttribute("role") is { } role && DroppedRoles.Contains(role.Trim())) return true;
        if (e.GetAttribute("itemprop") is "articleBody") return false;
        var names = $"{e.GetAttribute("class")} {e.Id}";
        if (string.IsNullOrWhiteSpace(names)) return false;
        if (CompoundBoilerplate().IsMatch(names)) return true;
        foreach (var word in NameWords().Split(CamelBoundary().Replace(names, "$1-$2")))
        {
            if (word.Length > 0 && BoilerplateWords.Contains(word)) return true;
        }
        return false;
    }

    static bool HoldsMainContent(IElement e, int totalText)
    {
        if (e.QuerySelector("article, main, [itemprop='articleBody'], [role='main']") is not null) return true;
        if (e.LocalName is "script" or "style" or "noscript" or "template") return false;
        return totalText >= 200 && ParagraphTextLength(e) * 2 > totalText;
    }

    /// <summary>Characters of text in the paragraphs under <paramref name="e"/>.</summary>
    public static int ParagraphTextLength(IElement e) => e.QuerySelectorAll("p").Sum(p => p.TextContent.Length);

    static int CountWords(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    sealed class Collector
    {
        readonly StringBuilder _text = new();
        int _linkChars;
        int _breaks;

        public List<(string Text, int LinkChars)> Blocks { get; } = [];

        public void Walk(INode node, bool inLink)
        {
            switch (node)
            {
                case IText text:
                    var data = text.Data;
                    if (string.IsNullOrWhiteSpace(data))
                    {
                        _text.Append(' ');
                        return;
                    }
                    _breaks = 0;
                    _text.Append(data);
                    if (inLink) _linkChars += data.Trim().Length;
                    return;
                case IElement element:
                    var tag = element.LocalName;
                    if (tag is "script" or "style" or "noscript" or "template" or "svg" or "img" or "head") return;
                    if (tag == "br")
                    {
                        if (++_breaks >= 2) Flush();
                        else _text.Append(' ');
                        return;
                    }
                    bool block = BlockTags.Contains(tag);
                    if (block) Flush();
                    foreach (var child in element.ChildNodes)
                        Walk(child, inLink || tag == "a");
                    if (block) Flush();
                    return;
                case IDocument document:
                    foreach (var child in document.ChildNodes) Walk(child, inLink);
                    return;
            }
        }

        public void Flush()
        {
            _breaks = 0;
            if (_text.Length == 0) return;
            var cleaned = TextNormalizer.CleanInline(_text.ToString());
            if (cleaned.Length > 0) Blocks.Add((cleaned, Math.Min(_linkChars, cleaned.Length)));
            _text.Clear();
            _linkChars = 0;
        }
    }

    [GeneratedRegex(@"[\s\-_:.]+")] private static partial Regex NameWords();
    [GeneratedRegex(@"([a-z])([A-Z])")] private static partial Regex CamelBoundary();
    [GeneratedRegex(@"display\s*:\s*none|visibility\s*:\s*hidden", RegexOptions.IgnoreCase)] private static partial Regex HiddenStyle();

    [GeneratedRegex(@"(?:^|[\s_\-])(?:most-?(?:read|popular|viewed|shared)|read-?more|more-?(?:stories|news|from)|also-?read|you-?may-?(?:also-?)?like|further-?reading|sr-?only|visually-?hidden|screen-?reader|site-?(?:header|footer)|page-?(?:header|footer)|global-?(?:header|footer)|top-?bar|skip-?link|author-?(?:bio|box|info|card))(?:$|[\s_\-])", RegexOptions.IgnoreCase)]
    private static partial Regex CompoundBoilerplate();

    [GeneratedRegex(@"^(?:by|words by|written by|story by)\s+[\p{L}][\p{L}\p{M}.'’\- ,&]{1,80}$", RegexOptions.IgnoreCase)]
    private static partial Regex Byline();

    [GeneratedRegex(@"^(?:advertisement|advert|sponsored( content)?|share( this)?( article| story| page)?( on \w+)?|share on \w+|tweet|email|print|read more|read next|related( articles| stories| content)?|comments?|\d+ comments?|skip to (?:main )?content|accept( all)?( cookies)?|reject all|manage (?:cookies|preferences)|subscribe( now)?|sign up|log ?in|sign in|listen to (?:this )?article|(?:published|updated|last updated|posted)(?: on| at)?:? .{1,40}|the post .{1,200} appeared first on .{1,100})\.?$", RegexOptions.IgnoreCase)]
    private static partial Regex BoilerplateLine();

    [GeneratedRegex(@"\b(?:(?:this|our) (?:web)?site uses cookies|we use cookies|uses? of cookies|accept (?:all )?cookies|cookie (?:policy|settings|preferences)|consent to (?:the use of )?cookies)\b", RegexOptions.IgnoreCase)]
    private static partial Regex CookieNotice();

    // the banner asks the reader to do something; a story about cookies ("its use of cookies breached the law") does not
    [GeneratedRegex(@"\b(?:accept|agree|consent|(?:by )?continu(?:e|ing) (?:to )?(?:use|brows)|manage (?:your )?(?:cookies|preferences|settings|choices)|opt[- ]out|reject)\w*\b", RegexOptions.IgnoreCase)]
    private static partial Regex ConsentWording();

    [GeneratedRegex(@"^(?:read more|read next|more on this story|related|see also|also read)\s*(?:[:：]|\s[\-–—]\s)\s*\S", RegexOptions.IgnoreCase)]
    private static partial Regex ReadMoreTeaser();
}
