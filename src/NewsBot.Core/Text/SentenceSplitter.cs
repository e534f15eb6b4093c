namespace NewsBot.Core.Text;

/// <summary>
/// Splits prose into sentences at ., ! and ? (with closing quotes and brackets), without breaking
/// at common abbreviations ("Mr.", "U.S.", "Jan."), initials ("Stefan J. Bos"), or decimals ("3.5").
/// </summary>
public static class SentenceSplitter
{
    static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "gov", "sen", "rep", "col", "lt", "sgt", "capt", "cmdr",
        "adm", "maj", "pres", "rev", "hon", "messrs", "mme", "mlle", "no", "nos", "vol", "vols", "pp", "fig", "figs", "ed", "eds",
        "inc", "ltd", "co", "corp", "plc", "bros", "dept", "univ", "assn", "est", "approx", "vs", "etc", "al", "cf", "ca", "viz",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
        "e.g", "i.e", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "d.c", "n.y", "l.a", "u.s.a",
    };

    static readonly char[] Closers = ['"', '\'', '”', '’', ')', ']', '»', '›'];

    public static List<string> Split(string text)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return result;
        int start = 0;
        int n = text.Length;
        for (int i = 0; i < n; i++)
        {
            char c = text[i];
            if (c != '.' && c != '!' && c != '?' && c != '…') continue;
            // swallow runs like "?!" or "..."
            int end = i + 1;
            while (end < n && (text[end] == '.' || text[end] == '!' || text[end] == '?')) end++;
            while (end < n && Array.IndexOf(Closers, text[end]) >= 0) end++;
            if (end >= n) break;
            if (!char.IsWhiteSpace(text[end])) { i = end - 1; continue; }
            int next = end;
            while (next < n && char.IsWhiteSpace(text[next])) next++;
            if (next >= n) break;
            char nc = text[next];
            bool nextStarts = char.IsUpper(nc) || char.IsDigit(nc) || nc is '"' or '“' or '‘' or '\'' or '(' or '[' or '«' or '—' or '-'
                              || (!char.IsLower(nc) && char.IsLetter(nc)); // scripts without case
            if (!nextStarts) { i = end - 1; continue; }
            if (c == '.' && IsAbbreviationBefore(text, i)) { i = end - 1; continue; }
            var sentence = text[start..end].Trim();
            if (sentence.Length > 0) result.Add(sentence);
            start = next;
            i = next - 1;
        }
        var tail = text[start..].Trim();
        if (tail.Length > 0) result.Add(tail);
        return result;
    }

    static bool IsAbbreviationBefore(string text, int dot)
    {
        int j = dot - 1;
        while (j >= 0 && (char.IsLetter(text[j]) || text[j] == '.')) j--;
        var word = text.Substring(j + 1, dot - j - 1);
        if (word.Length == 0) return false;
        if (word.Length == 1 && char.IsUpper(word[0])) return true; // initial: "J."
        if (Abbreviations.Contains(word)) return true;
        // dotted acronyms like "U.S" or "e.g"
        if (word.Contains('.') && word.Replace(".", "").Length <= 4) return true;
        return false;
    }
}
