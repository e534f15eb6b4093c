using System.Text.RegularExpressions;
using NewsBot.Core.Model;
using NewsBot.Sqlite;

namespace NewsBot.IntegrationTests.Index;

/// <summary>
/// The int8 bound of the dense leg's exact re-scoring (BENCHMARKS.md §2.2.9), on real all-MiniLM-L6-v2 vectors: passages
/// of the contract corpus and of samples/ (sentences and overlapping word windows) against real query vectors. Every
/// exact score must lie within the bound of its int8 estimate, and a search that skips rows by the bound must return
/// what re-scoring every candidate returns.
/// </summary>
[Collection(IndexContractCollection.Name)]
public sealed partial class RescoreBoundRealVectorsTests(ContractEmbedderFixture embed)
{
    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    static List<string> Passages([System.Runtime.CompilerServices.CallerFilePath] string here = "")
    {
        var passages = ContractCorpus.All.SelectMany(a => a.Chunks.Select(c => a.Title + "\n" + c)).ToList();
        var samples = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "samples"));
        foreach (var file in Directory.EnumerateFiles(samples).Order(StringComparer.Ordinal))
        {
            var text = Regex.Replace(File.ReadAllText(file), "<[^>]+>", " ");
            passages.AddRange(SentenceEnd().Split(text).Select(s => s.Trim()).Where(s => s.Length > 20));
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i + 12 <= words.Length; i += 4) passages.Add(string.Join(' ', words, i, 12));
        }
        return [.. passages.Distinct(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task The_bound_holds_for_real_passages_and_queries_and_skipping_by_it_changes_no_result()
    {
        var passages = Passages();
        Assert.True(passages.Count > 250, $"only {passages.Count} passages");
        var vectors = await embed.Embedder.EmbedPassagesAsync(passages);
        var index = new InMemoryHybridIndex(embed.Model.Dimensions);
        for (int i = 0; i < vectors.Length; i++) index.Add(i + 1, "p" + i, null, null, vectors[i], [], []);
        var questions = ContractCorpus.AnswerableQuestions.Concat(ContractCorpus.UnanswerableQuestions).Concat(ContractCorpus.All.Select(a => a.Title)).ToList();
        double factor = InMemoryHybridIndex.RescoreErrorFactor(embed.Model.Dimensions);
        foreach (var question in questions)
        {
            var q = await embed.QueryVectorAsync(question);
            double l1 = q.Sum(x => Math.Abs((double)x));
            for (int slot = 0; slot < vectors.Length; slot++)
            {
                var (estimate, bound) = index.RescoreEstimate(slot, q, l1, factor);
                double error = Math.Abs(index.ExactScore(slot, q) - estimate);
                Assert.True(error <= bound, $"{question} / passage {slot}: |exact − estimate| = {error} > {bound}");
            }
            foreach (int perLeg in new[] { 10, 40 })
            {
                var query = new HybridQuery { Dense = q, Sparse = SparseVector.Empty, Top = perLeg, CandidatesPerLeg = perLeg, Mode = RetrievalMode.Dense };
                try
                {
                    InMemoryHybridIndex.UseRescoreBound = false;
                    var all = index.Search(query, 60).Select(c => (c.RowId, c.DenseScore, c.DenseRank)).ToList();
                    InMemoryHybridIndex.UseRescoreBound = true;
                    var bounded = index.Search(query, 60).Select(c => (c.RowId, c.DenseScore, c.DenseRank)).ToList();
                    Assert.Equal(all, bounded);
                }
                finally
                {
                    InMemoryHybridIndex.UseRescoreBound = true;
                }
            }
        }
    }
}
