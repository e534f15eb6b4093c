namespace NewsBot.Core.Text;

/// <summary>English function words left out of lexical matching (they match most documents and slow searches).</summary>
public static class StopWords
{
    public static readonly HashSet<string> English = new(StringComparer.Ordinal)
    {
        "a","about","above","after","again","against","all","also","am","an","and","any","are","aren't","as","at",
        "be","because","been","before","being","below","between","both","but","by","can","could","did","do","does",
        "doing","done","down","during","each","either","else","ever","few","for","from","further","get","got","had","has","have",
        "having","he","her","here","hers","herself","him","himself","his","how","however","i","if","in","into","is","it",
        "its","itself","just","let","like","may","me","might","more","most","much","must","my","myself","neither","no","nor","not",
        "now","of","off","on","once","only","or","other","ought","our","ours","ourselves","out","over","own","per","same",
        "shall","she","should","so","some","such","than","that","the","their","theirs","them","themselves","then","there",
        "these","they","this","those","through","thus","to","too","under","until","up","upon","us","very","was","we","were",
        "what","whatever","when","where","whether","which","while","who","whom","whose","why","will","with","within","without",
        "would","yet","you","your","yours","yourself","yourselves","s","t","d","ll","m","re","ve","said","says","say","tell","told",
        "according","anything","something","anyone","someone","many","there's","what's","who's","it's","that's",
    };

    /// <summary>Words that carry intent in a question ("what's the latest news today?") but no topic.</summary>
    public static readonly HashSet<string> QueryNoise = new(StringComparer.Ordinal)
    {
        "news","latest","recent","recently","today","tonight","yesterday","week","weekend","month","happen","happened","happening",
        "tell","know","want","please","going","mean","anything","new","update","updates","story","stories","article","articles",
        "source","sources","report","reported","reports","explain","describe","give","show","find","look",
    };

    public static bool IsStopWord(string lowerWord) => English.Contains(lowerWord);

    public static bool IsQueryNoise(string lowerWord) => English.Contains(lowerWord) || QueryNoise.Contains(lowerWord);
}
