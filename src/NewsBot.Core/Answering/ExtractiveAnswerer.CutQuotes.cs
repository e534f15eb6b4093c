namespace NewsBot.Core.Answering;

public sealed partial class ExtractiveAnswerer
{
    /// <summary>
    /// A default-path sentence quoted cut to its clauses (<see cref="Cut"/>). The sentence before an opening "He" or "It"
    /// (<paramref name="withContext"/>) stays only while the cut keeps the sentence's start: a cut start drops the pronoun too.
    /// </summary>
    /// <param name="sentence">The chosen sentence.</param>
    /// <param name="withContext">The sentence as the default path quotes it: itself, or the sentence before it and itself.</param>
    /// <param name="question">The question it answers.</param>
    internal static string CutQuote(string sentence, string withContext, string question)
    {
        var cut = Cut(sentence, question);
        if (cut.StartsWith('…')) return cut;
        return withContext[..(withContext.Length - sentence.Length)] + cut;
    }

    /// <summary>
    /// The chosen sentences, in the order they were chosen, as far as their quotes fit in <paramref name="maxWords"/>
    /// together: the first is always kept, a further one is left out when it would pass the bound (a shorter one after it
    /// may still fit).
    /// </summary>
    internal static List<int> WithinQuoteWords(List<int> chosen, Func<int, string> quote, int maxWords)
    {
        var kept = new List<int>();
        int total = 0;
        foreach (var i in chosen)
        {
            int words = Words(quote(i));
            if (kept.Count > 0 && total + words > maxWords) continue;
            kept.Add(i);
            total += words;
        }
        return kept;
    }

    /// <summary>
    /// Whether the ranker's question-level answerability model (<see cref="SentenceRanker.Answerability"/>) puts the question
    /// below <see cref="SentenceRanker.AnswerThreshold"/>. Its features describe the candidates as a whole (the ranker's
    /// scores order them; which ones the answer quotes does not enter), so the model fitted for the ranker applies to the
    /// default path's candidates as they are: the same candidates and the same features, written by <c>eval --features</c>
    /// on the default path.
    /// </summary>
    static bool RefusedByAnswerability(double[][] features, IReadOnlyList<string> articleIds)
    {
        var scores = SentenceRanker.Scores(features);
        return SentenceRanker.Answerability(SentenceRanker.QuestionFeatures(features, scores, articleIds)) < SentenceRanker.AnswerThreshold;
    }
}
