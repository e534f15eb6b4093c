using System.Globalization;
using NewsBot.Core.Answering;

namespace NewsBot.Cli;

/// <summary>Terminal and JSON renderings of an answer.</summary>
public static class AnswerPrinter
{
    public static object ToJson(AnswerResult r, object? id)
    {
        var json = BaseJson(r, id);
        if (r.Story is not { } story) return json;
        // coverage answers only: the story they are about (other answers keep their shape)
        var node = System.Text.Json.JsonSerializer.SerializeToNode(json, CliOutput.JsonOptions)!.AsObject();
        node["story"] = System.Text.Json.JsonSerializer.SerializeToNode(new
        {
            id = story.StoryId,
            title = story.Title,
            kind = story.Kind.ToString().ToLowerInvariant(),
            outlets = story.Outlets,
        }, CliOutput.JsonOptions);
        return node;
    }

    static object BaseJson(AnswerResult r, object? id) => new
    {
        id,
        question = r.Question,
        standalone_query = r.StandaloneQuery,
        answer = r.Answer,
        refused = r.Refused,
        mode = r.Mode == AnswerMode.Llm ? "llm" : "extractive",
        citations = r.Citations.Select(c => new
        {
            n = c.N,
            article_id = c.ArticleId,
            title = c.Title,
            outlet = c.Outlet,
            author = c.Author,
            published = CliOutput.IsoDate(c.Published),
            url = c.Url,
            snippet = c.Snippet,
        }),
        closest_headlines = r.ClosestHeadlines,
        note = r.Note,
        relevance = r.Relevance,
        timings_ms = r.TimingsMs.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 1)),
    };

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
                var meta = string.Join(", ", new[] { c.Outlet, c.Published?.ToString("d MMM yyyy", CultureInfo.InvariantCulture) }.Where(x => !string.IsNullOrWhiteSpace(x)));
                output.Line($"[{c.N}] {c.Title}{(meta.Length > 0 ? " — " + meta : "")}");
                output.Line($"    {c.Url}");
            }
        }
        if (r.Note is { } note)
        {
            output.Line();
            output.Line("(" + note + ")");
        }
    }
}
