using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace NewsBot.Core.Text;

/// <summary>
/// Markdown to plain text with Markdig (CommonMark plus pipe and grid tables): every block (paragraph, heading,
/// list item, quote, code block, table row) becomes a paragraph of its text, separated by blank lines; emphasis,
/// links, images (their alt text), inline code and HTML tags are reduced to their text. Line breaks inside a
/// paragraph are kept, so a text with no blank lines still reads one paragraph per line.
/// </summary>
/// <remarks>Markdig is a pure parser (no I/O), so it sits with the rest of the text handling in the domain.</remarks>
public static class MarkdownText
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseGridTables().UseYamlFrontMatter().Build();

    public static string ToText(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var paragraphs = new List<string>();
        Blocks(document, paragraphs);
        return string.Join("\n\n", paragraphs.Where(p => !string.IsNullOrWhiteSpace(p)));
    }

    static void Blocks(ContainerBlock container, List<string> paragraphs)
    {
        foreach (var block in container)
        {
            switch (block)
            {
                case Table table:
                    foreach (var row in table.OfType<TableRow>())
                        paragraphs.Add(string.Join(", ", row.OfType<TableCell>().Select(CellText).Where(c => c.Length > 0)));
                    break;
                case ContainerBlock inner: // lists, list items, quotes, front matter is a leaf
                    Blocks(inner, paragraphs);
                    break;
                case Markdig.Extensions.Yaml.YamlFrontMatterBlock:
                case HtmlBlock { Type: HtmlBlockType.Comment }:
                    break;
                case HtmlBlock html:
                    paragraphs.Add(StripTags(html.Lines.ToString()));
                    break;
                case CodeBlock code: // fenced or indented: its lines as they are
                    paragraphs.Add(code.Lines.ToString());
                    break;
                case LeafBlock { Inline: { } inline }: // paragraphs and headings
                    paragraphs.Add(Inlines(inline));
                    break;
            }
        }
    }

    static string CellText(TableCell cell)
    {
        var parts = new List<string>();
        Blocks(cell, parts);
        return string.Join(' ', parts).Trim();
    }

    static string Inlines(ContainerInline container)
    {
        var sb = new StringBuilder();
        Append(container, sb);
        return sb.ToString().Trim();
    }

    static void Append(Inline? inline, StringBuilder sb)
    {
        for (; inline is not null; inline = inline.NextSibling)
        {
            switch (inline)
            {
                case LiteralInline literal: sb.Append(literal.Content.AsSpan()); break;
                case CodeInline code: sb.Append(code.Content); break;
                case LineBreakInline: sb.Append('\n'); break;
                case HtmlEntityInline entity: sb.Append(entity.Transcoded.AsSpan()); break;
                case AutolinkInline autolink: sb.Append(autolink.Url); break;
                case HtmlInline: break; // tags go, the text between them stays
                case ContainerInline inner: Append(inner.FirstChild, sb); break; // emphasis, links, images (alt text)
            }
        }
    }

    static string StripTags(string html) => System.Text.RegularExpressions.Regex.Replace(html, "<!--.*?-->|</?[A-Za-z][^>]*>", "", System.Text.RegularExpressions.RegexOptions.Singleline).Trim();
}
