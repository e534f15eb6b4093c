using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>
/// Late interaction between a question and a sentence (ColBERT's MaxSim over the embedding model's contextual token
/// vectors, here MiniLM's <c>last_hidden_state</c> before pooling): for each question token its best cosine with any of
/// the sentence's tokens, averaged — plainly, IDF-weighted, and over the question's tokens that are not stop words —, and
/// what the sentence adds: the share of its content tokens that no question token matches. Stated generally: no word
/// list beyond <see cref="StopWords"/> (BENCHMARKS.md §1.3.1, tenth pass).
/// </summary>
public static class LateInteraction
{
    /// <summary>The feature names, in the order of <see cref="Features"/>.</summary>
    public static readonly string[] FeatureNames = ["li_maxsim", "li_maxsim_idf", "li_maxsim_content", "li_novelty", "li_unmatched_share"];

    /// <summary>A sentence token is "matched" by the question when some question token's cosine with it reaches this.</summary>
    public const double MatchCosine = 0.6;

    /// <summary>A text's tokens prepared for late interaction: unit vectors of its real tokens (special and punctuation left out), their texts, and which carry content.</summary>
    public sealed record Prepared(float[][] Vectors, string[] Words, bool[] Content);

    /// <summary>
    /// Drops [CLS], [SEP], [PAD] and punctuation, normalises each vector; a word piece ("##ing") is content when the word it
    /// continues is. <see cref="Prepared.Words"/> holds the whole word each token belongs to (for IDF).
    /// </summary>
    public static Prepared Prepare(TokenEmbedding e)
    {
        var vectors = new List<float[]>();
        var words = new List<string>();
        var content = new List<bool>();
        string word = "";
        bool wordContent = false;
        var pieces = new List<int>(); // indexes (in the kept lists) of the current word's pieces
        void Flush()
        {
            foreach (var k in pieces) { words[k] = word; content[k] = wordContent; }
            pieces.Clear();
        }
        for (int t = 0; t < e.Tokens.Count; t++)
        {
            var token = e.Tokens[t];
            if (token is "[CLS]" or "[SEP]" or "[PAD]") continue;
            bool continuation = token.StartsWith("##", StringComparison.Ordinal);
            var text = continuation ? token[2..] : token;
            if (!continuation && !text.Any(char.IsLetterOrDigit)) { Flush(); word = ""; continue; }
            if (!continuation)
            {
                Flush();
                word = text;
            }
            else word += text;
            wordContent = !StopWords.IsStopWord(word.ToLowerInvariant());
            var v = (float[])e.Vectors[t].Clone();
            VectorMath.NormalizeInPlace(v);
            pieces.Add(vectors.Count);
            vectors.Add(v);
            words.Add(word);
            content.Add(wordContent);
        }
        Flush();
        return new Prepared([.. vectors], [.. words], [.. content]);
    }

    /// <summary>For each query token, its best cosine with any document token (both unit vectors); 0 for an empty document.</summary>
    public static double[] BestMatches(IReadOnlyList<float[]> query, IReadOnlyList<float[]> document)
    {
        var best = new double[query.Count];
        for (int i = 0; i < query.Count; i++)
        {
            double m = document.Count == 0 ? 0 : double.MinValue;
            foreach (var d in document) m = Math.Max(m, VectorMath.Dot(query[i], d));
            best[i] = m;
        }
        return best;
    }

    /// <summary>MaxSim: the (weighted) mean over the query tokens of their best cosine in the document; 0 without query tokens or weight.</summary>
    public static double MaxSim(IReadOnlyList<float[]> query, IReadOnlyList<float[]> document, IReadOnlyList<double>? weights = null)
    {
        var best = BestMatches(query, document);
        double sum = 0, total = 0;
        for (int i = 0; i < best.Length; i++)
        {
            double w = weights?[i] ?? 1;
            sum += w * best[i];
            total += w;
        }
        return total > 0 ? sum / total : 0;
    }

    /// <summary>
    /// The features of one sentence against the question, in the order of <see cref="FeatureNames"/>.
    /// <paramref name="idf"/> weighs a question word (its rarity among the candidate sentences).
    /// </summary>
    public static double[] Features(Prepared question, Prepared sentence, Func<string, double> idf)
    {
        var best = BestMatches(question.Vectors, sentence.Vectors);
        double plain = 0, weighted = 0, weights = 0, content = 0;
        int contentCount = 0;
        for (int i = 0; i < best.Length; i++)
        {
            plain += best[i];
            double w = idf(question.Words[i]);
            weighted += w * best[i];
            weights += w;
            if (question.Content[i]) { content += best[i]; contentCount++; }
        }
        // what the sentence adds: its content tokens' best match among the question's tokens
        var back = BestMatches(sentence.Vectors, question.Vectors);
        double novelty = 0;
        int own = 0, unmatched = 0;
        for (int j = 0; j < back.Length; j++)
        {
            if (!sentence.Content[j]) continue;
            own++;
            novelty += 1 - back[j];
            if (back[j] < MatchCosine) unmatched++;
        }
        return
        [
            best.Length > 0 ? plain / best.Length : 0,
            weights > 0 ? weighted / weights : 0,
            contentCount > 0 ? content / contentCount : 0,
            own > 0 ? novelty / own : 0,
            own > 0 ? unmatched / (double)own : 0,
        ];
    }

    /// <summary>
    /// Each candidate's features (<see cref="Features"/>) with a local IDF of the question's words over the candidates
    /// (as the hand score's coverage weighs terms: log(1 + n / (1 + sentences holding the word))).
    /// </summary>
    public static double[][] ForCandidates(TokenEmbedding question, IReadOnlyList<TokenEmbedding> sentences)
    {
        var q = Prepare(question);
        var prepared = sentences.Select(Prepare).ToList();
        var wordSets = prepared.Select(p => p.Words.Select(w => w.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal)).ToList();
        var idf = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var w in q.Words.Select(w => w.ToLowerInvariant()).Distinct())
            idf[w] = Math.Log(1 + prepared.Count / (1.0 + wordSets.Count(s => s.Contains(w))));
        return prepared.Select(p => Features(q, p, w => idf.GetValueOrDefault(w.ToLowerInvariant()))).ToArray();
    }
}
