using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

// An amount that answers "how much / how many" is one stated as a fact: an on-topic sentence of the right story often
// gives the figure planned, offered, forecast or targeted instead, which does not answer what actually happened.
public sealed partial class ExtractiveAnswerer
{
    /// <summary>
    /// For "how much / how many": whether the sentence gives an amount (not a year, not given by the question) as a
    /// fact, not as a plan, a forecast or a target ("its planned £200m offer", "a 2% growth target", "expected to
    /// rise to $90bn"): a word of anticipation within three words before it or two after. When the question itself
    /// asks about such a plan or forecast ("what growth does the bank expect"), any amount counts.
    /// </summary>
    internal static bool FactualAmount(string question, string sentence, HashSet<string> questionWords)
    {
        var asked = WordTokenizer.Words(question).Select(m => PorterStemmer.Stem(m.Value.ToLowerInvariant())).ToHashSet();
        if (asked.Any(w => AnticipationStems.Contains(w))) return true;
        var words = WordTokenizer.Words(sentence).Select(m => m.Value).ToList();
        for (int i = 0; i < words.Count; i++)
        {
            if (!IsAmount(words[i], questionWords)) continue;
            bool anticipated = false;
            for (int j = Math.Max(0, i - 3); j <= Math.Min(words.Count - 1, i + 2) && !anticipated; j++)
                anticipated = j != i && AnticipationStems.Contains(PorterStemmer.Stem(words[j].ToLowerInvariant()));
            if (!anticipated) return true;
        }
        return false;
    }

    /// <summary>Stems of words that make an amount a plan, a forecast, a target or a possibility rather than a fact.</summary>
    static readonly HashSet<string> AnticipationStems = new[]
    {
        "plan", "planned", "propos", "proposed", "expect", "expected", "forecast", "target", "estim", "project", "predict", "potenti", "possibl",
        "would", "could", "might", "may", "will", "hope", "aim", "seek", "want", "offer", "bid",
    }.Select(w => PorterStemmer.Stem(w)).ToHashSet(StringComparer.Ordinal);
}
