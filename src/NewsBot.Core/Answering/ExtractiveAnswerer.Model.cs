using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>One candidate sentence's features for the learned scorer (<see cref="SentenceModel"/>), with what labelling needs.</summary>
/// <param name="Late">The late-interaction features (<see cref="LateInteraction.FeatureNames"/>) when the embedding model gives token vectors; kept apart from <paramref name="Features"/>, whose order the fitted weights belong to.</param>
public sealed record SentenceFeatureRow(string Text, string ArticleId, int Words, double[] Features, double[]? Late = null);

/// <summary>All candidate sentences of one question, as the answerer saw them.</summary>
public sealed record SentenceFeatureRows(string Question, IReadOnlyList<SentenceFeatureRow> Rows);

public sealed partial class ExtractiveAnswerer
{
    /// <summary>
    /// A development hook: when set, every answer hands its candidate sentences' features here (the <c>eval --features</c>
    /// dump the scorer is fitted from). Null in the bot.
    /// </summary>
    public Action<SentenceFeatureRows>? FeatureSink { get; set; }

    /// <summary>Whether the caller should pass the articles' whole text: the features look for names in the whole article.</summary>
    public bool WantsArticleBodies => FeatureSink is not null;

    /// <summary>The parts of the hand-set score of one candidate, computed while scoring it.</summary>
    internal readonly record struct SentenceParts(double Dense, double Coverage, double PairShare, double TitleShare, bool RoleBeside, double NameShare, double Score, double TypeBonus);

    /// <summary>What the features of all candidates of one question are computed from.</summary>
    internal sealed record FeatureInputs(
        IReadOnlyList<(string Text, SearchHit Hit, int Rank, int Order)> Candidates, SentenceParts[] Parts, QuestionKind Kind,
        Func<int, AnswerJudgement> JudgeAt, IReadOnlyDictionary<int, string> Previous, Func<string, double> CoverageOf,
        IReadOnlyDictionary<string, int> ArticleRank, IReadOnlyCollection<string> AskedYears);

    /// <summary>
    /// Each candidate's features, in the order of <see cref="SentenceModel.FeatureNames"/>. Every feature is stated in
    /// general terms: how close the sentence is to the question (and to the closest candidate), whether it holds an answer
    /// of the kind asked that the question does not give, whether it meets the question's constraints (its names in the
    /// article, its figures and years in the sentence or its context, the relation asked), and where it stands.
    /// </summary>
    internal static double[][] Features(FeatureInputs f)
    {
        int n = f.Candidates.Count;
        double maxDense = f.Parts.Max(p => p.Dense), maxCoverage = f.Parts.Max(p => p.Coverage), maxScore = f.Parts.Max(p => p.Score);
        var denseRank = Enumerable.Range(0, n).OrderByDescending(i => f.Parts[i].Dense).Select((i, r) => (i, r)).ToDictionary(x => x.i, x => x.r);
        bool kindAsked = f.Kind != QuestionKind.Other;
        // the best hand score among each article's candidates: the sentence that stands out in its own article
        var bestInArticle = Enumerable.Range(0, n).GroupBy(i => f.Candidates[i].Hit.Article.Id).ToDictionary(g => g.Key, g => g.Max(i => f.Parts[i].Score));
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var (text, hit, rank, order) = f.Candidates[i];
            var p = f.Parts[i];
            var j = f.JudgeAt(i);
            int words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            var sentenceYears = Years(text).ToList();
            rows[i] =
            [
                1,
                p.Dense, p.Dense - maxDense, p.Coverage, p.Coverage - maxCoverage, p.PairShare, p.TitleShare,
                kindAsked ? 1 : 0, kindAsked && j.HasExpected ? 1 : 0, kindAsked && !j.HasExpected ? 1 : 0,
                p.RoleBeside ? 1 : 0,
                1.0 / (1 + f.ArticleRank[hit.Article.Id]), 1.0 / (1 + rank), p.NameShare,
                j.NameCount == 0 ? 0 : j.MissingNames / (double)j.NameCount,
                j.Missing.Count > j.MissingNames ? 1 : 0,
                j.TermShare, j.StatesRelation ? 1 : 0, j.Answers ? 1 : 0, j.OnlyWording ? 1 : 0,
                hit.Position == 0 && order % 1000 == 1 ? 1 : 0, 1.0 / (1 + hit.Position),
                Math.Min(words, 60) / 40.0,
                f.Previous.TryGetValue(i, out var before) ? f.CoverageOf(before) : 0,
                f.AskedYears.Count > 0 && sentenceYears.Count > 0 && !sentenceYears.Any(f.AskedYears.Contains) ? 1 : 0,
                maxDense, 1.0 / (1 + denseRank[i]),
                p.Score, p.Score - maxScore,
                kindAsked && p.TypeBonus > 0 ? 1 : 0, p.Score >= bestInArticle[hit.Article.Id] ? 1 : 0,
            ];
        }
        return rows;
    }

    /// <summary>
    /// The learned choice (<see cref="SentenceModel"/>): the most probable sentence is quoted; a further one (from the same
    /// source or another) only when its own probability clears <see cref="SentenceModel.FurtherThreshold"/>, as a sentence
    /// answering the same question; none when the best falls below <see cref="SentenceModel.AnswerThreshold"/> (null: refuse).
    /// </summary>
    static List<int>? ChooseByModel(double[] probability, int maxSentences, IReadOnlyList<HashSet<string>> sentenceTerms, IReadOnlyList<string> texts, out int best)
    {
        var order = Enumerable.Range(0, probability.Length).OrderByDescending(i => probability[i]).ToList();
        best = order[0];
        if (probability[best] < SentenceModel.AnswerThreshold) return null;
        var chosen = new List<int> { best };
        int totalWords = texts[best].Split(' ').Length;
        foreach (var i in order.Skip(1))
        {
            if (chosen.Count >= maxSentences || probability[i] < SentenceModel.FurtherThreshold) break;
            var words = texts[i].Split(' ').Length;
            if (totalWords + words > SentenceModel.MaxAnswerWords) continue;
            if (chosen.Any(c => Jaccard(sentenceTerms[i], sentenceTerms[c]) > RepeatJaccard)) continue;
            chosen.Add(i);
            totalWords += words;
        }
        return chosen;
    }

    /// <summary>The IDF-weighted share of the question's terms in a text (the coverage part of the score, for a neighbouring sentence).</summary>
    static double CoverageOf(string text, IReadOnlyDictionary<string, double> idf, double idfTotal)
    {
        if (idfTotal <= 0) return 0;
        var terms = LexicalAnalyzer.DocumentTerms(text).ToHashSet();
        return idf.Where(kv => terms.Contains(kv.Key)).Sum(kv => kv.Value) / idfTotal;
    }
}
