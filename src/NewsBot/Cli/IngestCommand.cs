using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;

namespace NewsBot.Cli;

/// <summary><c>ingest PATH|URL ...</c> and <c>ingest --opml FILE</c>.</summary>
public static class IngestCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Files, folders, web page URLs or feed URLs", Arity = ArgumentArity.ZeroOrMore };
        var opml = new Option<string?>("--opml") { Description = "Import the feeds of an OPML file (registers them and ingests their items)", HelpName = "FILE" };
        var cmd = new Command("ingest", "Ingest articles from files, folders, web pages and RSS/Atom feeds") { inputs, opml };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var items = parse.GetValue(inputs) ?? [];
            var opmlPath = parse.GetValue(opml);
            if (items.Length == 0 && opmlPath is null)
            {
                output.Error("Nothing to ingest: give files, folders or URLs (e.g. `newsbot ingest samples/`), or --opml FILE.");
                return 2;
            }
            var all = new List<string>(items);
            if (opmlPath is not null)
            {
                var feeds = sp.GetRequiredService<IOpmlReader>().Read(opmlPath);
                var store = sp.GetRequiredService<IFeedStore>();
                var time = sp.GetRequiredService<TimeProvider>();
                foreach (var f in feeds)
                {
                    await store.AddFeedAsync(new FeedRecord { Url = f.Url, Title = f.Title, AddedAt = time.GetUtcNow(), AddedBy = "opml", Trusted = true }, token);
                    all.Add(f.Url);
                }
                if (!output.Json) output.Line($"Imported {feeds.Count} feeds from {opmlPath}.");
            }
            return await RunAsync(sp, output, all, token);
        }));
        return cmd;
    }

    public static async Task<int> RunAsync(IServiceProvider sp, CliOutput output, IReadOnlyList<string> inputs, CancellationToken ct)
    {
        var pipeline = sp.GetRequiredService<IngestionPipeline>();
        var summary = new IngestSummary();
        var results = new List<IngestItemResult>();
        int? total = EstimateTotal(inputs, sp.GetRequiredService<IngestionOptions>());
        var started = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var r in pipeline.IngestAsync(inputs, ct).ConfigureAwait(false))
        {
            summary.Count(r);
            results.Add(r);
            if (!output.Json)
            {
                output.EndProgress();
                output.Line(Describe(r));
                output.Progress(ProgressLine(summary, total, started.Elapsed));
            }
        }
        output.EndProgress();
        await RefreshSearchStructuresAsync(sp, summary, ct).ConfigureAwait(false);
        if (output.Json)
        {
            output.WriteJson(IngestJson.From(results, summary));
        }
        else
        {
            output.Line($"Done in {started.Elapsed.TotalSeconds:0.0}s: {summary.Added} added, {summary.Updated} updated, {summary.Unchanged} unchanged, {summary.Duplicate} duplicate, {summary.Failed} failed ({summary.Chunks} chunks indexed).");
        }
        // non-zero only when nothing could be ingested
        bool nothing = summary.Total == 0 || summary.Failed == summary.Total;
        return nothing ? 1 : 0;
    }

    /// <summary>
    /// After a write, brings the in-memory search structures up to date once, so that the embedded store
    /// saves its snapshot here and the next `ask` starts from it instead of rebuilding the index.
    /// </summary>
    internal static async Task RefreshSearchStructuresAsync(IServiceProvider sp, IngestSummary summary, CancellationToken ct)
    {
        if (summary.Added + summary.Updated == 0) return;
        if (sp.GetRequiredService<IArticleIndex>() is IPreloadable index) await index.PreloadAsync(ct).ConfigureAwait(false);
    }

    static string Describe(IngestItemResult r) => r.Status switch
    {
        IngestStatus.Failed => $"failed     {r.Input}: {r.Error}",
        IngestStatus.Duplicate => $"duplicate  {r.Article?.Title} ({r.Input}) — same story as {r.DuplicateOf}",
        _ => $"{r.Status.ToString().ToLowerInvariant(),-10} {r.Article?.Title}{(r.Chunks > 0 && r.Status != IngestStatus.Unchanged ? $" ({r.Chunks} chunks)" : "")} — {r.Input}",
    };

    static string ProgressLine(IngestSummary s, int? total, TimeSpan elapsed)
    {
        int done = s.Total;
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        if (total is > 0 and var t)
        {
            int width = 24;
            int filled = Math.Min(width, (int)(width * (double)done / t));
            return $"[{new string('#', filled)}{new string('.', width - filled)}] {done}/{t} ({rate:0.0}/s)";
        }
        return $"{done} items ({rate:0.0}/s)";
    }

    /// <summary>Counts the files that folders hold, for the progress bar (URLs make the total unknown).</summary>
    static int? EstimateTotal(IReadOnlyList<string> inputs, IngestionOptions options)
    {
        int total = 0;
        foreach (var input in inputs)
        {
            if (File.Exists(input)) total++;
            else if (Directory.Exists(input))
            {
                try
                {
                    total += Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                        .Count(f => options.FileExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
            }
            else return null;
        }
        return total;
    }
}
