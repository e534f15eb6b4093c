using NewsBot.Core.Text;

namespace NewsBot.UnitTests.Text;

public class SentenceSplitterTests
{
    [Fact]
    public void Splits_at_sentence_ends_but_not_at_abbreviations_initials_or_decimals()
    {
        var text = "Mr. Smith met Dr. Jones in the U.S. capital on Jan. 5. Prices rose 3.5% in March! Did they? Writer Anna K. Berg agreed.";
        var s = SentenceSplitter.Split(text);
        Assert.Equal(
        [
            "Mr. Smith met Dr. Jones in the U.S. capital on Jan. 5.",
            "Prices rose 3.5% in March!",
            "Did they?",
            "Writer Anna K. Berg agreed.",
        ], s);
    }

    [Fact]
    public void Keeps_closing_quotes_with_their_sentence()
    {
        var s = SentenceSplitter.Split("“There was a whistle,” she said. “Then it started.” The end came later.");
        Assert.Equal(["“There was a whistle,” she said.", "“Then it started.”", "The end came later."], s);
    }

    [Fact]
    public void Does_not_split_before_a_lower_case_continuation()
    {
        var s = SentenceSplitter.Split("The firm, e.g. its board, said no. then nothing.");
        Assert.Single(s);
    }

    [Fact]
    public void Empty_text_gives_no_sentences() => Assert.Empty(SentenceSplitter.Split("   "));
}
