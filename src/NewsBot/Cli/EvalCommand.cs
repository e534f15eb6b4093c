using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NewsBot.Evaluation;

namespace NewsBot.Cli;

/// <summary>
/// <c>eval --qa FILE.jsonl [--docs DIR] [--json]</c>: retrieval and answer quality against a QA set;
/// <c>eval --stories FILE.jsonl</c>: story clustering against labelled articles.
/// </summary>
public static class EvalCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var qa = new Option<string>("--qa") { Description = "QA file (JSON lines: id, question, answers, evidence_doc_ids, date, chat)", HelpName = "FILE" };
        var stories = new Option<string?>("--stories") { Description = "Story labels (JSON lines: path or article_id, story): measure story clustering instead", HelpName = "FILE" };
        var docs = new Option<string?>("--docs") { Description = "Documents to index into a scratch index first (doc id = path without extension)", HelpName = "DIR" };
        var limit = new Option<int?>("--limit") { Description = "Only the first N questions" };
        var holdout = new Option<double>("--holdout") { Description = "Share of answerable questions whose evidence is left out, to measure refusals (e.g. 0.2)", DefaultValueFactory = _ => 0.0 };
        var compare = new Option<bool>("--compare") { Description = "Also compare dense, lexical, hybrid and hybrid+recency retrieval" };
        var recency = new Option<double>("--compare-recency") { Description = "Recency weight of the hybrid+recency row", DefaultValueFactory = _ => 0.5 };
        var cf = new Option<bool>("--include-counterfactual") { Description = "Also index RGB's counterfactual (_cf) documents" };
        var noAnswers = new Option<bool>("--retrieval-only") { Description = "Measure retrieval only (no answers)" };
        var keep = new Option<bool>("--keep-index") { Description = "Keep the scratch index (its folder is printed)" };
        var details = new Option<string?>("--details") { Description = "Write one JSON line per question and measurement to FILE", HelpName = "FILE" };
        var split = new Option<string?>("--split") { Description = "Only the dev half (for tuning) or the test half (for reporting) of the questions: a seeded split by conversation or id", HelpName = "dev|test" };
        split.AcceptOnlyFromAmong(QaSplit.Dev, QaSplit.Test);
        var features = new Option<string?>("--features") { Description = "Write each question's candidate sentences with their features and labels to FILE (to fit the sentence scorer)", HelpName = "FILE" };
        var fit = new Option<string[]>("--fit-sentence-model") { Description = "Fit the sentence scorer on these --features files and print its weights and thresholds (no QA run)", HelpName = "FILE", AllowMultipleArgumentsPerToken = true };
        var fitRanker = new Option<string[]>("--fit-sentence-ranker") { Description = "Fit the sentence ranker and answerability model on these --features files and print their weights and thresholds (no QA run)", HelpName = "FILE", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("eval", "Measure retrieval and answers against a QA set") { qa, docs, limit, holdout, compare, recency, cf, noAnswers, keep, details, stories, split, features, fit, fitRanker };
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(stories) is { } labels) return await StoriesAsync(cli, parse, labels, ct);
            if (parse.GetValue(fit) is { Length: > 0 } rowFiles)
            {
                parse.InvocationConfiguration.Output.Write(SentenceModelFitter.Run(rowFiles));
                return 0;
            }
            if (parse.GetValue(fitRanker) is { Length: > 0 } rankerFiles)
            {
                parse.InvocationConfiguration.Output.Write(SentenceRankerFitter.Run(rankerFiles));
                return 0;
            }
            if (parse.GetValue(qa) is null)
            {
                parse.InvocationConfiguration.Error.WriteLine("eval: give --qa FILE (questions) or --stories FILE (story labels).");
                return 2;
            }
            // a scratch index unless --data names one (re-runs then reuse it: unchanged documents are skipped)
            string? scratch = null;
            var overrides = new Dictionary<string, string?> { ["Ingestion:SampleDirectory"] = "" };
            if (parse.GetValue(docs) is not null && parse.GetValue(NewsBotCli.DataOption) is null)
            {
                scratch = Path.Combine(Path.GetTempPath(), "newsbot-eval-" + Guid.NewGuid().ToString("N")[..8]);
                overrides["Storage:DataDirectory"] = scratch;
            }
            var clock = new AdjustableTimeProvider();
            try
            {
                return await cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
                {
                    var report = await new Evaluator(sp, clock, output).RunAsync(new EvalSettings
                    {
                        QaPath = parse.GetValue(qa)!,
                        DocsDirectory = parse.GetValue(docs),
                        Limit = parse.GetValue(limit),
                        Holdout = parse.GetValue(holdout),
                        Compare = parse.GetValue(compare),
                        CompareRecencyWeight = parse.GetValue(recency),
                        IncludeCounterfactual = parse.GetValue(cf),
                        Answers = !parse.GetValue(noAnswers),
                        DetailsPath = parse.GetValue(details),
                        Split = parse.GetValue(split),
                        FeaturesPath = parse.GetValue(features),
                    }, token);
                    if (output.Json) output.WriteJson(report with { Failures = report.Failures.Take(50).ToList() });
                    else Print(output, report);
                    if (scratch is not null && parse.GetValue(keep)) output.Error($"Scratch index kept in {scratch}");
                    return 0;
                }, (services, config) =>
                {
                    services.RemoveAll<TimeProvider>();
                    services.AddSingleton<TimeProvider>(clock);
                    Evaluator.ConfigureServices(services);
                }, overrides);
            }
            finally
            {
                if (scratch is not null && !parse.GetValue(keep))
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
            }
        });
        return cmd;
    }

    /// <summary>Story clustering against labels, in a scratch data directory unless --data names one.</summary>
    static async Task<int> StoriesAsync(NewsBotCli cli, System.CommandLine.ParseResult parse, string labels, CancellationToken ct)
    {
        string? scratch = parse.GetValue(NewsBotCli.DataOption) is null ? Path.Combine(Path.GetTempPath(), "newsbot-stories-" + Guid.NewGuid().ToString("N")[..8]) : null;
        var overrides = new Dictionary<string, string?> { ["Ingestion:SampleDirectory"] = "" };
        if (scratch is not null) overrides["Storage:DataDirectory"] = scratch;
        try
        {
            return await cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
            {
                var report = await new StoryEvaluator(sp, output).RunAsync(labels, token);
                if (output.Json) output.WriteJson(report);
                else StoryEvaluator.Print(output, report);
                return 0;
            }, (services, _) => Evaluator.ConfigureServices(services), overrides); // labels name files: identity by file, as for the QA eval
        }
        finally
        {
            if (scratch is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    static void Print(CliOutput o, EvalReport r)
    {
        o.Line($"Questions: {r.Questions} ({r.Answerable} answerable, {r.Unanswerable} without evidence, {r.HeldOut} with evidence held out); {r.DocumentsIndexed} documents indexed; answers: {r.Mode}");
        if (r.Retrieval is { } m) o.Line($"Retrieval: recall@5 {m.RecallAt5:0.000}  recall@10 {m.RecallAt10:0.000}  MRR@10 {m.MrrAt10:0.000}  ({m.Questions} questions)");
        if (r.AnswerContainsRate is { } a) o.Line($"Answers containing an accepted answer: {a:P1}; citing the evidence article: {r.CitedEvidenceRate:P1}; citing an article that contains the answer: {r.CitedSupportRate:P1}; refused though answerable: {r.FalseRefusalRate:P1}");
        if (r.RefusalRateUnanswerable is { } u) o.Line($"Refused when the index cannot answer: {u:P1}");
        if (r.MeanAnswerWords is { } w) o.Line($"Mean answer length: {w:0.0} words");
        if (r.Calibration is { } c) o.Line($"Relevance threshold {c.CurrentThreshold}: {c.AnswerableAboveCurrent:P1} of answerable above, {c.UnanswerableBelowCurrent:P1} of unanswerable below; best balance at {c.SuggestedThreshold} ({c.AnswerableAboveSuggested:P1} / {c.UnanswerableBelowSuggested:P1})");
        o.Line($"Answer latency: p50 {r.AnswerMsP50:0} ms, p95 {r.AnswerMsP95:0} ms");
        if (r.Comparison.Count > 0)
        {
            o.Line();
            o.Line("| retrieval | questions | recall@5 | recall@10 | MRR@10 |");
            o.Line("|---|---|---|---|---|");
            foreach (var m2 in r.Comparison) o.Line($"| {m2.Config} | {m2.Questions} | {m2.RecallAt5:0.000} | {m2.RecallAt10:0.000} | {m2.MrrAt10:0.000} |");
        }
    }
}
