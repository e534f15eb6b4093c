using System.CommandLine;
using NewsBot.Soak;

namespace NewsBot.Cli;

/// <summary>
/// <c>soak [--chats 200] [--questions 5] [--corpus DIR] [--timeout S] [--json]</c>: the load test. Runs the real worker
/// in this process against a Bot API server on loopback (<see cref="SoakRun"/>) and reports replies, losses, duplicates,
/// order, latency, memory and the send rates the server saw. Exit code 0 when nothing was lost, duplicated or out of
/// order and the rates kept within Telegram:SendLimits; 1 otherwise.
/// </summary>
public static class SoakCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var chats = new Option<int>("--chats") { Description = "Chats asking at the same time (every other one a group)", DefaultValueFactory = _ => 200 };
        var questions = new Option<int>("--questions") { Description = "Questions each chat asks", DefaultValueFactory = _ => 5 };
        var corpus = new Option<string?>("--corpus") { Description = "Folder of articles to answer from (default: the samples folder)", HelpName = "DIR" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for all replies", DefaultValueFactory = _ => 600 };
        var cmd = new Command("soak", "Load test: many chats ask the real worker at once through a loopback Bot API server") { chats, questions, corpus, timeout };
        cmd.SetAction(async (parse, ct) =>
        {
            var output = cli.Output(parse);
            var ctx = cli.Context(parse);
            var n = parse.GetValue(chats);
            var q = parse.GetValue(questions);
            var seconds = parse.GetValue(timeout);
            if (n is < 1 or > 10_000 || q is < 1 or > 100 || seconds is < 10 or > 86_400)
            {
                output.Error("soak: --chats must be between 1 and 10000, --questions between 1 and 100, --timeout between 10 and 86400 seconds.");
                return 2;
            }
            var dir = Path.GetFullPath(parse.GetValue(corpus) ?? "samples", ctx.WorkingDirectory);
            if (!Directory.Exists(dir) && !File.Exists(dir))
            {
                output.Error($"soak: the corpus '{dir}' does not exist; pass --corpus with a folder of articles (the repository's samples folder).");
                return 2;
            }
            SoakReport report;
            try
            {
                report = await new SoakRun(ctx, new SoakSettings(n, q, dir, TimeSpan.FromSeconds(seconds)), output.Error).RunAsync(ct);
            }
            catch (Exception ex) when (NewsBotCli.UserError(ex) is { } message)
            {
                output.Error(message);
                return NewsBotCli.IsUsageError(ex) ? 2 : 1;
            }
            catch (TimeoutException ex)
            {
                output.Error(ex.Message);
                return 1;
            }
            if (output.Json) output.WriteJson(report);
            else Print(output, report);
            return report.Passed ? 0 : 1;
        });
        return cmd;
    }

    static void Print(CliOutput output, SoakReport r)
    {
        output.Line($"{r.Chats} chats ({r.PrivateChats} private, {r.GroupChats} groups) asked {r.Questions} questions in {r.DurationS:0.0} s over {r.Articles} articles");
        output.Line($"replies {r.Replies}, lost {r.Lost}, duplicated {r.Duplicated}, out of order {r.OutOfOrder}");
        output.Line($"latency p50 {r.LatencyMs.P50:0} ms, p95 {r.LatencyMs.P95:0} ms, max {r.LatencyMs.Max:0} ms; peak RSS {r.PeakRssMb:0} MB");
        output.Line($"sends: at most {r.MaxSendsPerS}/s overall (limit {r.Limits.MessagesPerSecond}), {r.MaxSendsPerChatPerS}/s in one chat " +
                    $"(limit {r.Limits.PerChatPerSecond}/s, bursts of {r.Limits.PerChatBurst}), {r.MaxSendsPerGroupPerMin}/min in one group (limit {r.Limits.PerGroupPerMinute})");
        output.Line(r.Passed ? "PASS" : "FAIL");
    }
}
