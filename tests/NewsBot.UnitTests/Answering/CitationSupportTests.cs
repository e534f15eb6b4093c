using NewsBot.Core.Answering;

namespace NewsBot.UnitTests.Answering;

public class CitationSupportTests
{
    static readonly string[] Sources =
    [
        "Acme buys Widgetco\nAcme paid $4.2bn for Widgetco, chief executive Maria Olsen said on Monday.",
        "Gadgetron results\nGadgetron lost 120m euros in the year.",
    ];

    [Theory]
    [InlineData("Acme paid $4.2bn for Widgetco [1].", "Acme paid $4.2bn for Widgetco [1].", 0)]
    [InlineData("Acme paid $5bn for Widgetco [1].", "Acme paid $5bn for Widgetco.", 1)]                     // a number the source never gives
    [InlineData("The deal was agreed by Olsen and Bloggs [1].", "The deal was agreed by Olsen and Bloggs.", 1)] // a name it never mentions
    [InlineData("Acme paid $4.2bn [1, 2].", "Acme paid $4.2bn [1].", 1)]                                     // one of two sources supports it
    [InlineData("Gadgetron lost 120m euros [2]. Acme paid $4.2bn [1].", "Gadgetron lost 120m euros [2]. Acme paid $4.2bn [1].", 0)]
    [InlineData("Acme paid 4,200 [7].", "Acme paid 4,200 [7].", 0)]                                          // out of range: left to Citations.Check
    public void A_marker_stays_only_where_its_source_holds_the_sentence_s_names_and_numbers(string answer, string expected, int removed)
    {
        var (text, n) = CitationSupport.Prune(answer, Sources);
        Assert.Equal(expected, text);
        Assert.Equal(removed, n);
    }
}
