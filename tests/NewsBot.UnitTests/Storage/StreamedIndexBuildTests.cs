using NewsBot.Core.Model;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// A full load that is saved as a snapshot is built straight into the snapshot file from two passes over the rows
/// (no vectors or postings in the heap) and mapped. On a few thousand synthetic chunks in a real SQLite file it must
/// be the index a load into the heap gives: the same search results, counts and term frequencies, and the very
/// bytes the heap index writes as its snapshot.
/// </summary>
public sealed class StreamedIndexBuildTests : IDisposable
{
    const int Dim = 384;
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static readonly string[] Words =
    [
        "harbour", "strike", "grain", "ships", "interest", "rates", "inflation", "climbers", "ridge", "orchid", "cup", "final",
        "penalties", "battery", "plant", "river", "flood", "mayor", "election", "turnout", "tram", "budget", "court", "ruling",
        "storm", "farmland", "vaccine", "trial", "border", "talks", "festival", "museum", "drought", "wildfire", "bank", "merger",
    ];

    /// <summary>Articles of 1–4 chunks: clustered unit vectors, text from a small vocabulary (a skewed term distribution), some without outlet or date.</summary>
    static async Task FillAsync(SqliteArticleIndex index, int articles, int seed)
    {
        var rng = new Random(seed);
        var topics = Enumerable.Range(0, 20).Select(_ => Unit(Enumerable.Range(0, Dim).Select(_ => (float)rng.NextDouble() - 0.4f).ToArray())).ToArray();
        for (int a = 0; a < articles; a++)
        {
            var article = new ArticleRef
            {
                Id = $"art-{a:D5}", Url = $"https://example.test/{a}", Title = $"Story {a}",
                Outlet = a % 7 == 0 ? null : $"Outlet {a % 5}", Published = a % 11 == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(1_700_000_000 + a * 3600L),
            };
            int n = 1 + rng.Next(4);
            var chunks = new List<IndexedChunk>();
            for (int p = 0; p < n; p++)
            {
                var text = string.Join(' ', Enumerable.Range(0, 20 + rng.Next(30)).Select(_ => Words[(int)(Words.Length * Math.Pow(rng.NextDouble(), 2))] + (rng.Next(8) == 0 ? rng.Next(500).ToString(System.Globalization.CultureInfo.InvariantCulture) : "")));
                var topic = topics[rng.Next(topics.Length)];
                chunks.Add(new IndexedChunk
                {
                    Article = article, Position = p, Text = text,
                    Dense = Unit(topic.Select(x => x + 0.3f * ((float)rng.NextDouble() - 0.5f)).ToArray()), Sparse = LexicalEncoder.Default.EncodeDocument(text),
                });
            }
            var body = string.Join("\n\n", chunks.Select(c => c.Text));
            var record = new ArticleRecord
            {
                Article = article, SourceKey = "test:" + a, IngestedAt = DateTimeOffset.UnixEpoch, ContentHash = Hashing.ContentHash(body),
                Kind = SourceKind.Page, ChunkCount = n, Body = body,
            };
            await index.UpsertAsync(record, chunks);
        }
    }

    static float[] Unit(float[] v)
    {
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    [Fact]
    public async Task A_build_streamed_into_the_snapshot_equals_a_build_in_the_heap()
    {
        var model = new EmbeddingModelInfo("synthetic", Dim);
        var db = new SqliteDatabase(_dir.Path);
        using (var writer = new SqliteArticleIndex(db) { SnapshotAfterChanges = -1 })
        {
            await writer.EnsureReadyAsync(model);
            await FillAsync(writer, 1200, seed: 18);
            for (int a = 3; a < 1200; a += 97) await writer.DeleteAsync($"art-{a:D5}"); // rows gone, deletion log not empty
        }

        // a full load of more rows than SnapshotAfterChanges: streamed into the file (many small spill buckets), then mapped
        var log = new ListLogger();
        using var streamed = new SqliteArticleIndex(new SqliteDatabase(_dir.Path), logger: log) { SnapshotAfterChanges = 0, BuildBucketEntries = 5_000 };
        await streamed.PreloadAsync();
        Assert.Contains(log.Messages, m => m.StartsWith("Embedded index built from", StringComparison.Ordinal)); // not the fallback into the heap
        Assert.DoesNotContain(log.Messages, m => m.Contains("could not", StringComparison.Ordinal));
        Assert.True(File.Exists(streamed.SnapshotPath));
        var streamedBytes = await File.ReadAllBytesAsync(streamed.SnapshotPath);
        File.Delete(streamed.SnapshotPath); // still mapped by `streamed`; the heap load below must not start from it

        // the same rows loaded into the heap (no snapshot is written while loading), then saved by the heap writer
        using var heap = new SqliteArticleIndex(new SqliteDatabase(_dir.Path)) { SnapshotAfterChanges = -1 };
        await heap.PreloadAsync();
        Assert.False(File.Exists(heap.SnapshotPath));

        var (vectors, lexical) = heap.LoadedCounts();
        Assert.True(vectors > 2000, $"only {vectors} chunks");
        Assert.Equal((vectors, lexical), streamed.LoadedCounts());
        var (hs, ss) = (await heap.GetStatsAsync(), await streamed.GetStatsAsync());
        Assert.Equal((hs.Articles, hs.Chunks), (ss.Articles, ss.Chunks));
        uint[] terms = [.. Words.Take(12).Select(w => LexicalEncoder.Default.EncodeQuery(w).Indices[0])];
        Assert.Equal((await heap.GetDocumentFrequenciesAsync(terms)).DocumentFrequencies, (await streamed.GetDocumentFrequenciesAsync(terms)).DocumentFrequencies);

        var rng = new Random(7);
        for (int q = 0; q < 40; q++)
        {
            var text = $"{Words[rng.Next(Words.Length)]} {Words[rng.Next(Words.Length)]} {rng.Next(500)}";
            var query = new HybridQuery
            {
                Dense = Unit(Enumerable.Range(0, Dim).Select(_ => (float)rng.NextDouble() - 0.4f).ToArray()), Sparse = LexicalEncoder.Default.EncodeQuery(text),
                Top = 10, CandidatesPerLeg = 40, Filter = q % 4 == 0 ? new SearchFilter { Outlets = ["Outlet 1", "Outlet 3"] } : SearchFilter.None,
            };
            var expected = (await heap.SearchAsync(query)).Select(h => $"{h.Article.Id}#{h.Position}:{h.Score:R}:{h.DenseScore:R}:{h.LexicalScore:R}").ToList();
            Assert.Equal(10, expected.Count);
            Assert.Equal(expected, (await streamed.SearchAsync(query)).Select(h => $"{h.Article.Id}#{h.Position}:{h.Score:R}:{h.DenseScore:R}:{h.LexicalScore:R}").ToList());
        }

        // the file itself: what the heap index writes for the same rows, byte for byte (header, codes and centre included)
        await heap.SaveSnapshotAsync();
        Assert.Equal(streamedBytes, await File.ReadAllBytesAsync(heap.SnapshotPath));
        Assert.Empty(Directory.GetFiles(_dir.Path, "index.spill.*")); // spill buckets removed

        // and a snapshot rewritten from the streamed, mapped index (its sections copied by file reads) is the same file again
        await streamed.SaveSnapshotAsync();
        Assert.Equal(streamedBytes, await File.ReadAllBytesAsync(streamed.SnapshotPath));
    }
}
