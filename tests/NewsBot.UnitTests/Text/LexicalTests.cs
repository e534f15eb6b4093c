using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

public class LexicalTests
{
    [Theory]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("relational", "relat")]
    [InlineData("strikes", "strike")]
    [InlineData("running", "run")]
    [InlineData("generalizations", "gener")]
    [InlineData("hopping", "hop")]
    [InlineData("sky", "sky")]
    public void Porter_stemmer_matches_the_published_examples(string word, string stem) => Assert.Equal(stem, PorterStemmer.Stem(word));

    /// <summary>
    /// Every pair of the vocabulary and output lists published with the algorithm (30,428 words; source and licence
    /// in Text/Data/README.md): the stems are persisted as lexical term ids, so a stemmer change must show up here.
    /// The only differences allowed are the 39 words that the departures of Porter's reference C implementation
    /// change (see <see cref="PorterStemmer"/>), each pinned to our stem.
    /// </summary>
    [Fact]
    public void Porter_stemmer_matches_the_published_vocabulary_and_output()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Text", "Data", "porter-voc-output.txt"));
        Assert.True(lines.Length > 30_000, $"only {lines.Length} pairs");
        var wrong = new List<string>();
        int departures = 0;
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            var expected = ReferenceDepartures.TryGetValue(parts[0], out var ours) ? ours : parts[1];
            if (ours is not null)
            {
                departures++;
                Assert.NotEqual(parts[1], ours); // a departure that the published list agrees with is no departure
            }
            var stem = PorterStemmer.Stem(parts[0]);
            if (stem != expected) wrong.Add($"{parts[0]}: {stem}, expected {expected}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {lines.Length} differ: {string.Join("; ", wrong.Take(40))}");
        Assert.Equal(ReferenceDepartures.Count, departures);
    }

    /// <summary>Words whose stem the reference implementation's departures change, with our (the reference's) stem.</summary>
    static readonly Dictionary<string, string> ReferenceDepartures = new()
    {
        // one- or two-letter words are not stemmed (published list: "as" → "a", "s" → "")
        ["as"] = "as", ["ay"] = "ay", ["es"] = "es", ["ey"] = "ey", ["is"] = "is", ["ns"] = "ns", ["os"] = "os",
        ["rs"] = "rs", ["s"] = "s", ["ts"] = "ts", ["us"] = "us", ["uy"] = "uy",
        // "-bli" → "-ble" (published: only "-abli" → "-able")
        ["assemblies"] = "assembl", ["assembly"] = "assembl", ["corruptibly"] = "corrupt", ["dissembly"] = "dissembl",
        ["dumbly"] = "dumbl", ["forcibly"] = "forcibl", ["horribly"] = "horribl", ["humbly"] = "humbl", ["ignobly"] = "ignobl",
        ["inexpressibly"] = "inexpress", ["infallibly"] = "infal", ["nimbly"] = "nimbl", ["possibly"] = "possibl",
        ["sensibly"] = "sensibl", ["terribly"] = "terribl", ["visibly"] = "visibl", ["volubly"] = "volubl",
        // "-logi" → "-log" (not in the published step 2)
        ["apologies"] = "apolog", ["apology"] = "apolog", ["archaeologies"] = "archaeolog", ["archaeology"] = "archaeolog",
        ["palynologies"] = "palynolog", ["palynology"] = "palynolog", ["philologies"] = "philolog", ["philology"] = "philolog",
        ["phonologies"] = "phonolog", ["phonology"] = "phonolog",
    };

    [Fact]
    public void Analyzer_drops_stop_words_and_possessives_and_keeps_numbers()
    {
        var terms = LexicalAnalyzer.DocumentTerms("Russia's strikes on Kyiv killed 28 people, the 3.5% figure said.");
        Assert.Contains("russia", terms);
        Assert.Contains("strike", terms);
        Assert.Contains("kyiv", terms);
        Assert.Contains("28", terms);
        Assert.Contains("3.5", terms);
        Assert.DoesNotContain("the", terms);
        Assert.DoesNotContain("on", terms);
    }

    [Fact]
    public void Query_terms_drop_question_noise()
    {
        var terms = LexicalAnalyzer.QueryTerms("What is the latest news about the Iskander strike today?");
        Assert.Equal(["iskand", "strike"], terms);
    }

    [Fact]
    public void Diacritics_fold_so_accented_and_plain_spellings_match()
        => Assert.Equal(LexicalAnalyzer.DocumentTerms("Zelenskyy café"), LexicalAnalyzer.DocumentTerms("Zelenskyy cafe"));

    [Fact]
    public void Document_weights_saturate_with_term_frequency_and_shrink_with_length()
    {
        var enc = LexicalEncoder.Default;
        var once = enc.EncodeDocument("grain port");
        var thrice = enc.EncodeDocument("grain grain grain port");
        var id = LexicalAnalyzer.TermId("grain");
        float W(NewsBot.Core.Model.SparseVector v) => v.Values[Array.IndexOf(v.Indices, id)];
        Assert.True(W(thrice) > W(once));
        Assert.True(W(thrice) < 3 * W(once));
        var longDoc = enc.EncodeDocument("grain " + string.Join(" ", Enumerable.Range(0, 300).Select(i => "filler" + i)));
        Assert.True(W(longDoc) < W(once));
        Assert.Equal(once.Indices.OrderBy(x => x), once.Indices);
    }

    [Fact]
    public void Idf_is_high_for_rare_terms_and_low_for_common_ones()
    {
        Assert.True(LexicalEncoder.Idf(1000, 1) > LexicalEncoder.Idf(1000, 500));
        Assert.True(LexicalEncoder.Idf(1000, 999) > 0);
    }

    [Fact]
    public void MinHash_estimates_similarity_of_near_and_far_texts()
    {
        var baseText = string.Join(" ", Enumerable.Range(0, 200).Select(i => $"word{i % 97} token{i}"));
        var edited = baseText.Replace("token150", "changed150");
        var other = string.Join(" ", Enumerable.Range(0, 200).Select(i => $"other{i} thing{i % 13}"));
        var a = MinHash.Compute(baseText);
        Assert.Equal(1.0, MinHash.Similarity(a, MinHash.Compute(baseText)));
        Assert.True(MinHash.Similarity(a, MinHash.Compute(edited)) >= 0.9);
        Assert.True(MinHash.Similarity(a, MinHash.Compute(other)) < 0.2);
        Assert.Equal(a, MinHash.FromBytes(MinHash.ToBytes(a)));
    }
}
