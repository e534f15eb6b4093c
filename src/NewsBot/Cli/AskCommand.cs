using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Answering;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Hosting;

namespace NewsBot.Cli;

/// <summary><c>ask "question" [--chat ID] [--json]</c> and <c>ask --stdin</c>.</summary>
public static class AskCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var question = new Argument<string?>("question") { Description = "The question", Arity = ArgumentArity.ZeroOrOne };
        var chat = new Option<string?>("--chat") { Description = "Conversation id: follow-ups in the same conversation work across invocations", HelpName = "ID" };
        var stdin = new Option<bool>("--stdin") { Description = "Read one question per line (text, or JSON {\"id\",\"question\",\"chat\"}) and print one JSON result per line" };
        var cmd = new Command("ask", "Answer a question from the indexed news, with cited sources") { question, chat, stdin };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            // one question and the process ends: the scan's background copies would only compete with the answer
            if (cli.OwnsProcess && !parse.GetValue(stdin)) NewsBot.Sqlite.SqliteArticleIndex.BuildsScanCopies = false;
            var service = sp.GetRequiredService<IAnswerService>();
            await EnsureSamplesAsync(sp, output, token);
            StartupTrace.Mark("store checked (samples)");
            if (parse.GetValue(stdin))
            {
                if (parse.GetValue(question) is { } given)
                {
                    output.Error($"ask: give either a question or --stdin, not both (got --stdin and \"{given}\").");
                    return 2;
                }
                return await RunStdinAsync(cli, service, output, parse.GetValue(chat), token);
            }
            var q = parse.GetValue(question);
            if (string.IsNullOrWhiteSpace(q))
            {
                output.Error("ask: give a question, e.g. newsbot ask \"What happened in Kyiv?\", or use --stdin.");
                return 2;
            }
            var conversation = parse.GetValue(chat) is { } c ? "cli:" + c : null;
            if (StartupTrace.Enabled) await TracePhasesAsync(sp, q, token);
            var result = await service.AnswerAsync(new AnswerRequest { Question = q, ConversationId = conversation }, token);
            StartupTrace.Mark("answered");
            if (output.Json) output.WriteJson(AnswerPrinter.ToJson(result, null));
            else AnswerPrinter.Print(output, result);
            StartupTrace.Mark("printed");
            return 0;
        }));
        return cmd;
    }

    static async Task<int> RunStdinAsync(NewsBotCli cli, IAnswerService service, CliOutput output, string? defaultChat, CancellationToken ct)
    {
        string? line;
        int lineNo = 0;
        while ((line = await cli.ReadLineAsync(ct)) is not null)
        {
            lineNo++;
            if (lineNo == 1) line = line.TrimStart('\uFEFF'); // a UTF-8 BOM (Windows tools) would hide the '{'
            if (string.IsNullOrWhiteSpace(line)) continue;
            object? id = lineNo;
            string? q = line.Trim();
            string? chatId = defaultChat;
            if (q.StartsWith('{'))
            {
                try
                {
                    using var doc = JsonDocument.Parse(q);
                    var root = doc.RootElement;
                    if (root.TryGetProperty("id", out var idEl))
                    {
                        id = idEl.ValueKind switch
                        {
                            JsonValueKind.String => idEl.GetString(),
                            JsonValueKind.Number => idEl.Clone(), // echoed as given
                            JsonValueKind.Null => lineNo,
                            _ => throw new FieldTypeException("\"id\" must be a string or a number"),
                        };
                    }
                    q = root.TryGetProperty("question", out var qEl) ? qEl.ValueKind switch
                    {
                        JsonValueKind.String => qEl.GetString(),
                        JsonValueKind.Null => null,
                        _ => throw new FieldTypeException("\"question\" must be a string"),
                    } : null;
                    if (root.TryGetProperty("chat", out var cEl))
                    {
                        chatId = cEl.ValueKind switch
                        {
                            JsonValueKind.String => cEl.GetString(),
                            JsonValueKind.Null => defaultChat,
                            _ => throw new FieldTypeException("\"chat\" must be a string"),
                        };
                    }
                }
                catch (FieldTypeException ex)
                {
                    output.WriteJsonLine(new AnswerErrorJson(id, ex.Message));
                    continue;
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException)
                {
                    // InvalidOperationException: valid JSON syntax whose string is not valid UTF-16 (a lone surrogate escape).
                    output.WriteJsonLine(new AnswerErrorJson(id, "invalid JSON: " + ex.Message));
                    continue;
                }
            }
            if (string.IsNullOrWhiteSpace(q))
            {
                output.WriteJsonLine(new AnswerErrorJson(id, "no question on this line"));
                continue;
            }
            try
            {
                var result = await service.AnswerAsync(new AnswerRequest { Question = q, ConversationId = chatId is null ? null : "cli:" + chatId }, ct);
                output.WriteJsonLine(AnswerPrinter.ToJson(result, id));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // One failing question must not lose the rest of the batch.
                output.WriteJsonLine(new AnswerErrorJson(id, "failed: " + NewsBotCli.Messages(ex)));
            }
        }
        return 0;
    }

    /// <summary>
    /// With the start-up trace on, the two things the answer waits for first (the retriever runs them side by side) are
    /// done one after the other and timed apart: the index load and the model's session with the first embedding.
    /// </summary>
    static async Task TracePhasesAsync(IServiceProvider sp, string question, CancellationToken ct)
    {
        if (sp.GetRequiredService<IArticleIndex>() is IPreloadable index) await index.PreloadAsync(ct);
        StartupTrace.Mark("index loaded (trace only: otherwise beside the embedding)");
        var embedder = sp.GetRequiredService<NewsBot.Core.Retrieval.Embedder>();
        StartupTrace.Mark("embedder resolved (model files, tokenizer)");
        await embedder.EmbedQueryAsync(question, ct);
        StartupTrace.Mark("question embedded (session created on first use)");
        await embedder.EmbedQueryAsync(question, ct);
        StartupTrace.Mark("question embedded again (warm session)");
    }

    sealed class FieldTypeException(string message) : Exception(message);

    /// <summary>The quickstart: an empty store is filled from the sample articles before the first question.</summary>
    public static async Task EnsureSamplesAsync(IServiceProvider sp, CliOutput output, CancellationToken ct)
    {
        var store = sp.GetRequiredService<IArticleStore>();
        if (await store.HasArticlesAsync(ct)) return;
        var options = sp.GetRequiredService<IngestionOptions>();
        if (string.IsNullOrWhiteSpace(options.SampleDirectory)) return;
        var dir = Path.GetFullPath(options.SampleDirectory, sp.GetRequiredService<CliContext>().WorkingDirectory);
        if (!Directory.Exists(dir)) return;
        output.Error($"The store is empty: ingesting the sample articles in {dir} first (set Ingestion:SampleDirectory to \"\" to turn this off)…");
        var pipeline = sp.GetRequiredService<IngestionPipeline>();
        var summary = new IngestSummary();
        await foreach (var r in pipeline.IngestAsync([dir], ct)) summary.Count(r);
        output.Error($"Ingested {summary.Added} sample articles ({summary.Chunks} chunks).");
    }
}
