using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Time;

namespace NewsBot.Cli;

/// <summary><c>search "query" [--top N] [--outlet NAME] [--since 24h|7d|DATE] [--until DATE]</c>.</summary>
public static class SearchCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var query = new Argument<string>("query") { Description = "What to search for" };
        var top = new Option<int>("--top") { Description = "How many results", DefaultValueFactory = _ => 10 };
        var outlet = new Option<string[]>("--outlet") { Description = "Only these outlets (repeatable)", AllowMultipleArgumentsPerToken = false };
        var since = new Option<string?>("--since") { Description = "Published since: 24h, 7d, 2w or a date (2025-03-01)" };
        var until = new Option<string?>("--until") { Description = "Published before: a date or a span ago" };
        var mode = new Option<RetrievalMode?>("--mode") { Description = "hybrid (default), dense or lexical" };
        var recency = new Option<double?>("--recency") { Description = "Recency boost weight (overrides Index:RecencyWeight)" };
        var cmd = new Command("search", "Hybrid search over the indexed chunks") { query, top, outlet, since, until, mode, recency };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var q = parse.GetValue(query) ?? "";
            if (cli.OwnsProcess) NewsBot.Sqlite.SqliteArticleIndex.BuildsScanCopies = false; // one search, then the process ends
            if (string.IsNullOrWhiteSpace(q))
            {
                output.Error("search: the query is empty.");
                return 2;
            }
            int n = parse.GetValue(top);
            if (n is < 1 or > 1000)
            {
                output.Error("search: --top must be between 1 and 1000.");
                return 2;
            }
            var time = sp.GetRequiredService<TimeProvider>();
            var now = time.GetUtcNow();
            DateTimeOffset? after = null, before = null;
            if (parse.GetValue(since) is { } s)
            {
                after = TimeExpressions.ParseSince(s, now, TimeZoneInfo.Utc, out var err);
                if (err is not null) { output.Error("--since: " + err); return 2; }
            }
            if (parse.GetValue(until) is { } u)
            {
                before = TimeExpressions.ParseSince(u, now, TimeZoneInfo.Utc, out var err);
                if (err is not null) { output.Error("--until: " + err); return 2; }
            }
            var outlets = parse.GetValue(outlet) ?? [];
            var filter = new SearchFilter
            {
                Outlets = outlets.Length > 0 ? outlets : null,
                PublishedAfter = after,
                PublishedBefore = before,
                IncludeUndated = after is null && before is null,
            };
            var retriever = sp.GetRequiredService<Retriever>();
            var result = await retriever.SearchAsync(new RetrievalRequest
            {
                Query = q,
                Top = n,
                Filter = filter,
                Mode = parse.GetValue(mode),
                RecencyWeight = parse.GetValue(recency),
            }, token);
            if (output.Json)
            {
                output.WriteJson(SearchJson.From(q, result));
            }
            else if (result.Hits.Count == 0)
            {
                output.Line("No results.");
            }
            else
            {
                int i = 0;
                foreach (var h in result.Hits)
                {
                    output.Line($"{++i,2}. {h.Article.Title} — {h.Article.Outlet ?? "unknown outlet"}, {CliOutput.FormatDate(h.Article.Published)}  (score {h.Score:0.0000})");
                    output.Line($"    {h.Article.Url}");
                    output.Line($"    {NewsBot.Core.Text.TextNormalizer.Truncate(h.Text.Replace('\n', ' '), 240)}");
                }
            }
            return 0;
        }));
        return cmd;
    }
}
