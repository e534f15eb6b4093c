using NewsBot.Core.Model;
using NewsBot.Core.Text;

namespace NewsBot.Benchmarking;

/// <summary>
/// Benchmark text: real articles from a corpus folder (first line the title, then the body — the layout of
/// ../shared/eval/bbc), and any number of synthetic articles recombined from that corpus's sentences
/// (or from a built-in vocabulary when no corpus is given), dated over the past year, across five outlets.
/// </summary>
public sealed class BenchCorpus
{
    static readonly string[] Outlets = ["Harbor City Herald", "Northern Ledger", "Valley Wire", "Coastal Times", "Evening Courier"];
    readonly List<(string Title, List<string> Paragraphs)> _articles = [];
    readonly List<string> _sentences = [];
    readonly List<string> _titles = [];

    public static BenchCorpus Load(string? folder)
    {
        var c = new BenchCorpus();
        if (folder is not null && Directory.Exists(folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.txt", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).StartsWith('.')) continue;
                var text = File.ReadAllText(file);
                var parsed = ArticleTextParser.Parse(text, markdown: false);
                if (parsed.Paragraphs.Count == 0 || parsed.Title.Length == 0) continue;
                c._articles.Add((parsed.Title, parsed.Paragraphs.ToList()));
                c._titles.Add(parsed.Title);
                foreach (var p in parsed.Paragraphs) c._sentences.AddRange(SentenceSplitter.Split(p).Where(s => s.Length > 30));
            }
        }
        if (c._sentences.Count == 0) c.Synthesize();
        return c;
    }

    public bool FromCorpus => _articles.Count > 0;

    public IReadOnlyList<string> Titles => _titles;

    /// <summary>The corpus's own articles, as a user would ingest them.</summary>
    public IEnumerable<ExtractedArticle> RealArticles(DateTimeOffset now) => _articles.Select((a, i) => Article($"real-{i}", a.Title, a.Paragraphs, i, now));

    /// <summary>New articles of about <paramref name="targetTokens"/> tokens each, made of the corpus's sentences.</summary>
    public IEnumerable<ExtractedArticle> SyntheticArticles(int seed, int targetTokens, DateTimeOffset now)
    {
        var rng = new Random(seed);
        for (int i = 0; ; i++)
        {
            var paragraphs = new List<string>();
            int tokens = 0;
            while (tokens < targetTokens)
            {
                var para = string.Join(" ", Enumerable.Range(0, 3).Select(_ => _sentences[rng.Next(_sentences.Count)]));
                paragraphs.Add(para);
                tokens += HeuristicTokenCounter.Instance.CountTokens(para);
            }
            var title = _titles.Count > 0 ? $"{_titles[rng.Next(_titles.Count)]} ({i})" : $"Report number {i} on {_sentences[rng.Next(_sentences.Count)].Split(' ')[0]}";
            yield return Article($"syn-{seed}-{i}", title, paragraphs, i, now);
        }
    }

    static ExtractedArticle Article(string key, string title, List<string> paragraphs, int i, DateTimeOffset now)
    {
        var url = $"https://bench.example/{key}";
        return new ExtractedArticle(url, url, title, null, Outlets[i % Outlets.Length], now.AddHours(-(i * 7919 % 8760)), paragraphs, SourceKind.Page);
    }

    void Synthesize()
    {
        var words = "government minister council election vote budget tax economy market shares profit bank rates inflation company chief executive deal merger court ruling police investigation hospital health school teachers union strike workers pay energy prices oil gas climate storm flood river rail airport transport football club season match goal champion film festival music award album technology software phone internet security data privacy research university science space mission".Split(' ');
        var rng = new Random(7);
        for (int i = 0; i < 20000; i++)
        {
            var n = rng.Next(12, 28);
            var s = string.Join(' ', Enumerable.Range(0, n).Select(_ => words[rng.Next(words.Length)]));
            _sentences.Add(char.ToUpperInvariant(s[0]) + s[1..] + ".");
        }
        for (int i = 0; i < 500; i++) _titles.Add(string.Join(' ', Enumerable.Range(0, 6).Select(_ => words[rng.Next(words.Length)])));
    }
}
