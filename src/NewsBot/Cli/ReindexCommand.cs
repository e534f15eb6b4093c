using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Hosting;
using NewsBot.Indexing;

namespace NewsBot.Cli;

/// <summary><c>reindex [--to qdrant|embedded] [--restart]</c>.</summary>
public static class ReindexCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var to = new Option<string?>("--to") { Description = "qdrant or embedded (default: the configured Index:Provider, rebuilt with the configured embedding model)" };
        to.AcceptOnlyFromAmong("qdrant", "embedded", "Qdrant", "Embedded");
        var restart = new Option<bool>("--restart") { Description = "Start over instead of resuming an interrupted reindex" };
        var cmd = new Command("reindex", "Copy every article into another index, or rebuild the index after changing the embedding model (resumable)") { to, restart };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var configured = sp.GetRequiredService<IOptions<IndexOptions>>().Value.Provider;
            var target = parse.GetValue(to)?.ToLowerInvariant() switch
            {
                "qdrant" => IndexProvider.Qdrant,
                "embedded" => IndexProvider.Embedded,
                _ => configured,
            };
            var report = await new Reindexer(sp, output).RunAsync(target, parse.GetValue(restart), token);
            if (output.Json) output.WriteJson(report);
            else
            {
                output.Line($"Reindexed {report.Articles} articles ({report.Chunks} chunks) into the {report.Target} index with {report.Model}: {report.Copied} copied, {report.Reembedded} re-embedded, {report.Failed} failed.");
                if (target != configured)
                    output.Line($"To search it, set Index:Provider to {target} (environment: Index__Provider={target}).");
            }
            return report.Failed > 0 && report.Articles == 0 ? 1 : 0;
        }));
        return cmd;
    }
}
