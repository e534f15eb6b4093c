namespace NewsBot.Core.Answering;

public sealed partial class ExtractiveAnswerer
{
    /// <summary>
    /// The ranker's choice (<see cref="SentenceRanker"/>): null (refuse) when the answerability model puts the question below
    /// <see cref="SentenceRanker.AnswerThreshold"/>; otherwise the best-ranked sentence, and a second (from its source or
    /// another, up to the answer's sentence count) only when its own softmax share reaches <see cref="SentenceRanker.FurtherShare"/>, it does not repeat the
    /// first, and both, cut to their clauses, fit in <see cref="SentenceRanker.MaxQuoteWords"/>.
    /// </summary>
    static List<int>? ChooseByRanker(double[][] features, IReadOnlyList<string> texts, IReadOnlyList<string> articleIds, IReadOnlyList<HashSet<string>> sentenceTerms,
        int maxSentences, string question, out int top, out double answerability, out double[] shares)
    {
        var scores = SentenceRanker.Scores(features);
        var sh = shares = SentenceRanker.Shares(scores);
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => sh[i]).ToList();
        top = order[0];
        answerability = SentenceRanker.Answerability(SentenceRanker.QuestionFeatures(features, scores, articleIds));
        if (answerability < SentenceRanker.AnswerThreshold) return null;
        var chosen = new List<int> { top };
        int total = Words(Cut(texts[top], question));
        foreach (var i in order.Skip(1))
        {
            if (chosen.Count >= maxSentences || sh[i] < SentenceRanker.FurtherShare) break;
            if (chosen.Any(c => Jaccard(sentenceTerms[i], sentenceTerms[c]) > RepeatJaccard)) continue;
            int words = Words(Cut(texts[i], question));
            if (total + words > SentenceRanker.MaxQuoteWords) continue;
            chosen.Add(i);
            total += words;
        }
        return chosen;
    }

    static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
