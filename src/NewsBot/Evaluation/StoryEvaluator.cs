using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Cli;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.Core.Stories;

namespace NewsBot.Evaluation;

public sealed record StoryEvalReport
{
    public int Articles { get; init; }
    public int GoldStories { get; init; }
    public int PredictedStories { get; init; }
    public required PrecisionRecall Pairwise { get; init; }
    public required PrecisionRecall Bcubed { get; init; }
    /// <summary>Pairs put together that belong apart, and pairs of one story left apart (by title).</summary>
    public IReadOnlyList<string[]> FalseMerges { get; init; } = [];
    public IReadOnlyList<string[]> Splits { get; init; } = [];
}

/// <summary>
/// <c>eval --stories FILE</c>: ingests the labelled articles (JSON lines of <c>{"path" or "article_id", "story"}</c>;
/// paths relative to the file's folder) and compares the stories they land in with the labels.
/// </summary>
public sealed class StoryEvaluator(IServiceProvider sp, CliOutput output)
{
    public async Task<StoryEvalReport> RunAsync(string labelsPath, CancellationToken ct)
    {
        if (!File.Exists(labelsPath)) throw new InvalidDataException($"eval: --stories '{labelsPath}' does not exist.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(labelsPath))!;
        var labels = new List<(string? Path, string? ArticleId, string Story)>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(labelsPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var story = root.GetProperty("story").ToString();
                string? path = root.TryGetProperty("path", out var p) ? p.GetString() : null;
                string? id = root.TryGetProperty("article_id", out var a) ? a.GetString() : null;
                if (path is null && id is null) throw new InvalidDataException("needs \"path\" or \"article_id\"");
                if (path is not null && !Path.IsPathRooted(path)) path = File.Exists(Path.Combine(folder, path)) ? Path.Combine(folder, path) : Path.GetFullPath(path);
                labels.Add((path, id, story));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidDataException or InvalidOperationException)
            {
                throw new InvalidDataException($"eval: {labelsPath} line {lineNo}: {ex.Message}", ex);
            }
        }
        var files = labels.Select(l => l.Path).OfType<string>().Distinct().ToList();
        if (files.Count > 0)
        {
            var pipeline = sp.GetRequiredService<IngestionPipeline>();
            await foreach (var r in pipeline.IngestAsync(files, ct).ConfigureAwait(false))
                if (r.Status == IngestStatus.Failed) output.Error($"Could not ingest {r.Input}: {r.Error}");
        }
        var store = sp.GetRequiredService<IArticleStore>();
        var stories = sp.GetRequiredService<IStoryStore>();
        await sp.GetRequiredService<IStoryAssigner>().AssignPendingAsync(ct).ConfigureAwait(false);
        var gold = new Dictionary<string, string>(StringComparer.Ordinal);
        var predicted = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        int n = 0;
        foreach (var (path, articleId, story) in labels)
        {
            var key = path is not null ? new Uri(path).AbsoluteUri : articleId!;
            var id = articleId;
            if (path is not null)
                id = (await store.FindBySourceAsync(key, ct).ConfigureAwait(false))?.Id ?? (await store.FindDuplicateAsync(key, ct).ConfigureAwait(false))?.DuplicateOf;
            var item = $"{n++}:{key}";
            gold[item] = story;
            names[item] = path is not null ? Path.GetFileNameWithoutExtension(path) : articleId!;
            // an article missing from the store is a story of its own
            predicted[item] = id is not null && await stories.GetStoryOfArticleAsync(id, ct).ConfigureAwait(false) is { } s ? s.Id : "missing:" + item;
        }
        var keys = gold.Keys.Order(StringComparer.Ordinal).ToList();
        var merges = new List<string[]>();
        var splits = new List<string[]>();
        for (int i = 0; i < keys.Count; i++)
            for (int j = i + 1; j < keys.Count; j++)
            {
                bool g = gold[keys[i]] == gold[keys[j]], p = predicted[keys[i]] == predicted[keys[j]];
                if (p && !g) merges.Add([names[keys[i]], names[keys[j]]]);
                if (g && !p) splits.Add([names[keys[i]], names[keys[j]]]);
            }
        return new StoryEvalReport
        {
            Articles = gold.Count,
            GoldStories = gold.Values.Distinct().Count(),
            PredictedStories = predicted.Values.Distinct().Count(),
            Pairwise = ClusteringMetrics.Pairwise(gold, predicted),
            Bcubed = ClusteringMetrics.BCubed(gold, predicted),
            FalseMerges = merges,
            Splits = splits,
        };
    }

    public static void Print(CliOutput o, StoryEvalReport r)
    {
        o.Line($"Articles: {r.Articles} in {r.GoldStories} labelled stories; {r.PredictedStories} stories found");
        o.Line($"Pairwise: precision {r.Pairwise.Precision:0.000}  recall {r.Pairwise.Recall:0.000}  F1 {r.Pairwise.F1:0.000}");
        o.Line($"BCubed:   precision {r.Bcubed.Precision:0.000}  recall {r.Bcubed.Recall:0.000}  F1 {r.Bcubed.F1:0.000}");
        foreach (var m in r.FalseMerges) o.Line($"  merged apart stories: {m[0]} + {m[1]}");
        foreach (var s in r.Splits) o.Line($"  split one story: {s[0]} / {s[1]}");
    }
}
