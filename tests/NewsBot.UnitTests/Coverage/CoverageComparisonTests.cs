using NewsBot.Core.Coverage;

namespace NewsBot.UnitTests.Coverage;

public class CoverageComparisonTests
{
    static CoverageSentence S(string outlet, string text) => new(outlet, outlet + "-1", text);

    [Fact]
    public void Numbers_about_the_same_thing_that_differ_between_outlets_are_a_disagreement()
    {
        var d = CoverageComparison.Compare(
        [
            S("Ledger", "Twelve people were injured when the roof of the warehouse fell in, police said."),
            S("Ledger", "Repairs to the depot will cost 4 million euros, the owner estimated."),
            S("Wire", "About 20 people were injured in the blaze on Monday night."),
            S("Wire", "The owner put the cost of the repairs at €6 million."),
        ]);
        Assert.Equal(2, d.Disagreements.Count);
        var injured = d.Disagreements.Single(x => x.Key.Contains("injur"));
        Assert.Equal([12.0, 20.0], injured.Sides.Select(f => f.Amount).Order());
        Assert.Equal(["Ledger", "Wire"], injured.Sides.Select(f => f.Sentence.Outlet));
        Assert.Equal(["twelve", "about 20"], injured.Sides.Select(f => f.Value));
        var cost = d.Disagreements.Single(x => x.Key.StartsWith("money:"));
        Assert.Equal([4e6, 6e6], cost.Sides.Select(f => f.Amount).Order());
        Assert.Equal(["4 million euros", "€6 million"], cost.Sides.Select(f => f.Value));
    }

    [Fact]
    public void The_same_number_in_other_words_is_agreement_and_dates_years_and_times_are_not_figures()
    {
        var d = CoverageComparison.Compare(
        [
            S("Ledger", "Twelve people were injured on 25 November 2026 at 9 pm, police said."),
            S("Wire", "By 10:30 on Tuesday, 12 people were injured, the hospital confirmed in 2026."),
        ]);
        Assert.Empty(d.Disagreements);
        Assert.Empty(CoverageComparison.Figures(S("Ledger", "The fire broke out on 25 November 2026 at 9 pm on Route 9.")));
    }

    [Fact]
    public void What_one_outlet_has_and_the_others_lack_is_exclusive_and_shared_facts_are_not()
    {
        var d = CoverageComparison.Compare(
        [
            S("Ledger", "Fire crews from three towns fought the blaze at the Tarnow warehouse through the night."),
            S("Ledger", "Investigators believe the fire started in a paint store beside the loading bay."),
            S("Wire", "Crews from three towns fought the blaze at the warehouse in Tarnow all night."),
            S("Wire", "The mayor ordered nearby schools closed while smoke hung over the district."),
        ]);
        Assert.Contains(d.Exclusives, s => s.Outlet == "Ledger" && s.Text.Contains("paint store"));
        Assert.Contains(d.Exclusives, s => s.Outlet == "Wire" && s.Text.Contains("schools closed"));
        Assert.DoesNotContain(d.Exclusives, s => s.Text.Contains("three towns"));

        // one outlet against another: only the first one's exclusives
        var only = CoverageComparison.Compare(
        [
            S("Ledger", "Investigators believe the fire started in a paint store beside the loading bay."),
            S("Wire", "The mayor ordered nearby schools closed while smoke hung over the district."),
        ], only: "Wire", against: "Ledger");
        Assert.All(only.Exclusives, s => Assert.Equal("Wire", s.Outlet));
        Assert.Single(only.Exclusives);
    }
}
