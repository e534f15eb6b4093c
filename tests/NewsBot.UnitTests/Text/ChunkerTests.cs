using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

public class ChunkerTests
{
    static List<string> Paragraphs(int count, int sentencesEach)
        => Enumerable.Range(0, count)
            .Select(p => string.Join(" ", Enumerable.Range(0, sentencesEach).Select(s => $"Paragraph {p} sentence {s} talks about harbour cranes and shipping volumes in detail.")))
            .ToList();

    [Fact]
    public void Chunks_stay_within_the_maximum_and_cover_every_sentence_in_order()
    {
        var chunker = new Chunker(HeuristicTokenCounter.Instance, new ChunkerOptions { TargetTokens = 120, MaxTokens = 150, OverlapTokens = 20 });
        var paragraphs = Paragraphs(8, 5);
        var chunks = chunker.Chunk(paragraphs);
        Assert.True(chunks.Count > 2);
        Assert.All(chunks, c => Assert.True(HeuristicTokenCounter.Instance.CountTokens(c.Text) <= 150 + 5, $"chunk {c.Position} too long"));
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Position));
        var all = string.Join(" ", chunks.Select(c => c.Text));
        for (int p = 0; p < 8; p++)
            for (int s = 0; s < 5; s++)
                Assert.Contains($"Paragraph {p} sentence {s} ", all);
        // order: first mention of each sentence is increasing
        var firsts = Enumerable.Range(0, 8).Select(p => all.IndexOf($"Paragraph {p} sentence 0 ", StringComparison.Ordinal)).ToList();
        Assert.Equal(firsts.OrderBy(x => x), firsts);
    }

    [Fact]
    public void Short_sentences_overlap_between_consecutive_chunks()
    {
        var chunker = new Chunker(HeuristicTokenCounter.Instance, new ChunkerOptions { TargetTokens = 60, MaxTokens = 80, OverlapTokens = 30 });
        var chunks = chunker.Chunk(Paragraphs(1, 12));
        Assert.True(chunks.Count >= 2);
        var lastOfFirst = SentenceSplitter.Split(chunks[0].Text)[^1];
        Assert.StartsWith(lastOfFirst, chunks[1].Text);
    }

    [Fact]
    public void A_short_article_is_one_chunk_and_paragraph_breaks_are_kept()
    {
        var chunker = new Chunker(HeuristicTokenCounter.Instance);
        var chunks = chunker.Chunk(["First paragraph here.", "Second paragraph here."]);
        var c = Assert.Single(chunks);
        Assert.Equal("First paragraph here.\n\nSecond paragraph here.", c.Text);
    }

    [Fact]
    public void A_giant_sentence_without_punctuation_is_cut_between_words()
    {
        var chunker = new Chunker(HeuristicTokenCounter.Instance, new ChunkerOptions { TargetTokens = 50, MaxTokens = 60, OverlapTokens = 0 });
        var words = string.Join(" ", Enumerable.Range(0, 400).Select(i => "word" + i));
        var chunks = chunker.Chunk([words]);
        Assert.True(chunks.Count >= 6);
        Assert.All(chunks, c => Assert.True(c.TokenCount <= 60));
        Assert.Equal(400, chunks.Sum(c => c.Text.Split(' ').Length));
    }

    [Fact]
    public void A_tiny_tail_is_merged_into_the_previous_chunk()
    {
        var chunker = new Chunker(HeuristicTokenCounter.Instance, new ChunkerOptions { TargetTokens = 40, MaxTokens = 100, OverlapTokens = 0, MinTokens = 10 });
        var text = string.Join(" ", Enumerable.Range(0, 4).Select(i => $"Sentence number {i} is about the budget of the city council and its spending."));
        var chunks = chunker.Chunk([text, "Short end."]);
        Assert.EndsWith("Short end.", chunks[^1].Text);
        Assert.NotEqual("Short end.", chunks[^1].Text);
    }
}
