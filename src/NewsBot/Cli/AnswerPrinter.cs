using System.Globalization;
using NewsBot.Core.Answering;

namespace NewsBot.Cli;

/// <summary>Terminal and JSON renderings of an answer.</summary>
public static class AnswerPrinter
{
    internal static AnswerJson ToJson(AnswerResult r, object? id) => AnswerJson.From(r, id);

    public static void Print(CliOutput output, AnswerResult r)
    {
        output.Line(r.Answer);
        if (r.Refused && r.ClosestHeadlines.Count > 0)
        {
            output.Line();
            output.Line(Language.ClosestLead(Language.Detect(r.Question)));
            foreach (var h in r.ClosestHeadlines) output.Line("  - " + h);
        }
        if (r.Citations.Count > 0)
        {
            output.Line();
            output.Line("Sources:");
            foreach (var c in r.Citations)
            {
                var meta = string.Join(", ", new[] { c.Article.Outlet, c.Article.Published?.ToString("d MMM yyyy", CultureInfo.InvariantCulture) }.Where(x => !string.IsNullOrWhiteSpace(x)));
                output.Line($"[{c.N}] {c.Article.Title}{(meta.Length > 0 ? " — " + meta : "")}");
                output.Line($"    {c.Article.Url}");
            }
        }
        if (r.Note is { } note)
        {
            output.Line();
            output.Line("(" + note + ")");
        }
    }
}
