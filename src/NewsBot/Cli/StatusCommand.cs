using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;

namespace NewsBot.Cli;

/// <summary><c>status</c>: what the store holds, which models answer, and feeds that fail (as Telegram's /status).</summary>
public static class StatusCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var cmd = new Command("status", "Articles, chunks, last ingest, feed errors, models and store");
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var s = await sp.GetRequiredService<ISystemStatusProvider>().GetStatusAsync(token);
            if (output.Json)
            {
                output.WriteJson(new
                {
                    articles = s.Articles,
                    chunks = s.Chunks,
                    last_ingested = CliOutput.IsoDate(s.LastIngestedAt),
                    feeds = s.Feeds,
                    feeds_with_errors = s.FeedsWithErrors.Select(f => new { url = f.Url, error = f.Error, at = CliOutput.IsoDate(f.At) }),
                    embedding_model = s.EmbeddingModel,
                    llm_model = s.LlmModel,
                    answer_mode = s.AnswerMode,
                    index = s.IndexProvider,
                    store = s.StorePath,
                    store_bytes = s.StoreSizeBytes,
                });
                return 0;
            }
            output.Line($"{s.Articles} article{(s.Articles == 1 ? "" : "s")}, {s.Chunks} chunk{(s.Chunks == 1 ? "" : "s")} in the {s.IndexProvider} index; last ingest {CliOutput.IsoDate(s.LastIngestedAt) ?? "never"}");
            output.Line($"Embeddings: {s.EmbeddingModel}; answers: {s.AnswerMode}{(s.LlmModel is null ? "" : $" ({s.LlmModel})")}");
            output.Line($"Store: {s.StorePath} ({(s.StoreSizeBytes ?? 0) / 1048576.0:0.0} MB)");
            output.Line($"Feeds: {s.Feeds}, {s.FeedsWithErrors.Count} failing");
            foreach (var f in s.FeedsWithErrors) output.Line($"  {f.Url}: {f.Error}");
            return 0;
        }));
        return cmd;
    }
}
