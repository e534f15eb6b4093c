using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

// How well retrieved passages cover a question: the relevance check that decides between answering and refusing.
public sealed partial class AnswerService
{
    /// <summary>
    /// How well the best of the top passages covers the question: its cosine similarity blended with the
    /// share of the question's words found in the passage or its headline, each word weighted by its IDF in
    /// the index (a rare name missing from every source weighs most), or equally when the index can't tell.
    /// A name or number the question mentions that no source contains at all (a company, person or year
    /// the news never mentioned) lowers it further: the sources can't be about that.
    /// </summary>
    public static double Relevance(IReadOnlyList<SearchHit> hits, string question, QueryTermStats? stats = null)
    {
        var termWeights = stats?.Idf;
        double W(string t) => termWeights is not null && termWeights.TryGetValue(t, out var w) ? w : 1.0;
        var queryTerms = LexicalAnalyzer.QueryTerms(question).Distinct().ToList();
        double best = 0;
        double total = queryTerms.Sum(W);
        foreach (var h in hits.Take(RelevancePassages))
        {
            double coverage = 0;
            if (total > 0)
            {
                var terms = LexicalAnalyzer.DocumentTerms(h.Article.Title + "\n" + h.Text).ToHashSet();
                coverage = queryTerms.Where(terms.Contains).Sum(W) / total;
            }
            double r = RelevanceDenseWeight * (h.DenseScore ?? 0) + (1 - RelevanceDenseWeight) * coverage;
            if (r > best) best = r;
        }
        if (hits.Count > 0)
        {
            int missing = 0;
            if (stats is { Unseen.Count: > 0 })
            {
                var salient = SalientWords(question);
                missing += salient.SelectMany(w => w.Terms).Distinct().Count(stats.Unseen.Contains);
                // a name whose words each occur in the sources but never side by side (a product named after its maker plus a common word): a two-word
                // name counts as fully missing (the sources know the maker, not the thing); a pair inside a longer
                // name (a five-word event title) as half, since longer names get reworded
                bool Joined(int i) => i >= 0 && i + 1 < salient.Count && salient[i].NextIsAdjacent && salient[i + 1].Index == salient[i].Index + 1
                    && salient[i].IsName && salient[i + 1].IsName && salient[i].Terms.Count == 1 && salient[i + 1].Terms.Count == 1;
                for (int i = 0; i + 1 < salient.Count; i++)
                {
                    if (!Joined(i)) continue;
                    string a = salient[i].Terms[0], b = salient[i + 1].Terms[0];
                    if (!stats.Unseen.Contains(a + "_" + b) || stats.Unseen.Contains(a) || stats.Unseen.Contains(b)) continue;
                    missing += Joined(i - 1) || Joined(i + 1) ? 1 : 2;
                    break;
                }
            }
            best -= MissingNamePenalty * Math.Min(missing, MaxMissingNames);
        }
        return best;
    }

    /// <summary>How much each name or number that appears in no source lowers <see cref="Relevance"/>, for at most <see cref="MaxMissingNames"/>.</summary>
    public const double MissingNamePenalty = 0.15;

    /// <summary>How many passages (best first) <see cref="Relevance"/> takes the best of; how many missing names count at most.</summary>
    const int RelevancePassages = 3, MaxMissingNames = 2;

    /// <summary>The question's names (capitalised words after the first) and multi-digit numbers, with their stemmed terms and word positions.</summary>
    static List<(int Index, bool IsName, bool NextIsAdjacent, List<string> Terms)> SalientWords(string question)
    {
        var list = new List<(int, bool, bool, List<string>)>();
        var words = System.Text.RegularExpressions.Regex.Matches(question, @"[\p{L}\p{N}][\p{L}\p{N}'’\-]*");
        for (int i = 0; i < words.Count; i++)
        {
            var w = words[i].Value;
            bool name = i > 0 && char.IsUpper(w[0]) && w.Length > 1;
            bool number = w.Count(char.IsDigit) >= 3;
            if (!name && !number) continue;
            var terms = LexicalAnalyzer.QueryTerms(w).ToList();
            // the next word follows after a single space (not across a comma or a dash)
            bool adjacent = i + 1 < words.Count && words[i + 1].Index == words[i].Index + w.Length + 1 && question[words[i].Index + w.Length] == ' ';
            if (terms.Count > 0) list.Add((i, name && !number, adjacent, terms));
        }
        return list;
    }

    /// <summary>The share of cosine similarity in <see cref="Relevance"/> (the rest is weighted word coverage).</summary>
    public const double RelevanceDenseWeight = 0.5;
}
