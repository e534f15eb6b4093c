using NewsBot.Core.Answering;
using NewsBot.Core.Ports;

namespace NewsBot.UnitTests.Answering;

public class QueryAndFollowUpTests
{
    static readonly DateTimeOffset Now = new(2025, 3, 12, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void From_filters_are_taken_out_of_the_question()
    {
        var p = QueryParser.Parse("from:Reuters from:\"Kyiv Independent\" strikes on energy yesterday", Now, TimeZoneInfo.Utc);
        Assert.Equal(["Reuters", "Kyiv Independent"], p.Outlets);
        Assert.Equal("strikes on energy", p.SearchText);
        Assert.NotNull(p.Window);
    }

    [Theory]
    [InlineData("Why were residents evacuated from:River_Gazette.")]
    [InlineData("Why were residents evacuated (from:River_Gazette)?")]
    public void A_full_stop_or_bracket_after_a_from_filter_is_not_part_of_the_outlet(string q)
        => Assert.Equal(["River Gazette"], QueryParser.Parse(q, Now, TimeZoneInfo.Utc).Outlets);

    static ConversationTurn Turn(string q, params string[] cited) => new()
    {
        ConversationId = "c", Question = q, StandaloneQuery = q, Answer = "…", CitedArticleIds = cited, At = Now,
    };

    [Theory]
    [InlineData("And what about NATO?")]
    [InlineData("what did Moscow say?")]
    [InlineData("when was that?")]
    [InlineData("and for how much?")]
    [InlineData("who is directing it?")]
    [InlineData("Who does he think could take Henman's place?")] // "he" before any name it could stand for
    [InlineData("Which Windows users are safe from it?")] // "it" beside a single name in a short question
    [InlineData("What would the Tories do instead?")] // elliptical: instead of what was just discussed
    [InlineData("How much did the Irish maker's shares fall?")] // a description with no name to anchor it
    [InlineData("Who runs the firm now?")]
    public void Follow_ups_carry_the_previous_topic_and_prefer_the_cited_articles(string q)
    {
        var r = FollowUpRewriter.Rewrite(q, [Turn("What did Putin say about meeting Zelenskyy?", "u1")]);
        Assert.True(r.IsFollowUp);
        Assert.Contains("Putin", r.Standalone);
        Assert.Contains("Zelenskyy", r.Standalone);
        Assert.Equal(["u1"], r.PreferredArticleIds);
    }

    [Fact]
    public void A_follow_up_keeps_the_outlet_filter_of_the_conversation_and_does_not_search_for_its_name()
    {
        var history = new[] { Turn("Why were residents evacuated near the Oder from:River_Gazette?", "u1") };
        var r = FollowUpRewriter.Rewrite("and what did the governor promise?", history);
        Assert.True(r.IsFollowUp);
        Assert.Equal(["River Gazette"], QueryParser.Parse(r.Standalone, Now, TimeZoneInfo.Utc).Outlets);
        Assert.DoesNotContain("Gazette", QueryParser.Parse(r.Standalone, Now, TimeZoneInfo.Utc).SearchText);
        // a follow-up that names its own outlet uses that one
        var own = FollowUpRewriter.Rewrite("and what did from:Reuters say?", history);
        Assert.Equal(["Reuters"], QueryParser.Parse(own.Standalone, Now, TimeZoneInfo.Utc).Outlets);
    }

    [Theory]
    [InlineData("...")]
    [InlineData("?")]
    public void Punctuation_alone_does_not_repeat_the_previous_topic(string q)
        => Assert.False(FollowUpRewriter.Rewrite(q, [Turn("What did Putin say about meeting Zelenskyy?", "u1")]).IsFollowUp);

    [Theory]
    [InlineData("How many people were killed in the Kyiv strikes on Tuesday?")]
    [InlineData("Which team won the Champions League final in Munich?")]
    [InlineData("Did Putin say he would meet Zelenskyy in Istanbul?")] // "he" has its name right before it
    [InlineData("How much did the Dutch bank ING lose last year?")] // the description comes with its name
    public void Questions_with_their_own_topic_stand_alone(string q)
    {
        var r = FollowUpRewriter.Rewrite(q, [Turn("What did Putin say about meeting Zelenskyy?", "u1")]);
        Assert.False(r.IsFollowUp);
        Assert.Equal(q, r.Standalone);
        Assert.Empty(r.PreferredArticleIds);
    }

    [Fact]
    public void Without_history_nothing_is_rewritten()
        => Assert.Equal("and what about NATO?", FollowUpRewriter.Rewrite("and what about NATO?", []).Standalone);

    [Fact]
    public void Invalid_citations_are_dropped_and_the_rest_renumbered_in_order_of_use()
    {
        var c = Citations.Check("Talks stalled [3]. Twelve died [1, 9]. Both sides spoke [3][1]. Nothing here [0].", sourceCount: 4);
        Assert.Equal("Talks stalled [1]. Twelve died [2]. Both sides spoke [1][2]. Nothing here.", c.Text);
        Assert.Equal([3, 1], c.CitedSources);
        Assert.Equal(2, c.Dropped);
    }

    [Fact]
    public void Ranges_and_source_words_in_markers_are_understood()
    {
        var c = Citations.Check("A [Source 2]. B [1-3].", 3);
        Assert.Equal("A [1]. B [2][1][3].", c.Text);
        Assert.Equal([2, 1, 3], c.CitedSources);
    }

    [Theory]
    // every form models write is renumbered with the rest: a form left alone would keep its old number and point
    // at another article once the others are renumbered
    [InlineData("Residents fled [2]. Funds were promised 【1】.", "Residents fled [1]. Funds were promised [2].")]
    [InlineData("Residents fled [2]. Funds were promised [1 and 2].", "Residents fled [1]. Funds were promised [2][1].")]
    [InlineData("Residents fled [2]. Funds were promised [Sources 1, 2].", "Residents fled [1]. Funds were promised [2][1].")]
    [InlineData("Residents fled [2]. Funds were promised [1†source].", "Residents fled [1]. Funds were promised [2].")]
    [InlineData("Residents fled [2]. Funds were promised 【1:0†source】.", "Residents fled [1]. Funds were promised [2].")]
    [InlineData("Residents fled [2]. Funds were promised [^1].", "Residents fled [1]. Funds were promised [2].")]
    [InlineData("Residents fled [2]. Funds were promised [source: 1].", "Residents fled [1]. Funds were promised [2].")]
    public void Other_marker_forms_are_read_and_renumbered(string answer, string expected)
    {
        var c = Citations.Check(answer, sourceCount: 2);
        Assert.Equal(expected, c.Text);
        Assert.Equal([2, 1], c.CitedSources);
    }

    [Fact]
    public void An_unclosed_marker_with_many_labelled_terms_is_read_at_once_and_a_time_is_not_a_citation()
    {
        // these took exponential time with a label that could swallow the separators
        var unclosed = "[1†" + string.Concat(Enumerable.Repeat(" and 1†a", 40)) + " x";
        Assert.Empty(Citations.Check(unclosed, 3).CitedSources);
        var coverage = "Coverage: 【1†Reuters - 2†AP - 3†AFP - 4†DPA - 5†EFE - 6†ANSA - 7†PAP - 8†CTK - 9†MTI - 10†BTA - 11†HINA - 12†STA - 13†NHK\nMore.";
        Assert.Empty(Citations.Check(coverage, 3).CitedSources);
        var time = Citations.Check("The meeting starts [10:30] as planned [1].", 12);
        Assert.Equal([1], time.CitedSources);
        Assert.Contains("[10:30]", time.Text);
    }

    [Fact]
    public void A_backwards_or_too_wide_range_is_counted_as_dropped()
    {
        var c = Citations.Check("A [3-1]. B [1-25]. C [1].", 3);
        Assert.Equal("A. B. C [1].", c.Text);
        Assert.Equal(2, c.Dropped);
    }

    [Fact]
    public void Clean_up_leaves_dots_inside_words_and_list_indentation_alone()
    {
        var c = Citations.Check("Microsoft released .NET 10 [1] in November [9].\n- Features:\n    - faster startup [1]", 1);
        Assert.Equal("Microsoft released .NET 10 [1] in November.\n- Features:\n    - faster startup [1]", c.Text);
    }

    [Fact]
    public void An_answer_with_only_invalid_markers_has_no_citations()
        => Assert.Empty(Citations.Check("The minister resigned [7].", 2).CitedSources);

    [Theory]
    [InlineData("How many people were killed?", "en")]
    [InlineData("Wie viele Menschen wurden getötet?", "de")]
    [InlineData("Combien de personnes ont été tuées ?", "fr")]
    [InlineData("¿Cuántos muertos hubo en Kyiv?", "es")]
    [InlineData("Сколько людей погибло в Киеве?", "ru")]
    [InlineData("Скільки людей загинуло у Києві?", "uk")]
    public void Language_is_guessed_for_refusals(string q, string lang)
    {
        Assert.Equal(lang, Language.Detect(q));
        Assert.False(string.IsNullOrWhiteSpace(Language.NotCoveredMessage(lang)));
    }
}
