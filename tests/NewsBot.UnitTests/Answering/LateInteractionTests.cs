using NewsBot.Core.Answering;
using NewsBot.Core.Retrieval;
using NewsBot.Evaluation;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Answering;

/// <summary>Late interaction (<see cref="LateInteraction"/>) on hand-made token vectors, and its absence without a token port.</summary>
public class LateInteractionTests
{
    static float[] V(params float[] x) => x;

    [Fact]
    public void MaxSim_averages_each_query_tokens_best_cosine_in_the_document()
    {
        float[][] query = [V(1, 0, 0), V(0, 1, 0)];
        float[][] document = [V(1, 0, 0), V(0, 0, 1), V(0.6f, 0.8f, 0)];

        // token 1's best is 1 (the first document token), token 2's 0.8 (the third)
        Assert.Equal(0.9, LateInteraction.MaxSim(query, document), 6);
        Assert.Equal([1.0, 0.8], LateInteraction.BestMatches(query, document).Select(v => Math.Round(v, 6)));
        // weighted: the second token counts three times
        Assert.Equal((1 + 3 * 0.8) / 4, LateInteraction.MaxSim(query, document, [1, 3]), 6);
        // a document holding every query token exactly scores 1, whatever else it holds
        Assert.Equal(1, LateInteraction.MaxSim(query, [.. document, V(0, 1, 0)]), 6);
        Assert.Equal(0, LateInteraction.MaxSim(query, []));
    }

    [Fact]
    public void Features_leave_out_special_tokens_and_punctuation_and_count_what_the_sentence_adds()
    {
        // question "[CLS] who won ? [SEP]"; sentence "[CLS] smith won the vote . [SEP]"
        var question = new TokenEmbedding([], ["[CLS]", "who", "won", "?", "[SEP]"], [V(9, 9, 9), V(0, 0, 1), V(1, 0, 0), V(5, 5, 5), V(9, 9, 9)]);
        var sentence = new TokenEmbedding([], ["[CLS]", "smith", "won", "the", "vote", ".", "[SEP]"],
            [V(9, 9, 9), V(0, 2, 0), V(2, 0, 0), V(0, 0, 1), V(0.7f, 0.71414284f, 0), V(5, 5, 5), V(9, 9, 9)]);
        var q = LateInteraction.Prepare(question);
        var s = LateInteraction.Prepare(sentence);

        Assert.Equal(["who", "won"], q.Words);
        Assert.Equal([false, true], q.Content); // "who" is a stop word
        Assert.Equal(["smith", "won", "the", "vote"], s.Words);

        var f = LateInteraction.Features(q, s, w => w == "won" ? 3 : 1);
        Assert.Equal(LateInteraction.FeatureNames.Length, f.Length);
        Assert.Equal(1, f[0], 6); // "who" meets "the" (0,0,1), "won" meets "won": both 1
        Assert.Equal(1, f[1], 6);
        Assert.Equal(1, f[2], 6); // content: "won" only
        // the sentence's content tokens smith, won, vote: best matches among the question's 0, 1, 0.7
        Assert.Equal((1 + 0 + 0.3) / 3, f[3], 5);
        Assert.Equal(1 / 3.0, f[4], 6); // smith unmatched; won and vote (0.7 ≥ 0.6) matched
    }

    [Fact]
    public void Word_pieces_belong_to_their_word()
    {
        var e = new TokenEmbedding([], ["[CLS]", "flood", "##ing", "of", "the", "##m", "[SEP]"], [V(1, 0), V(1, 0), V(0, 1), V(1, 1), V(0, 1), V(1, 0), V(1, 1)]);
        var p = LateInteraction.Prepare(e);

        Assert.Equal(["flooding", "flooding", "of", "them", "them"], p.Words);
        Assert.Equal([true, true, false, false, false], p.Content);
        Assert.All(p.Vectors, v => Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(v), 5));
    }

    [Fact]
    public async Task An_embedder_without_token_vectors_offers_no_port()
    {
        var embedder = new Embedder(new HashingEmbeddingGenerator(64), HashingEmbeddingGenerator.Profile(64));

        Assert.Null(embedder.TokenGenerator);
        Assert.Null(await embedder.EmbedTokensAsync(["anything"], query: false));
    }

    [Fact]
    public async Task Feature_rows_carry_the_late_features_beside_the_fitted_list_and_read_back()
    {
        var features = new double[SentenceModel.FeatureNames.Length];
        var rows = new SentenceFeatureRows("Who opened the library?",
        [
            new SentenceFeatureRow("Mayor Ann Lee opened the library.", "a", 6, features, [0.8, 0.7, 0.9, 0.3, 0.2]),
            new SentenceFeatureRow("The library has many books.", "a", 5, features),
        ]);
        var item = new QaItem { Id = "q1", Question = "Who opened the library?", Answers = ["Ann Lee"] };
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "f.jsonl");
        await File.WriteAllTextAsync(path, SentenceModelFitter.Row(item, answerable: true, rows) + "\n");

        var read = SentenceModelFitter.Load([path]).Single();

        Assert.Equal([true, false], read.Candidates.Select(c => c.Label));
        Assert.Equal([0.8, 0.7, 0.9, 0.3, 0.2], read.Candidates[0].Late!);
        Assert.Null(read.Candidates[1].Late); // a generator without token vectors writes none
        Assert.Equal(SentenceModel.FeatureNames.Length, read.Candidates[0].X.Length);
    }
}
