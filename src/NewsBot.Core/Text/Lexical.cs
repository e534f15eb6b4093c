using System.Globalization;
using System.Text;
using NewsBot.Core.Model;

namespace NewsBot.Core.Text;

/// <summary>
/// Turns text into lexical terms: words of letters and digits (keeping inner apostrophes, hyphens
/// and decimal points out), lower-cased, diacritics folded, English stop words dropped, Porter-stemmed.
/// </summary>
public static class LexicalAnalyzer
{
    /// <summary>Terms of a document (stop words dropped).</summary>
    public static List<string> DocumentTerms(string text) => Terms(text, query: false);

    /// <summary>Terms of a query (stop words and question noise such as "latest", "news" dropped).</summary>
    public static List<string> QueryTerms(string text) => Terms(text, query: true);

    /// <summary>Raw lower-case words with no stop-word removal or stemming.</summary>
    public static IEnumerable<string> Words(string text)
    {
        var sb = new StringBuilder();
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : ' ';
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
                continue;
            }
            // keep "3.5" and "1,000" together
            if ((c == '.' || c == ',') && sb.Length > 0 && char.IsDigit(sb[^1]) && i + 1 < text.Length && char.IsDigit(text[i + 1]))
            {
                if (c == '.') sb.Append('.');
                continue;
            }
            // "Russia's" -> "russia"; "don't" -> "dont"
            if ((c == '\'' || c == '’') && sb.Length > 0 && i + 1 < text.Length && char.IsLetter(text[i + 1]))
            {
                int j = i + 1;
                while (j < text.Length && char.IsLetter(text[j])) j++;
                int tailLen = j - i - 1;
                if (tailLen == 1 && char.ToLowerInvariant(text[i + 1]) == 's')
                {
                    i = j - 1; // drop the possessive
                    continue;
                }
                continue; // join contractions
            }
            if (sb.Length > 0)
            {
                yield return sb.ToString();
                sb.Clear();
            }
        }
    }

    static List<string> Terms(string text, bool query)
    {
        var result = new List<string>();
        foreach (var w0 in Words(text))
        {
            var w = FoldDiacritics(w0);
            if (query ? StopWords.IsQueryNoise(w) : StopWords.IsStopWord(w)) continue;
            if (w.Length == 1 && !char.IsDigit(w[0])) continue;
            result.Add(PorterStemmer.Stem(w));
        }
        return result;
    }

    public static string FoldDiacritics(string w)
    {
        bool ascii = true;
        foreach (var c in w) if (c > 127) { ascii = false; break; }
        if (ascii) return w;
        var d = w.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(d.Length);
        foreach (var c in d)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    public static uint TermId(string term) => Hashing.Fnv1a32(term);
}

/// <summary>
/// The sparse (lexical) encoder shared by every index: documents get BM25 term-frequency weights
/// (k1, b, with a fixed average length so a chunk's weights never depend on the rest of the corpus);
/// the inverse document frequency is applied at search time (by the embedded index, or by Qdrant's
/// <c>Modifier.Idf</c>). Term ids are 32-bit FNV-1a hashes of the stemmed terms.
/// </summary>
public sealed class LexicalEncoder(double k1 = 1.2, double b = 0.75, double averageLength = 120, bool bigrams = true)
{
    public static LexicalEncoder Default { get; } = new();

    /// <summary>Encodes a document (a chunk, with its title) into BM25-weighted term frequencies.</summary>
    public SparseVector EncodeDocument(string text)
    {
        var terms = LexicalAnalyzer.DocumentTerms(text);
        if (terms.Count == 0) return SparseVector.Empty;
        var tf = new Dictionary<uint, int>();
        foreach (var id in TermIds(terms))
            tf[id] = tf.TryGetValue(id, out var n) ? n + 1 : 1;
        double norm = k1 * (1 - b + b * terms.Count / averageLength);
        var ids = tf.Keys.ToArray();
        Array.Sort(ids);
        var values = new float[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            int f = tf[ids[i]];
            values[i] = (float)(f * (k1 + 1) / (f + norm));
        }
        return new SparseVector(ids, values);
    }

    /// <summary>Encodes a query: each distinct term once, weight 1.</summary>
    public SparseVector EncodeQuery(string text)
    {
        var ids = TermIds(LexicalAnalyzer.QueryTerms(text)).Distinct().ToArray();
        Array.Sort(ids);
        var values = new float[ids.Length];
        Array.Fill(values, 1f);
        return new SparseVector(ids, values);
    }

    /// <summary>Ids of the terms and, with bigrams on, of each pair of neighbouring terms ("interest rates").</summary>
    IEnumerable<uint> TermIds(List<string> terms)
    {
        for (int i = 0; i < terms.Count; i++)
        {
            yield return LexicalAnalyzer.TermId(terms[i]);
            if (bigrams && i + 1 < terms.Count) yield return LexicalAnalyzer.TermId(terms[i] + "_" + terms[i + 1]);
        }
    }

    /// <summary>The BM25 inverse document frequency, as Qdrant computes it for <c>Modifier.Idf</c>.</summary>
    public static double Idf(long documentCount, long documentFrequency)
        => Math.Log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}
