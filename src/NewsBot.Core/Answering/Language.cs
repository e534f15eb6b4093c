namespace NewsBot.Core.Answering;

/// <summary>
/// A small offline language guess (by script and common function words) so refusals and notes can be
/// given in the question's language without a language model.
/// </summary>
public static class Language
{
    static readonly Dictionary<string, string[]> Markers = new()
    {
        ["de"] = ["der", "die", "das", "und", "ist", "nicht", "wie", "was", "wer", "wann", "warum", "ein", "eine", "mit", "über", "hat", "haben", "wurde", "gibt", "sind"],
        ["fr"] = ["le", "la", "les", "et", "est", "une", "des", "que", "qui", "quoi", "quand", "pourquoi", "comment", "dans", "sur", "pour", "avec", "combien", "ont", "été"],
        ["es"] = ["el", "los", "las", "que", "qué", "quién", "cuándo", "por", "para", "con", "una", "del", "está", "cómo", "cuántos", "dónde", "fue", "han", "hay", "sobre"],
        ["it"] = ["il", "gli", "che", "chi", "quando", "perché", "come", "una", "del", "della", "sono", "è", "quanti", "dove", "cosa", "hanno", "stato", "sulla", "per", "con"],
        ["pt"] = ["o", "os", "as", "que", "quem", "quando", "por", "para", "com", "uma", "do", "da", "está", "como", "quantos", "onde", "foi", "são", "não", "sobre"],
        ["nl"] = ["de", "het", "een", "en", "is", "niet", "wat", "wie", "wanneer", "waarom", "hoe", "met", "over", "heeft", "zijn", "werd", "hoeveel", "waar", "van", "voor"],
        ["en"] = ["the", "a", "an", "and", "is", "are", "was", "were", "what", "who", "when", "why", "how", "did", "does", "do", "of", "in", "about", "many", "much", "which", "has", "have"],
    };

    /// <summary>
    /// Characters only one of these languages writes: they outweigh a shared function word ("de" is Dutch and, in a
    /// Spanish question such as "¿Cuántas hectáreas de tierras…?", Spanish too).
    /// </summary>
    static readonly Dictionary<string, char[]> Letters = new()
    {
        ["es"] = ['¿', '¡', 'ñ'],
        ["pt"] = ['ã', 'õ'],
        ["de"] = ['ß'],
        ["fr"] = ['œ', 'ù'],
    };

    /// <summary>
    /// Whether the text is recognisably in one of the languages NewsBot has messages for (English, German, French,
    /// Spanish, Italian, Portuguese, Dutch, Russian, Ukrainian): Cyrillic, plain ASCII, or at least one of their common
    /// words and no letters of other scripts.
    /// </summary>
    public static bool HasMessages(string text)
    {
        int cyr = 0, latin = 0, other = 0;
        foreach (var c in text)
        {
            if (c is >= '\u0400' and <= '\u04FF') cyr++;
            else if (char.IsLetter(c)) { if (c < '\u0250') latin++; else other++; }
        }
        if (other > 0 && other >= latin + cyr) return false;
        if (cyr > latin) return true;
        // plain ASCII ("Brexit news", "Latest on Gaza ceasefire?") is taken for English: asking the model costs
        // a call on every such refusal; other Latin-script languages mostly show themselves by their letters
        if (!text.Any(c => char.IsLetter(c) && c > '\u007F')) return true;
        var words = NewsBot.Core.Text.LexicalAnalyzer.Words(text).ToList();
        return Markers.Values.Any(markers => words.Any(markers.Contains));
    }

    public static string Detect(string text)
    {
        int cyr = 0, latin = 0, ukrainianLetters = 0;
        foreach (var c in text)
        {
            if (c is >= '\u0400' and <= '\u04FF') { cyr++; if (c is 'і' or 'ї' or 'є' or 'ґ' or 'І' or 'Ї' or 'Є' or 'Ґ') ukrainianLetters++; }
            else if (char.IsLetter(c) && c < '\u0250') latin++;
        }
        if (cyr > latin) return ukrainianLetters > 0 ? "uk" : "ru";
        var words = NewsBot.Core.Text.LexicalAnalyzer.Words(text).ToList();
        string best = "en";
        int bestScore = 0;
        foreach (var (lang, markers) in Markers)
        {
            int score = words.Count(w => markers.Contains(w)) + 2 * (Letters.TryGetValue(lang, out var own) ? own.Count(text.Contains) : 0);
            if (score > bestScore || (score == bestScore && lang == "en" && score > 0)) { best = lang; bestScore = score; }
        }
        return best;
    }

    static readonly Dictionary<string, string> NotCovered = new()
    {
        ["en"] = "My sources don't cover that.",
        ["de"] = "Dazu finde ich nichts in meinen Quellen.",
        ["fr"] = "Mes sources ne couvrent pas ce sujet.",
        ["es"] = "Mis fuentes no cubren eso.",
        ["it"] = "Le mie fonti non trattano questo argomento.",
        ["pt"] = "As minhas fontes não cobrem isso.",
        ["nl"] = "Mijn bronnen gaan daar niet over.",
        ["ru"] = "В моих источниках нет информации об этом.",
        ["uk"] = "У моїх джерелах немає інформації про це.",
    };

    static readonly Dictionary<string, string> Closest = new()
    {
        ["en"] = "The closest stories I have:",
        ["de"] = "Am nächsten kommen diese Artikel:",
        ["fr"] = "Les articles les plus proches :",
        ["es"] = "Las noticias más cercanas que tengo:",
        ["it"] = "Gli articoli più vicini:",
        ["pt"] = "As notícias mais próximas que tenho:",
        ["nl"] = "De dichtstbijzijnde artikelen:",
        ["ru"] = "Ближайшие статьи:",
        ["uk"] = "Найближчі статті:",
    };

    static readonly Dictionary<string, string> Fallback = new()
    {
        ["en"] = "The language model was unavailable, so this answer quotes the sources directly.",
        ["de"] = "Das Sprachmodell war nicht erreichbar; diese Antwort zitiert die Quellen direkt.",
        ["fr"] = "Le modèle de langage était indisponible ; cette réponse cite directement les sources.",
        ["es"] = "El modelo de lenguaje no estaba disponible; esta respuesta cita las fuentes directamente.",
        ["it"] = "Il modello linguistico non era disponibile; questa risposta cita direttamente le fonti.",
        ["pt"] = "O modelo de linguagem não estava disponível; esta resposta cita as fontes diretamente.",
        ["nl"] = "Het taalmodel was niet beschikbaar; dit antwoord citeert de bronnen direct.",
        ["ru"] = "Языковая модель недоступна, поэтому ответ цитирует источники напрямую.",
        ["uk"] = "Мовна модель недоступна, тому відповідь цитує джерела напряму.",
    };

    static readonly Dictionary<string, string> Uncited = new()
    {
        ["en"] = "The language model's answer cited none of the sources, so this answer quotes the sources directly.",
        ["de"] = "Die Antwort des Sprachmodells nannte keine der Quellen; diese Antwort zitiert die Quellen direkt.",
        ["fr"] = "La réponse du modèle de langage ne citait aucune source ; cette réponse cite directement les sources.",
        ["es"] = "La respuesta del modelo de lenguaje no citaba ninguna fuente; esta respuesta cita las fuentes directamente.",
        ["it"] = "La risposta del modello linguistico non citava alcuna fonte; questa risposta cita direttamente le fonti.",
        ["pt"] = "A resposta do modelo de linguagem não citava nenhuma fonte; esta resposta cita as fontes diretamente.",
        ["nl"] = "Het antwoord van het taalmodel noemde geen enkele bron; dit antwoord citeert de bronnen direct.",
        ["ru"] = "Ответ языковой модели не ссылался на источники, поэтому ответ цитирует источники напрямую.",
        ["uk"] = "Відповідь мовної моделі не посилалася на джерела, тому відповідь цитує джерела напряму.",
    };

    public static string NotCoveredMessage(string lang) => NotCovered.GetValueOrDefault(lang, NotCovered["en"]);

    public static string ClosestLead(string lang) => Closest.GetValueOrDefault(lang, Closest["en"]);

    public static string FallbackNote(string lang) => Fallback.GetValueOrDefault(lang, Fallback["en"]);

    /// <summary>The note when the model answered but cited no source, so the answer was not shown.</summary>
    public static string UncitedNote(string lang) => Uncited.GetValueOrDefault(lang, Uncited["en"]);
}
