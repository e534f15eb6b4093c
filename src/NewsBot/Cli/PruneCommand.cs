using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Retention;
using NewsBot.Core.Time;
using NewsBot.Indexing;

namespace NewsBot.Cli;

/// <summary><c>prune [--older-than 180d] [--json]</c>: articles older than the window leave the index (and, unless kept, the store).</summary>
public static class PruneCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var olderThan = new Option<string?>("--older-than") { Description = "The window: 180d, 48h, 6mo, 1y or a date (2026-01-01); default Storage:RetainDays" };
        var cmd = new Command("prune", "Remove articles older than the retention window from the index and the store (their citations stay resolvable)") { olderThan };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var pruner = sp.GetRequiredService<IndexPruner>();
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
            DateTimeOffset cutoff;
            if (parse.GetValue(olderThan) is { } value)
            {
                if (TimeExpressions.ParseSince(value, now, TimeZoneInfo.Utc, out var error) is not { } parsed)
                {
                    output.Error($"prune: --older-than: {error ?? "not a duration or date"}");
                    return 2;
                }
                if (parsed > now)
                {
                    output.Error($"prune: --older-than {value} is in the future; give a window such as 180d or a past date.");
                    return 2;
                }
                cutoff = parsed;
            }
            else if (pruner.Policy.Cutoff(now) is { } configured) cutoff = configured;
            else
            {
                output.Error("prune: nothing to prune by: neither --older-than (e.g. --older-than 180d) nor Storage:RetainDays is set, and by default every article is kept.");
                return 2;
            }
            if (!output.Json) output.Progress($"Pruning articles dated before {cutoff:yyyy-MM-dd HH:mm} UTC…");
            var report = await pruner.PruneAsync(cutoff, token);
            output.EndProgress();
            if (output.Json) output.WriteJson(report);
            else Write(output, report);
            return 0;
        }));
        return cmd;
    }

    static void Write(CliOutput output, PruneReport r)
    {
        output.Line(r.Articles == 0
            ? $"No articles dated before {r.Cutoff:yyyy-MM-dd HH:mm} UTC."
            : $"Pruned {r.Articles} articles ({r.Chunks} chunks) dated before {r.Cutoff:yyyy-MM-dd HH:mm} UTC; their titles, outlets and links stay for earlier answers, stories and follows{(r.KeptText ? " (text kept: Storage:KeepArticleText)" : "")}.");
        output.Line($"Database: {Mb(r.BytesBefore)} -> {Mb(r.BytesAfter)}{(r.SwitchedToIncrementalVacuum ? $" (switched to incremental vacuum with a one-time VACUUM, {r.VacuumMs} ms)" : "")}.");
    }

    static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):0.0} MB";
}
