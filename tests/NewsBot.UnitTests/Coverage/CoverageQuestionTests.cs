using NewsBot.Core.Coverage;

namespace NewsBot.UnitTests.Coverage;

public class CoverageQuestionTests
{
    [Theory]
    [InlineData("Which outlets reported the rail strike?", CoverageKind.Outlets)]
    [InlineData("What sites have covered the Tarnow fire?", CoverageKind.Outlets)]
    [InlineData("Which papers carried the story about the bridge?", CoverageKind.Outlets)]
    [InlineData("Which news sources are reporting on the merger?", CoverageKind.Outlets)]
    [InlineData("How many outlets wrote about the election result?", CoverageKind.Outlets)]
    [InlineData("Who else covered it?", CoverageKind.Outlets)]
    [InlineData("Who reported the Tarnow fire first?", CoverageKind.First)]
    [InlineData("who had it first?", CoverageKind.First)]
    [InlineData("and who reported it first?", CoverageKind.First)]
    [InlineData("Which outlet was first to report the merger?", CoverageKind.First)]
    [InlineData("Which paper broke the story?", CoverageKind.First)]
    [InlineData("Who first reported the bridge collapse?", CoverageKind.First)]
    [InlineData("When did Valley Wire first report it?", CoverageKind.First)]
    [InlineData("When was the Tarnow fire first reported?", CoverageKind.First)]
    [InlineData("How do their accounts differ?", CoverageKind.Differences)]
    [InlineData("How do the outlets' reports of the fire differ?", CoverageKind.Differences)]
    [InlineData("Where do they disagree?", CoverageKind.Differences)]
    [InlineData("What do the sources disagree on about the strike?", CoverageKind.Differences)]
    [InlineData("What does Northern Ledger say that Valley Wire doesn't?", CoverageKind.Differences)]
    [InlineData("What does the Town Crier report that the others don't mention?", CoverageKind.Differences)]
    [InlineData("Are there differences between the accounts of the fire?", CoverageKind.Differences)]
    [InlineData("Do the outlets agree on the number of injured?", CoverageKind.Differences)]
    [InlineData("Compare the coverage of the rail strike", CoverageKind.Differences)]
    // the verbs that also mean other things, with the news as their object
    [InlineData("Who ran the story first?", CoverageKind.First)]
    [InlineData("Who broke the news about the merger?", CoverageKind.First)]
    [InlineData("Who was first?", CoverageKind.First)]
    [InlineData("Who was the first to report the bridge collapse?", CoverageKind.First)]
    [InlineData("Who was first with the story?", CoverageKind.First)]
    [InlineData("Which site was the first to cover it?", CoverageKind.First)]
    [InlineData("Who carried it?", CoverageKind.Outlets)]
    [InlineData("Who else is running the story?", CoverageKind.Outlets)]
    [InlineData("Who picked up the report about the dam?", CoverageKind.Outlets)]
    [InlineData("Can you tell me who reported the dam failure?", CoverageKind.Outlets)]
    public void Coverage_phrasings_are_recognised(string question, CoverageKind kind)
    {
        var q = CoverageQuestions.Parse(question);
        Assert.NotNull(q);
        Assert.Equal(kind, q.Kind);
    }

    [Theory]
    [InlineData("How many trains were cancelled by the rail strike?")]
    [InlineData("Who won the chess open?")]
    [InlineData("What did the report say about emissions?")]
    [InlineData("When did the Oder river burst its banks?")]
    [InlineData("Which country hosts the summit?")]
    [InlineData("What is the first thing the new minister did?")]
    [InlineData("How does the new tax differ from the old one?")]
    [InlineData("and how much will it cost?")]
    // "who" with a verb that can mean "reported" (ran, broke, carried, covered, posted, running) about something else
    [InlineData("Who ran the Berlin marathon in record time?")]
    [InlineData("Who broke the national indoor record?")]
    [InlineData("Who carried the flag at the opening ceremony?")]
    [InlineData("Who covered the cost of the repairs?")]
    [InlineData("Who posted the fastest lap in qualifying?")]
    [InlineData("Who is running for mayor of Tarnow?")]
    [InlineData("Who runs the firm now?")]
    [InlineData("Who broke that record first?")]
    [InlineData("Who ran that company before the merger?")]
    // "who was the first …" about a person, not an outlet
    [InlineData("Who was the first woman to lead the party?")]
    [InlineData("Who was the first player sent off in the final?")]
    [InlineData("Who got the first goal of the match?")]
    [InlineData("Who had the first number one single of the year?")]
    // a relative "who" inside an ordinary question
    [InlineData("Where has the winger who broke his leg in March been training?")]
    [InlineData("Which minister resigned after the clerk who reported the leak was fired?")]
    public void Other_questions_are_not_coverage_questions(string question)
        => Assert.Null(CoverageQuestions.Parse(question));

    [Fact]
    public void The_topic_is_the_question_without_its_coverage_words()
    {
        Assert.Equal("rail strike", CoverageQuestions.Parse("Which outlets reported the rail strike?")!.Topic.Replace("the ", ""));
        Assert.Contains("Tarnow fire", CoverageQuestions.Parse("Who reported the Tarnow fire first?")!.Topic);
        Assert.DoesNotContain("first", CoverageQuestions.Parse("Who reported the Tarnow fire first?")!.Topic);
        // a word of the coverage vocabulary outside the phrase stays in the topic
        Assert.Contains("paper mill fire", CoverageQuestions.Parse("Which outlets covered the paper mill fire?")!.Topic);
        // leaning on the conversation: no topic of its own
        Assert.False(CoverageQuestions.Parse("who had it first?")!.HasTopic);
        Assert.False(CoverageQuestions.Parse("How do their accounts differ?")!.HasTopic);
        Assert.True(CoverageQuestions.Parse("Which sites covered the Tarnow fire?")!.HasTopic);
    }

    [Fact]
    public void Named_outlets_are_read_and_pronouns_or_the_others_are_not_outlets()
    {
        var when = CoverageQuestions.Parse("When did Valley Wire first report it?")!;
        Assert.Equal(["Valley Wire"], when.OutletNames);
        Assert.False(when.HasTopic);
        Assert.Empty(CoverageQuestions.Parse("When did they first report it?")!.OutletNames);
        Assert.Equal(["Northern Ledger", "Valley Wire"], CoverageQuestions.Parse("What does the Northern Ledger say that Valley Wire doesn't?")!.OutletNames);
        Assert.Equal(["Town Crier"], CoverageQuestions.Parse("What does Town Crier report that the others don't?")!.OutletNames);
        var about = CoverageQuestions.Parse("What does Town Crier say about the Tarnow fire that Valley Wire doesn't?")!;
        Assert.Equal(["Town Crier", "Valley Wire"], about.OutletNames);
        Assert.Contains("Tarnow fire", about.Topic);
    }
}
