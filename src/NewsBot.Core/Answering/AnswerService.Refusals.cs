using Microsoft.Extensions.Logging;
using NewsBot.Core.Model;

namespace NewsBot.Core.Answering;

public sealed partial class AnswerService
{
    /// <summary>
    /// No sentence answers the question (<see cref="ExtractiveAnswerer.Judge"/>): a refusal listing the closest
    /// headlines; when the best source covers every name the question gives (the subject, not the fact), it says
    /// what that source covers and what it lacks.
    /// </summary>
    AnswerResult ShortfallRefusal(string question, string standalone, IReadOnlyList<SearchHit> hits, string lang, AnswerJudgement gap, SearchHit source)
    {
        logger.LogInformation("Refused {Question}: no sentence answers it (missing {Missing}, expected answer found: {Expected}, key terms {Share:0.00})",
            question, string.Join(", ", gap.Missing), gap.HasExpected, gap.TermShare);
        var refusal = Refusal(question, standalone, hits, lang);
        if (gap.Missing.Count > 0 || lang != "en") return refusal;
        // no citation: a refusal cites nothing (the headline is among the closest ones listed)
        return refusal with { Answer = $"My sources cover “{source.Article.Title}” but not {gap.Expected ?? "what the question asks"}." };
    }

    AnswerResult Refusal(string question, string standalone, IReadOnlyList<SearchHit> hits, string lang, string? message = null, AnswerMode mode = AnswerMode.Extractive)
    {
        var headlines = hits
            .Select(h => h.Article.Published is { } d ? $"{h.Article.Title} ({h.Article.Outlet ?? "unknown outlet"}, {d:yyyy-MM-dd})" : $"{h.Article.Title}{(h.Article.Outlet is null ? "" : $" ({h.Article.Outlet})")}")
            .Distinct()
            .Take(options.ClosestHeadlines)
            .ToList();
        return new AnswerResult
        {
            Question = question,
            StandaloneQuery = standalone,
            Answer = message ?? Language.NotCoveredMessage(lang),
            Refused = true,
            Mode = mode,
            ClosestHeadlines = headlines,
        };
    }
}
