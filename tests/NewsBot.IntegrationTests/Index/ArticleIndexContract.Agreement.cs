using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;
using static NewsBot.IntegrationTests.Index.ContractCorpus;

namespace NewsBot.IntegrationTests.Index;

/// <summary>
/// Agreement with the embedded index: the backend under test, holding the corpus, must rank every search of
/// <see cref="AgreementSearches"/> exactly as an embedded index holding the same chunks does (same chunks, same order,
/// same per-leg ranks and fused scores), give the same term statistics, and — through the real
/// <see cref="Retriever"/> and <see cref="AnswerService"/> — answer and refuse the same questions.
/// </summary>
public abstract partial class ArticleIndexContract
{
    [SkippableFact]
    public async Task Every_search_ranks_the_chunks_as_the_embedded_index_does()
    {
        var index = await StartAsync();
        await using var reference = await EmbeddedReference.CreateAsync(Embed);

        foreach (var (text, mode, filter) in AgreementSearches)
        {
            var query = await Embed.QueryAsync(text, mode, filter);
            var expected = await reference.Index.SearchAsync(query);
            var actual = await index.SearchAsync(query);

            Assert.NotEmpty(expected);
            var what = $"'{text}' ({mode})";
            Assert.True(Keys(expected).SequenceEqual(Keys(actual)),
                $"{what}: expected {string.Join(", ", Keys(expected))} but got {string.Join(", ", Keys(actual))}");
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal((expected[i].DenseRank, expected[i].LexicalRank), (actual[i].DenseRank, actual[i].LexicalRank));
                Assert.Equal(expected[i].Score, actual[i].Score, 9);
            }
        }

        static IEnumerable<string> Keys(IReadOnlyList<SearchHit> hits) => hits.Select(h => $"{h.Article.Id[..8]}#{h.Position}");
    }

    [SkippableFact]
    public async Task The_answer_service_answers_and_refuses_the_same_questions_as_on_the_embedded_index()
    {
        var index = await StartAsync();
        await using var reference = await EmbeddedReference.CreateAsync(Embed);
        await using var mine = await AnsweringRig.CreateAsync(Embed, index);
        await using var theirs = await AnsweringRig.CreateAsync(Embed, reference.Index);

        foreach (var question in AnswerableQuestions.Concat(UnanswerableQuestions))
        {
            var (expectedStats, actualStats) = (await theirs.Retriever.TermStatsForAsync(question), await mine.Retriever.TermStatsForAsync(question));
            Assert.NotEmpty(actualStats.Idf); // the backend keeps term statistics
            Assert.Equal(expectedStats.Idf.OrderBy(kv => kv.Key), actualStats.Idf.OrderBy(kv => kv.Key));
            Assert.Equal(expectedStats.Unseen.Order(), actualStats.Unseen.Order());

            var expected = await theirs.Service.AnswerAsync(new AnswerRequest { Question = question });
            var actual = await mine.Service.AnswerAsync(new AnswerRequest { Question = question });
            bool answerable = AnswerableQuestions.Contains(question);
            Assert.True(expected.Refused != answerable, $"the embedded index {(answerable ? "refused" : "answered")} '{question}': {expected.Answer}");
            Assert.True(actual.Refused != answerable, $"{GetType().Name} {(answerable ? "refused" : "answered")} '{question}': {actual.Answer}");
            Assert.Equal(expected.Answer, actual.Answer);
            Assert.Equal(expected.Citations.Select(c => c.Article.Id), actual.Citations.Select(c => c.Article.Id));
        }
    }

    /// <summary>An embedded index in its own folder holding the corpus: what every backend is compared with.</summary>
    sealed class EmbeddedReference : IAsyncDisposable
    {
        readonly string _folder = Path.Combine(Path.GetTempPath(), "newsbot-reference-" + Guid.NewGuid().ToString("N")[..12]);

        public SqliteArticleIndex Index { get; private set; } = null!;

        public static async Task<EmbeddedReference> CreateAsync(ContractEmbedderFixture embed)
        {
            var r = new EmbeddedReference();
            r.Index = new SqliteArticleIndex(new SqliteDatabase(r._folder));
            await r.Index.EnsureReadyAsync(embed.Model);
            foreach (var a in All)
            {
                var (record, chunks) = await embed.ArticleAsync(a);
                await r.Index.UpsertAsync(record, chunks);
            }
            return r;
        }

        public ValueTask DisposeAsync()
        {
            Index.Dispose();
            DeleteFolder(_folder);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The real retriever and answer service over an index, with the article registry and conversations in a scratch database.</summary>
    sealed class AnsweringRig : IAsyncDisposable
    {
        readonly string _folder = Path.Combine(Path.GetTempPath(), "newsbot-answering-" + Guid.NewGuid().ToString("N")[..12]);

        public Retriever Retriever { get; private set; } = null!;
        public AnswerService Service { get; private set; } = null!;

        public static async Task<AnsweringRig> CreateAsync(ContractEmbedderFixture embed, IArticleIndex index)
        {
            var rig = new AnsweringRig();
            var db = new SqliteDatabase(rig._folder);
            var store = new SqliteArticleStore(db);
            foreach (var a in All) await store.SaveArticleAsync((await embed.ArticleAsync(a)).Record);
            var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 10, 12, 0, 0, TimeSpan.Zero));
            var statistics = Assert.IsAssignableFrom<ITermStatistics>(index); // every index keeps term statistics
            rig.Retriever = new Retriever(index, statistics, embed.Embedder, LexicalEncoder.Default, new RetrievalOptions(), time);
            rig.Service = new AnswerService(rig.Retriever, new ExtractiveAnswerer(embed.Embedder), new SqliteConversationStore(db),
                new AnsweringOptions { MinRelevance = AnsweringOptions.DefaultMinRelevance }, time, TestLog.For<AnswerService>(), null, store);
            return rig;
        }

        public ValueTask DisposeAsync()
        {
            DeleteFolder(_folder);
            return ValueTask.CompletedTask;
        }
    }

    static void DeleteFolder(string folder)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
