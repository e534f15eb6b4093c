using System.Text;
using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Stories;

namespace NewsBot.Core.Digests;

/// <summary>
/// Builds a digest: the stories with articles in the window, ranked by coverage inside the window
/// (distinct outlets, then articles, then the newest article), each with a one- or two-sentence summary.
/// Offline the summary is the lead sentences of the story's articles, a lead that several outlets share
/// said once and cited to each; with a model (<see cref="IDigestWriter"/>) the model writes it and its
/// citations are checked like every answer's, falling back to the leads when none is left.
/// </summary>
public sealed class DigestComposer(IStoryStore stories, IArticleStore articles, IDigestWriter? writer = null)
{
    public const int DefaultTop = 5;

    /// <summary>Sentences in an offline summary ("a one- or two-sentence summary").</summary>
    const int SummarySentences = 2;

    /// <summary>Articles of one story handed to the model (enough to see every outlet of a big story).</summary>
    const int MaxModelSources = 6;

    /// <summary>Lead sentences per article handed to the model.</summary>
    const int ModelLeadSentences = 3;

    public async Task<Digest> ComposeAsync(DigestRequest request, CancellationToken ct = default)
    {
        var ranked = await RankAsync(request, ct).ConfigureAwait(false);
        var items = new List<DigestItem>();
        string? note = null;
        foreach (var (story, inWindow) in ranked)
        {
            var (summary, failed) = await SummarizeAsync(story, inWindow, ct).ConfigureAwait(false);
            if (failed) note = "The language model could not summarise every story; those summaries quote the articles.";
            items.Add(new DigestItem
            {
                StoryId = story.Id,
                Title = story.Title,
                Summary = summary,
                Outlets = inWindow.Select(a => a.Ref.Outlet).OfType<string>().Where(o => o.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                Articles = inWindow.Select(a => a.Ref).ToList(),
            });
        }
        return new Digest { Since = request.Since, Until = request.Until, Stories = items, Note = note };
    }

    /// <summary>An article of a story with its body and the time it counts at (published, else ingested).</summary>
    internal sealed record StoryArticle(ArticleRef Ref, string Body, DateTimeOffset At);

    internal async Task<List<(Story Story, List<StoryArticle> InWindow)>> RankAsync(DigestRequest request, CancellationToken ct)
    {
        var candidates = await stories.ListStoriesAsync(request.Since, null, ct).ConfigureAwait(false);
        var ids = candidates.SelectMany(s => s.Articles).Select(a => a.Id).Distinct().ToList();
        var records = (await articles.GetArticlesAsync(ids, ct).ConfigureAwait(false)).ToDictionary(a => a.Id);
        var ranked = new List<(Story, List<StoryArticle>)>();
        foreach (var story in candidates)
        {
            var inWindow = story.Articles
                .Where(a => records.ContainsKey(a.Id))
                .Select(a => new StoryArticle(a, records[a.Id].Body, a.Published ?? records[a.Id].IngestedAt))
                .Where(a => a.At >= request.Since && a.At < request.Until)
                .OrderBy(a => a.At).ThenBy(a => a.Ref.Id, StringComparer.Ordinal)
                .ToList();
            if (inWindow.Count == 0) continue;
            if (!request.Filter.IsEmpty && !request.Filter.Matches(FilterText(story, inWindow))) continue;
            ranked.Add((story, inWindow));
        }
        return ranked
            .OrderByDescending(r => r.Item2.Select(a => a.Ref.Outlet ?? "").Distinct(StringComparer.OrdinalIgnoreCase).Count())
            .ThenByDescending(r => r.Item2.Count)
            .ThenByDescending(r => r.Item2[^1].At)
            .ThenBy(r => r.Item1.Id, StringComparer.Ordinal)
            .Take(Math.Max(1, request.Top))
            .ToList();
    }

    /// <summary>What keyword filters look at: headlines, leads, outlets and links.</summary>
    static string FilterText(Story story, List<StoryArticle> inWindow)
    {
        var sb = new StringBuilder(story.Title);
        foreach (var a in inWindow)
        {
            sb.Append('\n').Append(a.Ref.Title).Append('\n').Append(a.Ref.Outlet).Append('\n').Append(a.Ref.Url);
            foreach (var s in LeadSentences.Of(a.Body, a.Ref.Title, SummarySentences)) sb.Append('\n').Append(s);
        }
        return sb.ToString();
    }

    async Task<(string Summary, bool ModelFailed)> SummarizeAsync(Story story, List<StoryArticle> inWindow, CancellationToken ct)
    {
        if (writer is null) return (OfflineSummary(inWindow), false);
        var sources = inWindow.Take(MaxModelSources)
            .Select((a, i) => new DigestSource(i + 1, a.Ref, string.Join(' ', LeadSentences.Of(a.Body, a.Ref.Title, ModelLeadSentences))))
            .ToList();
        string? text = null;
        try
        {
            text = await writer.SummarizeAsync(story.Title, sources, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The model is optional: a failure costs the story its written summary, never the digest.
        }
        if (string.IsNullOrWhiteSpace(text)) return (OfflineSummary(inWindow), true);
        var check = Citations.Check(text, sources.Count);
        if (check.CitedSources.Count == 0) return (OfflineSummary(inWindow), true);
        // Citations.Check numbers in order of first use; map back to the positions in the article list.
        var renumbered = System.Text.RegularExpressions.Regex.Replace(check.Text, @"\[(\d+)\]", m => $"[{check.CitedSources[int.Parse(m.Groups[1].Value) - 1]}]");
        return (renumbered, false);
    }

    /// <summary>
    /// The leads of the story's articles in time order: each new statement added (up to
    /// <see cref="SummarySentences"/>), a statement another outlet already made only adds its citation.
    /// </summary>
    internal static string OfflineSummary(IReadOnlyList<StoryArticle> inWindow)
    {
        var chosen = new List<(string Sentence, List<int> Cites)>();
        for (int i = 0; i < inWindow.Count; i++)
        {
            var lead = LeadSentences.Of(inWindow[i].Body, inWindow[i].Ref.Title, 1);
            if (lead.Count == 0) continue;
            var same = chosen.FindIndex(c => Similarity.Jaccard(c.Sentence, lead[0]) >= Similarity.NearIdentical);
            if (same >= 0) chosen[same].Cites.Add(i + 1);
            else if (chosen.Count < SummarySentences) chosen.Add((lead[0], [i + 1]));
        }
        if (chosen.Count == 0)
            return inWindow[0].Ref.Title + " " + string.Concat(Enumerable.Range(1, inWindow.Count).Select(n => $"[{n}]"));
        return string.Join(' ', chosen.Select(c => c.Sentence + " " + string.Concat(c.Cites.Select(n => $"[{n}]"))));
    }
}
