using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Stories;
using NewsBot.Core.Time;

namespace NewsBot.Cli;

/// <summary>
/// <c>stories [--since 48h|7d|DATE|all] [--top N]</c>: the stories with an article in the window, most covered
/// first; <c>stories show ID</c>: one story's articles in time order; <c>stories rebuild</c>: cluster everything again.
/// </summary>
public static class StoriesCommand
{
    public const string DefaultSince = "48h";

    public static Command Create(NewsBotCli cli)
    {
        var since = new Option<string>("--since") { Description = "Stories with an article since: 48h (default), 7d, 2w, a date (2026-11-01) or all", DefaultValueFactory = _ => DefaultSince };
        var top = new Option<int?>("--top") { Description = "Only the N most covered stories (default: all)" };
        var cmd = new Command("stories", "Stories: the articles of several outlets on one event, grouped as they arrive") { since, top };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, (sp, output, token) => ListAsync(sp, output, parse.GetValue(since) ?? DefaultSince, parse.GetValue(top), token)));

        var id = new Argument<string>("id") { Description = "The story id (from stories)" };
        var show = new Command("show", "One story with its articles in time order") { id };
        show.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, (sp, output, token) => ShowAsync(sp, output, parse.GetValue(id) ?? "", token)));
        cmd.Subcommands.Add(show);

        var rebuild = new Command("rebuild", "Forget every story and cluster all articles again, oldest first");
        rebuild.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var assigner = sp.GetRequiredService<IStoryAssigner>();
            int n = await assigner.RebuildAsync(null, token);
            var stories = await sp.GetRequiredService<IStoryStore>().ListStoriesAsync(null, null, token);
            if (output.Json) output.WriteJson(new { articles = n, stories = stories.Count });
            else output.Line($"Clustered {n} articles into {stories.Count} stories.");
            return 0;
        }));
        cmd.Subcommands.Add(rebuild);
        return cmd;
    }

    public static async Task<int> ListAsync(IServiceProvider sp, CliOutput output, string since, int? top, CancellationToken ct, bool jsonLine = false)
    {
        if (top is < 1)
        {
            output.Error("stories: --top must be 1 or more.");
            return 2;
        }
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
        DateTimeOffset? from = null;
        if (!since.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            from = TimeExpressions.ParseSince(since, now, TimeZoneInfo.Utc, out var err);
            if (err is not null || from is null)
            {
                output.Error($"--since: {err ?? "use 48h, 7d, a date (2026-11-01) or all"}");
                return 2;
            }
        }
        await CatchUpAsync(sp, ct);
        var stories = await sp.GetRequiredService<IStoryStore>().ListStoriesAsync(from, top, ct);
        if (output.Json)
        {
            var doc = new { since = CliOutput.IsoDate(from), until = CliOutput.IsoDate(now), stories = stories.Select(ToJson) };
            if (jsonLine) output.WriteJsonLine(doc);
            else output.WriteJson(doc);
            return 0;
        }
        if (stories.Count == 0)
        {
            output.Line(from is null ? "No stories yet: ingest some articles first." : $"No stories since {CliOutput.FormatDate(from)}. Try --since 7d or --since all.");
            return 0;
        }
        output.Line(from is null ? $"{stories.Count} stories:" : $"{stories.Count} stories since {CliOutput.IsoDate(from)}:");
        int i = 0;
        foreach (var s in stories)
        {
            output.Line();
            output.Line($"{++i}. {s.Title}  [{s.Id}]");
            output.Line($"   {s.Articles.Count} article{(s.Articles.Count == 1 ? "" : "s")} from {Outlets(s)}; {CliOutput.FormatDate(s.FirstSeen)} to {CliOutput.FormatDate(s.LastSeen)}");
        }
        return 0;
    }

    public static async Task<int> ShowAsync(IServiceProvider sp, CliOutput output, string id, CancellationToken ct, bool jsonLine = false)
    {
        await CatchUpAsync(sp, ct);
        var story = await sp.GetRequiredService<IStoryStore>().GetStoryAsync(id.Trim(), ct);
        if (story is null)
        {
            output.Error($"No story '{id}'. List them with: newsbot stories --since all");
            return 1;
        }
        if (output.Json)
        {
            if (jsonLine) output.WriteJsonLine(ToJson(story));
            else output.WriteJson(ToJson(story));
            return 0;
        }
        output.Line($"{story.Title}  [{story.Id}]");
        output.Line($"{story.Articles.Count} article{(story.Articles.Count == 1 ? "" : "s")} from {Outlets(story)}; {CliOutput.FormatDate(story.FirstSeen)} to {CliOutput.FormatDate(story.LastSeen)}");
        foreach (var a in story.Articles)
        {
            output.Line();
            output.Line($"  {CliOutput.FormatDate(a.Published)}  {a.Outlet ?? "(no outlet)"}: {a.Title}");
            output.Line($"    {a.Url}   [{a.Id}]");
        }
        return 0;
    }

    /// <summary>Articles still without a story (an upgraded database, an interrupted run) are assigned before anything is listed.</summary>
    static async Task CatchUpAsync(IServiceProvider sp, CancellationToken ct)
        => await sp.GetRequiredService<IStoryAssigner>().AssignPendingAsync(ct);

    static string Outlets(Story s) => s.Outlets.Count == 0 ? "no named outlet" : string.Join(", ", s.Outlets);

    public static object ToJson(Story s) => new
    {
        story_id = s.Id,
        title = s.Title,
        first_seen = CliOutput.IsoDate(s.FirstSeen),
        last_seen = CliOutput.IsoDate(s.LastSeen),
        outlets = s.Outlets,
        articles = s.Articles.Select(a => new { article_id = a.Id, title = a.Title, outlet = a.Outlet, published = CliOutput.IsoDate(a.Published), url = a.Url }),
    };

    /// <summary>
    /// The <c>/stories</c> chat verb: <c>/stories [--since X] [--top N]</c>, <c>/stories show ID</c> (or <c>/story ID</c>).
    /// Parsed here rather than by System.CommandLine because chat lines are not process arguments. With
    /// <c>chat --json</c> the result is one JSON document on one line, like the answers.
    /// </summary>
    public static async Task<int> ChatAsync(IServiceProvider sp, CliOutput output, string line, CancellationToken ct)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words[0] == "/story") return words.Length == 2 ? await ShowAsync(sp, output, words[1], ct, jsonLine: true) : Usage();
        if (words.Length >= 2 && words[1] == "show") return words.Length == 3 ? await ShowAsync(sp, output, words[2], ct, jsonLine: true) : Usage();
        string since = DefaultSince;
        int? top = null;
        for (int i = 1; i < words.Length; i++)
        {
            if (words[i] == "--since" && i + 1 < words.Length) since = words[++i];
            else if (words[i] == "--top" && i + 1 < words.Length && int.TryParse(words[++i], out var n)) top = n;
            else return Usage();
        }
        return await ListAsync(sp, output, since, top, ct, jsonLine: true);

        int Usage()
        {
            output.Error("Usage: /stories [--since 48h|7d|DATE|all] [--top N], /stories show ID");
            return 2;
        }
    }
}
