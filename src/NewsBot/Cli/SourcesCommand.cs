using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;

namespace NewsBot.Cli;

/// <summary><c>sources</c>: what the index holds, by outlet.</summary>
public static class SourcesCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var cmd = new Command("sources", "Outlets and article counts in the store");
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var store = sp.GetRequiredService<IArticleStore>();
            var index = sp.GetRequiredService<IArticleIndex>();
            var counts = await store.GetCountsAsync(token);
            var stats = await index.GetStatsAsync(token);
            var outlets = await store.GetOutletsAsync(token);
            if (output.Json)
            {
                output.WriteJson(new SourcesJson(counts.Articles, stats.Chunks, counts.Duplicates,
                    outlets.Select(o => new OutletJson(o.Outlet.Length == 0 ? null : o.Outlet, o.Articles, CliOutput.IsoDate(o.Newest)))));
            }
            else
            {
                output.Line($"{counts.Articles} articles, {stats.Chunks} chunks ({stats.Provider} index), {counts.Duplicates} duplicates recognised.");
                foreach (var o in outlets)
                    output.Line($"  {(o.Outlet.Length == 0 ? "(no outlet)" : o.Outlet),-40} {o.Articles,6}  newest {CliOutput.FormatDate(o.Newest)}");
            }
            return 0;
        }));
        return cmd;
    }
}
