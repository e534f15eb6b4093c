using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Digests;
using NewsBot.Core.Model;
using NewsBot.Core.Time;

namespace NewsBot.Cli;

/// <summary><c>digest [--since 24h] [--top N] [--json]</c>: the main stories of a window, each summarised with citations.</summary>
public static class DigestCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var since = new Option<string?>("--since") { Description = "The window: 24h (default), 48h, 7d or a date (2026-11-01)" };
        var top = new Option<int?>("--top") { Description = "How many stories (default Digest:Top)" };
        var cmd = new Command("digest", "The top stories of a window, each with a short cited summary") { since, top };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var request = Request(sp, parse.GetValue(since), parse.GetValue(top), out var error);
            if (request is null)
            {
                output.Error("digest: " + error);
                return 2;
            }
            var digest = await sp.GetRequiredService<DigestComposer>().ComposeAsync(request, token);
            Write(output, digest);
            return 0;
        }));
        return cmd;
    }

    /// <summary>The request for a --since / --top pair (also used by <c>chat</c>); null with an error when unusable.</summary>
    public static DigestRequest? Request(IServiceProvider sp, string? since, int? top, out string? error)
    {
        error = null;
        var options = sp.GetRequiredService<DigestOptions>();
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
        var from = now - options.Window;
        if (since is not null && TimeExpressions.ParseSince(since, now, TimeZoneInfo.Utc, out error) is { } parsed) from = parsed;
        if (error is not null) { error = "--since: " + error; return null; }
        var n = top ?? options.Top;
        if (n is < 1 or > 100) { error = "--top must be between 1 and 100."; return null; }
        return new DigestRequest { Since = from, Until = now, Top = n };
    }

    /// <summary><c>/digest [--since 24h] [--top N]</c> in <c>chat</c> (with --json: one JSON document on one line).</summary>
    public static async Task ChatAsync(IServiceProvider sp, CliOutput output, string line, CancellationToken ct)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        string? since = null;
        int? top = null;
        string? error = null;
        for (int i = 0; i < words.Count && error is null; i++)
        {
            if (words[i] == "--since" && i + 1 < words.Count) since = words[++i];
            else if (words[i] == "--top" && i + 1 < words.Count && int.TryParse(words[i + 1], out var n)) { top = n; i++; }
            else error = $"unknown argument '{words[i]}'; use /digest [--since 24h] [--top N].";
        }
        var request = error is null ? Request(sp, since, top, out error) : null;
        if (request is null)
        {
            output.Error("digest: " + error);
            return;
        }
        Write(output, await sp.GetRequiredService<DigestComposer>().ComposeAsync(request, ct).ConfigureAwait(false), jsonLine: true);
    }

    public static void Write(CliOutput output, Digest digest, bool jsonLine = false)
    {
        if (output.Json)
        {
            var json = new DigestJson(
                CliOutput.IsoDate(digest.Since), CliOutput.IsoDate(digest.Until)!,
                digest.Stories.Select(s => new DigestStoryJson(s.StoryId, s.Title, s.Summary, s.Outlets, s.Articles.Select(ArticleJson.Of).ToList())).ToList(),
                digest.Note);
            if (jsonLine) output.WriteJsonLine(json);
            else output.WriteJson(json);
            return;
        }
        if (digest.Stories.Count == 0)
        {
            output.Line($"Nothing new since {CliOutput.FormatDate(digest.Since)}.");
            return;
        }
        output.Line($"Top stories since {digest.Since:yyyy-MM-dd HH:mm} UTC:");
        int i = 0;
        foreach (var s in digest.Stories)
        {
            output.Line();
            output.Line($"{++i}. {s.Title}  ({string.Join(", ", s.Outlets)})");
            output.Line($"   {s.Summary}");
            int n = 0;
            foreach (var a in s.Articles)
                output.Line($"   [{++n}] {a.Title} — {a.Outlet ?? "unknown outlet"}, {CliOutput.FormatDate(a.Published)} {a.Url}");
        }
        if (digest.Note is { } note) { output.Line(); output.Line(note); }
    }

    sealed record DigestJson(string? Since, string Until, List<DigestStoryJson> Stories, string? Note);

    sealed record DigestStoryJson(string StoryId, string Title, string Summary, IReadOnlyList<string> Outlets, List<ArticleJson> Articles);
}

/// <summary>An article in CLI JSON: <c>{"article_id","title","outlet","published","url"}</c>.</summary>
public sealed record ArticleJson(string ArticleId, string Title, string? Outlet, string? Published, string Url)
{
    public static ArticleJson Of(ArticleRef a) => new(a.Id, a.Title, a.Outlet, CliOutput.IsoDate(a.Published), a.Url);
}
