namespace NewsBot.Core.Text;

/// <summary>
/// Country names and their adjectives, for telling whether a sentence names a country ("similar to
/// Australia's", "the Dutch firm") when a question asks "which country".
/// </summary>
public static class Countries
{
    static readonly HashSet<string> Words = new(StringComparer.OrdinalIgnoreCase);

    static Countries()
    {
        const string list = """
            Afghanistan Afghan|Albania Albanian|Algeria Algerian|Andorra|Angola Angolan|Argentina Argentine Argentinian|Armenia Armenian|
            Australia Australian|Austria Austrian|Azerbaijan Azerbaijani|Bahamas|Bahrain Bahraini|Bangladesh Bangladeshi|Barbados|
            Belarus Belarusian|Belgium Belgian|Belize|Benin|Bhutan|Bolivia Bolivian|Bosnia Bosnian|Botswana|Brazil Brazilian|Britain British UK|
            Brunei|Bulgaria Bulgarian|Burkina|Burma Burmese|Burundi|Cambodia Cambodian|Cameroon|Canada Canadian|Chad|Chile Chilean|
            China Chinese|Colombia Colombian|Congo Congolese|Croatia Croatian|Cuba Cuban|Cyprus Cypriot|Czech|Denmark Danish|Djibouti|
            Dominica Dominican|Ecuador Ecuadorian|Egypt Egyptian|Salvador|England English|Eritrea Eritrean|Estonia Estonian|Ethiopia Ethiopian|
            Fiji|Finland Finnish|France French|Gabon|Gambia|Georgia Georgian|Germany German|Ghana Ghanaian|Greece Greek|Grenada|
            Guatemala|Guinea|Guyana|Haiti Haitian|Honduras|Hungary Hungarian|Iceland Icelandic|India Indian|Indonesia Indonesian|
            Iran Iranian|Iraq Iraqi|Ireland Irish|Israel Israeli|Italy Italian|Jamaica Jamaican|Japan Japanese|Jordan Jordanian|
            Kazakhstan|Kenya Kenyan|Korea Korean|Kosovo|Kuwait Kuwaiti|Kyrgyzstan|Laos|Latvia Latvian|Lebanon Lebanese|Lesotho|
            Liberia Liberian|Libya Libyan|Liechtenstein|Lithuania Lithuanian|Luxembourg|Macedonia Macedonian|Madagascar|Malawi|
            Malaysia Malaysian|Maldives|Mali|Malta Maltese|Mauritania|Mauritius|Mexico Mexican|Moldova|Monaco|Mongolia Mongolian|
            Montenegro|Morocco Moroccan|Mozambique|Myanmar|Namibia|Nepal Nepalese|Netherlands Holland Dutch|Zealand|Nicaragua|Niger|
            Nigeria Nigerian|Norway Norwegian|Oman|Pakistan Pakistani|Palestine Palestinian|Panama|Paraguay|Peru Peruvian|
            Philippines Filipino|Poland Polish|Portugal Portuguese|Qatar|Romania Romanian|Russia Russian|Rwanda Rwandan|Samoa|
            Saudi|Scotland Scottish|Senegal|Serbia Serbian|Seychelles|Singapore|Slovakia Slovak|Slovenia Slovenian|Somalia Somali|
            Africa African|Spain Spanish|Sri|Sudan Sudanese|Suriname|Swaziland|Sweden Swedish|Switzerland Swiss|Syria Syrian|
            Taiwan Taiwanese|Tajikistan|Tanzania|Thailand Thai|Togo|Tonga|Trinidad|Tunisia Tunisian|Turkey Turkish|Turkmenistan|
            Uganda Ugandan|Ukraine Ukrainian|Emirates|America American US USA|Uruguay|Uzbekistan|Venezuela Venezuelan|
            Vietnam Vietnamese|Wales Welsh|Yemen Yemeni|Zambia Zambian|Zimbabwe Zimbabwean
            """;
        foreach (var entry in list.Split('|'))
            foreach (var w in entry.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
                Words.Add(w);
    }

    /// <summary>Whether the word (possessive stripped) is a country's name or adjective.</summary>
    public static bool IsCountryWord(string word) => Words.Contains(word);
}
