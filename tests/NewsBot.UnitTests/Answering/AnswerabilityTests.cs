using NewsBot.Core.Answering;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Answering;

/// <summary>
/// The answerability judgement (<see cref="ExtractiveAnswerer.Judge"/>): a sentence answers only when it covers
/// the question's names, enough of its key terms and holds an answer of the expected type the question does
/// not already give. Invented stories, so nothing here is fitted to an evaluation set.
/// </summary>
public class AnswerabilityTests
{
    [Theory]
    // by default the judgement answers for the questions whose answer it can check by its kind (Answering:JudgeTypedQuestions)
    [InlineData("How much did Acme pay for Widgetco?", true)]
    [InlineData("How many homes were flooded in Eastvale?", true)]
    [InlineData("What was the score when Rivertown beat Eastvale?", true)]
    [InlineData("When will Acme open its Leeds plant?", true)]
    [InlineData("Who will coach Rivertown next season?", true)]
    [InlineData("A storm hit Eastvale this week. Who named it?", true)] // the question sentence decides, not the background
    [InlineData("What did the Rivertown coach say about the defeat?", false)]
    [InlineData("Which company bought Widgetco?", false)]
    [InlineData("In which city will the Northland summit be held?", false)]
    [InlineData("Why did Acme close its Leeds plant?", false)]
    public void Questions_that_ask_for_an_amount_a_score_a_date_or_a_person_are_the_typed_ones(string question, bool typed)
        => Assert.Equal(typed, ExtractiveAnswerer.AsksTypedAnswer(question));

    [Theory]
    // who → a person or body
    [InlineData("Who will coach Rivertown next season?", "Rivertown coach named", "Rivertown have named Maria Olsen as coach for next season.", "Rivertown said the coach for next season would be named soon.")]
    // how much → an amount
    [InlineData("How much did Acme pay for Widgetco?", "Acme buys Widgetco", "Acme paid $4.2bn for Widgetco, the firm said.", "Acme said it was pleased to pay for Widgetco.")]
    // how many → a count
    [InlineData("How many homes were flooded in Eastvale?", "Eastvale floods", "The storm flooded 340 homes in Eastvale.", "The storm flooded homes across Eastvale.")]
    // when → a date the question does not give
    [InlineData("When will Acme open its Leeds plant?", "Acme plant", "Acme will open its Leeds plant in March.", "Acme will open its Leeds plant, it said.")]
    // where / which city → a place
    [InlineData("In which city will the Northland summit be held?", "Northland summit", "The Northland summit will be held in Oslo.", "The Northland summit will be held soon, officials said.")]
    // what was the score → a score
    [InlineData("What was the score when Rivertown beat Eastvale?", "Rivertown win", "Rivertown beat Eastvale 3-1 on Saturday.", "Rivertown beat Eastvale on Saturday, to the delight of fans.")]
    public void A_sentence_answers_only_with_an_answer_of_the_expected_type(string question, string headline, string answering, string onTopicOnly)
    {
        var yes = ExtractiveAnswerer.Judge(question, answering, headline);
        var no = ExtractiveAnswerer.Judge(question, onTopicOnly, headline);
        Assert.True(yes.Answers, $"should answer: {yes}");
        Assert.True(yes.HasExpected);
        Assert.False(no.Answers, $"should not answer: {no}");
        Assert.False(no.HasExpected);
        Assert.Empty(no.Missing);
    }

    [Fact]
    public void The_answer_must_not_be_one_the_question_already_gives()
    {
        var j = ExtractiveAnswerer.Judge("What did Acme pay $4.2bn for?", "Acme paid $4.2bn, the firm said.", "Acme deal");
        Assert.True(j.HasExpected); // an open question expects no particular type
        var when = ExtractiveAnswerer.Judge("When in 2004 did Acme open the plant?", "Acme opened the plant in 2004.", "Acme plant");
        Assert.False(when.HasExpected);
    }

    [Fact]
    public void Every_name_the_question_gives_must_be_covered_not_just_one()
    {
        var j = ExtractiveAnswerer.Judge("How much did Acme pay for Widgetco and Gadgetron?", "Acme paid $4.2bn for Widgetco.", "Acme buys Widgetco");
        Assert.False(j.Answers);
        Assert.Equal(["Gadgetron"], j.Missing);
    }

    [Fact]
    public void A_name_is_covered_by_a_clear_variant_by_one_of_its_words_or_by_the_headline()
    {
        var j = ExtractiveAnswerer.Judge("What was Brazilian unemployment in December according to Maria Olsen?",
            "Unemployment fell to 9.6% in December, Olsen said.", "Brazil jobless rate falls");
        Assert.True(j.Answers, j.ToString());
    }

    [Fact]
    public void A_figure_the_question_gives_must_be_in_the_sentence_or_its_context()
    {
        var j = ExtractiveAnswerer.Judge("Which firm did Acme buy for $4.2bn?", "Acme bought Widgetco for $3.1bn.", "Acme deal");
        Assert.False(j.Answers);
        Assert.Contains("4.2bn", j.Missing);
    }

    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    static SearchHit Hit(string id, string title, string text) => new()
    {
        Article = new ArticleRef { Id = id, Title = title, Url = $"https://news.test/{id}", Outlet = "Test Outlet" }, Position = 0, Text = text,
    };

    [Fact]
    public async Task Sources_that_cover_the_subject_but_not_the_fact_give_no_answer_and_say_what_is_lacking()
    {
        const string q = "How much did Acme pay for Widgetco?";
        var hits = new[]
        {
            Hit("a1", "Acme to buy Widgetco", "Acme has agreed to buy Widgetco. Acme said the deal for Widgetco would close in the spring."),
            Hit("a2", "Widgetco shareholders back Acme deal", "Widgetco shareholders backed the Acme deal on Monday."),
        };
        var answer = await new ExtractiveAnswerer(_embedder).AnswerAsync(q, await _embedder.EmbedQueryAsync(q), hits, 3);
        Assert.NotNull(answer);
        Assert.Empty(answer.Sentences);
        Assert.NotNull(answer.Shortfall);
        Assert.Empty(answer.Shortfall.Value.Judgement.Missing);
        Assert.False(answer.Shortfall.Value.Judgement.HasExpected);
    }

    [Fact]
    public async Task A_second_source_is_quoted_only_when_it_answers_the_same_question()
    {
        const string q = "How much did Acme pay for Widgetco?";
        var hits = new[]
        {
            Hit("a1", "Acme buys Widgetco", "Acme paid $4.2bn for Widgetco, the firm said."),
            Hit("a2", "Acme deal questioned", "Analysts said Acme paid too much for Widgetco, a rival of Gadgetron."),
            Hit("a3", "Acme pays for Widgetco", "Acme paid $4.2bn for Widgetco, a regulatory filing showed."),
        };
        var answer = await new ExtractiveAnswerer(_embedder).AnswerAsync(q, await _embedder.EmbedQueryAsync(q), hits, 3);
        Assert.NotNull(answer);
        Assert.Null(answer.Shortfall);
        var cited = answer.Sources.Select(s => s.Article.Id).ToList();
        Assert.Contains("a1", cited);
        Assert.Contains("a3", cited);       // corroborates: it answers the same question
        Assert.DoesNotContain("a2", cited); // on the subject, no amount: similar is not enough
    }
}

/// <summary>
/// Each part of the judgement on its own, with invented sentences: the question's names (a name of several words by
/// its last word), the relation asked (or its nominalisation) stated as done rather than anticipated, an amount of
/// the thing asked, and the year asked.
/// </summary>
public class AnswerabilityPartsTests
{
    [Fact]
    public void A_name_of_several_words_is_not_covered_by_another_name_sharing_its_first_word()
    {
        var j = ExtractiveAnswerer.Judge("How much did Acme Motors earn?", "Acme Foods earned $2bn, its chief said.", "Acme Foods results");
        Assert.False(j.Answers);
        Assert.Contains("Acme Motors", j.Missing);
        Assert.True(ExtractiveAnswerer.Judge("How much did Acme Motors earn?", "Acme Motors earned $2bn, its chief said.", "Car maker results").Answers);
    }

    [Fact]
    public void The_relation_asked_must_be_stated_and_its_nominalisation_counts()
    {
        const string q = "Who won the Northland Cup final?";
        var won = ExtractiveAnswerer.Judge(q, "Rivertown won the Northland Cup final, beating Eastvale 2-0.", "Cup final");
        var meet = ExtractiveAnswerer.Judge(q, "Rivertown and Eastvale will meet in the Northland Cup final on Sunday.", "Cup final");
        Assert.True(won.Answers, won.ToString());
        Assert.False(meet.Answers, meet.ToString());
        Assert.False(meet.StatesRelation);
        Assert.True(meet.HasExpected); // new names, so only the relation rules it out

        var elected = ExtractiveAnswerer.Judge("When was Maria Olsen elected mayor of Eastvale?", "Olsen's election as mayor of Eastvale came in May 2003.", "Eastvale mayor");
        Assert.True(elected.Answers, elected.ToString());
    }

    [Fact]
    public void A_relation_that_is_only_expected_or_possible_does_not_answer_what_happened()
    {
        const string q = "How many years in prison was Tom Reed sentenced to?";
        var could = ExtractiveAnswerer.Judge(q, "Reed could face a sentence of 20 years in prison if he is convicted.", "Reed trial opens");
        var was = ExtractiveAnswerer.Judge(q, "Reed was sentenced to 12 years in prison on Friday.", "Reed jailed");
        Assert.False(could.Answers, could.ToString());
        Assert.False(could.StatesRelation);
        Assert.True(was.Answers, was.ToString());
        // a question about the future is answered by what is expected
        Assert.True(ExtractiveAnswerer.Judge("Who will win the Northland Cup, according to the bookmakers?", "Bookmakers say Rivertown will win the Northland Cup.", "Cup odds").StatesRelation);
    }

    [Theory]
    [InlineData("How many people attended the Eastvale festival?", "About 25,000 people attended the Eastvale festival this weekend.", "The Eastvale festival, which drew big crowds this weekend, is now 40 years old.")]
    [InlineData("How much did Acme pay for Widgetco?", "Acme paid £310m for Widgetco, the firm said.", "Acme paid for Widgetco, which employs 300 staff, the firm said.")]
    [InlineData("How many goals did Rivertown score last season?", "Rivertown scored 71 goals last season.", "Rivertown scored freely in 2004 and last season.")]
    public void How_many_and_how_much_need_an_amount_of_the_thing_asked_not_just_any_number(string question, string answering, string otherNumber)
    {
        var yes = ExtractiveAnswerer.Judge(question, answering, "Local news");
        var no = ExtractiveAnswerer.Judge(question, otherNumber, "Local news");
        Assert.True(yes.Answers, yes.ToString());
        Assert.False(no.Answers, no.ToString());
        Assert.False(no.HasExpected);
    }

    [Fact]
    public void A_sentence_about_another_year_does_not_answer_a_question_about_this_one()
    {
        var other = ExtractiveAnswerer.Judge("What profit did Acme make in 2006?", "Acme made a profit of $3m in 2004.", "Acme results");
        Assert.False(other.Answers);
        Assert.Contains("2006", other.Missing);
        Assert.True(ExtractiveAnswerer.Judge("What profit did Acme make in 2006?", "Acme made a profit of $5m in 2006.", "Acme results").Answers);
        // the year the date filter took out of the searched text still counts, from the question as asked
        var asked = ExtractiveAnswerer.Judge("What profit did Acme make?", "Acme made a profit of $3m in 2004.", "Acme results", asked: "What profit did Acme make in 2006?");
        Assert.Contains("2006", asked.Missing);
    }

    [Fact]
    public void A_sentence_covering_most_of_the_question_may_reword_its_relation_but_not_anticipate_it()
    {
        const string q = "Which band finished second in the Northland radio poll of the year?";
        // "came second" for "finished second": no form of the relation, but the poll, the year and "second" are all there
        var came = ExtractiveAnswerer.Judge(q, "The Eastvale Hounds came second in the Northland radio poll of the year.", "Radio poll");
        Assert.True(came.Answers, came.ToString());
        // the same words under a marker of the future do not say what happened
        var will = ExtractiveAnswerer.Judge(q, "The Eastvale Hounds are expected to come second in the Northland radio poll of the year.", "Radio poll");
        Assert.False(will.Answers, will.ToString());
        // a sentence sharing little with the question must still state the relation
        var little = ExtractiveAnswerer.Judge(q, "The Eastvale Hounds played to 20,000 fans in June.", "Radio poll");
        Assert.False(little.Answers, little.ToString());
    }

    [Fact]
    public void The_word_naming_the_kind_of_answer_is_not_a_term_the_sentence_must_repeat()
    {
        // "which year": the sentence answers with a year, it need not say "year"
        var founded = ExtractiveAnswerer.Judge("In which year was the Eastvale Trust founded?", "The Eastvale Trust was founded in 1974 to protect the moors.", "Trust history");
        Assert.Equal(1.0, founded.TermShare);
        var name = ExtractiveAnswerer.Judge("What was the name of the Rivertown ferry that sank?", "The Rivertown ferry Morning Star sank in calm water.", "Ferry lost");
        Assert.Equal(1.0, name.TermShare);
    }

    [Fact]
    public void A_question_whose_verb_says_nothing_is_held_to_more_of_its_nouns()
    {
        // "what was the result": no relation to check, so the nouns must carry the match
        const string q = "What was the result of the Eastvale referendum on the new bridge toll?";
        var aside = ExtractiveAnswerer.Judge(q, "Campaigners in Eastvale handed out 5,000 leaflets about the bridge.", "Bridge vote");
        Assert.False(aside.Answers, aside.ToString());
        Assert.InRange(aside.TermShare, ExtractiveAnswerer.MinKeyTermShare, ExtractiveAnswerer.MinKeyTermShareWithoutRelation - 0.01);
        var result = ExtractiveAnswerer.Judge(q, "The Eastvale referendum on the new bridge toll resulted in a 60% vote against it.", "Bridge vote");
        Assert.True(result.Answers, result.ToString());
    }

    [Fact]
    public void A_count_may_name_the_thing_counted_in_other_words_but_not_another_unit_of_time()
    {
        var households = ExtractiveAnswerer.Judge("How many homes in Eastvale have fast broadband?", "Some 7,400 households in Eastvale have fast broadband.", "Broadband");
        Assert.True(households.HasExpected, households.ToString());
        var days = ExtractiveAnswerer.Judge("How many years did Tom Reed spend in Eastvale prison?", "Tom Reed spent two days in Eastvale prison before his release.", "Reed freed");
        Assert.False(days.HasExpected, days.ToString());
    }

    [Theory]
    [InlineData("How many flights did the Northland pilots' strike cancel?", "cancel")]
    [InlineData("What did the Eastvale jury decide?", "decide")]
    [InlineData("How much does Acme charge for delivery?", "charge")]
    public void The_verb_after_did_or_does_and_the_subject_is_the_relation_asked(string question, string verb)
        => Assert.Contains(ExtractiveAnswerer.Relations(question), r => r.Contains(verb));

    [Fact]
    public void A_count_right_after_the_relation_asked_counts_what_it_acts_on()
    {
        const string q = "How many flights were cancelled during the Northland pilots' strike?";
        // "services", not "flights": the number is what the strike cancelled
        var governed = ExtractiveAnswerer.Judge(q, "Pilots at Northland Air walked out on Monday, cancelling about 300 services, the airline said.", "Northland pilots strike");
        Assert.True(governed.Answers, governed.ToString());
        // the same number, not what was cancelled
        var other = ExtractiveAnswerer.Judge(q, "Pilots at Northland Air walked out on Monday; about 300 services run each day, the airline said.", "Northland pilots strike");
        Assert.False(other.HasExpected, other.ToString());
    }

    [Theory]
    [InlineData("Tom Reed faces being sentenced to up to 20 years in prison.")]
    [InlineData("Prosecutors have asked the judge to sentence Tom Reed to 20 years in prison.")]
    [InlineData("Tom Reed's lawyers look forward to seeing him sentenced to no more than two years.")]
    public void Facing_asking_for_or_looking_forward_to_a_relation_does_not_state_it(string sentence)
    {
        var j = ExtractiveAnswerer.Judge("How many years in prison was Tom Reed sentenced to?", sentence, "Reed trial");
        Assert.False(j.Answers, j.ToString());
        Assert.False(j.StatesRelation, j.ToString());
    }

    [Fact]
    public void Statements_around_the_question_are_background_not_names_the_answer_must_cover()
    {
        // the quiz style: a statement, then the question; the storm's name is asked, Eastvale is where it hit
        var storm = ExtractiveAnswerer.Judge("A storm flooded Eastvale this week. What was the storm's name?", "Storm Odile brought floods to the coast this week.", "Storm Odile");
        Assert.DoesNotContain("Eastvale", storm.Missing);
        Assert.True(storm.Answers, storm.ToString());
        // a name in the question sentence itself is still required
        var mayor = ExtractiveAnswerer.Judge("A storm flooded Eastvale this week. What did Rivertown's mayor say about it?", "The mayor said the town would rebuild.", "Storm Odile");
        Assert.Contains("Rivertown", mayor.Missing);
        // one sentence: the whole question, as before
        Assert.Equal("Who won? Who lost?", ExtractiveAnswerer.QuestionSentences("Who won? Who lost?"));
    }

    [Theory]
    [InlineData("Which Eastvale firm built the AI chess program?", "Eastvale firm Brightmind built the artificial intelligence chess program.", true)]
    [InlineData("Which Eastvale channel showed the TV debate?", "Eastvale's local channel showed the television debate on Monday.", true)]
    [InlineData("Who won the U.S. Open women's title?", "Maria Olsen won the US Open women's title on Saturday.", true)]
    [InlineData("Which Eastvale firm built the AI chess program?", "Brightmind, based at Iowa, built the chess program for Eastvale.", false)]
    public void An_abbreviation_is_covered_by_its_spelling_out_or_without_its_full_stops(string question, string sentence, bool covered)
    {
        var j = ExtractiveAnswerer.Judge(question, sentence, "Local news");
        Assert.Equal(covered, j.Missing.Count == 0);
    }

    [Fact]
    public void A_count_may_be_given_by_the_relation_s_own_noun()
    {
        const string q = "How many customers have ordered Acme's new phone?";
        var orders = ExtractiveAnswerer.Judge(q, "The Acme phone has had almost 900,000 orders, the firm said.", "Acme phone");
        Assert.True(orders.Answers, orders.ToString());
        // a number of something else is still not a count of what was asked
        var staff = ExtractiveAnswerer.Judge(q, "Acme, which ordered parts for the phone, employs 900 staff.", "Acme phone");
        Assert.False(staff.HasExpected, staff.ToString());
    }

    [Fact]
    public void A_name_is_covered_by_another_name_WordNet_gives_for_the_same_place()
    {
        const string q = "Which council in Britain lost the most voters from its register?";
        var uk = ExtractiveAnswerer.Judge(q, "Eastvale council lost more voters from its register than any other in the UK.", "Voter registers shrink");
        Assert.True(uk.Answers, uk.ToString());
        var other = ExtractiveAnswerer.Judge(q, "Eastvale council lost more voters from its register than any other in Norway.", "Voter registers shrink");
        Assert.Contains("Britain", other.Missing);
    }

    [Fact]
    public void What_happened_asks_for_any_event_not_for_the_verb_happen()
    {
        var j = ExtractiveAnswerer.Judge("What happened along the Eastvale river?", "The Eastvale river burst its banks on Sunday night.", "Eastvale floods");
        Assert.True(j.StatesRelation, j.ToString());
        Assert.True(j.Answers, j.ToString());
    }

    [Theory]
    [InlineData("How much did Acme pay for Widgetco?", "Acme paid £310m for Widgetco, the firm said.", "Acme said its planned £310m offer for Widgetco was fair.")]
    [InlineData("How much did Eastvale's economy grow in 2005?", "Eastvale's economy grew by 1.2% in 2005.", "Eastvale's economy will struggle to meet its 1.4% growth target in 2005.")]
    public void An_amount_planned_forecast_or_targeted_does_not_answer_what_happened(string question, string fact, string anticipated)
    {
        var yes = ExtractiveAnswerer.Judge(question, fact, "Local news");
        var no = ExtractiveAnswerer.Judge(question, anticipated, "Local news");
        Assert.True(yes.Answers, yes.ToString());
        Assert.False(no.Answers, no.ToString());
        Assert.False(no.HasExpected);
        // asked about the forecast itself, the forecast answers
        Assert.True(ExtractiveAnswerer.Judge("What growth does Eastvale's government expect in 2005?", "Eastvale's government expects growth of 1.4% in 2005.", "Local news").HasExpected);
    }

    [Theory]
    [InlineData("Swiss Federal officials have demanded the withdrawal of the film.", false)]
    [InlineData("The British Film Council has run seminars for small studios.", false)]
    [InlineData("The film was directed by Maria Olsen, who angered church groups.", true)]
    public void A_run_of_place_words_names_a_body_not_a_person(string sentence, bool person)
        => Assert.Equal(person, ExtractiveAnswerer.NewPersonName(sentence, ExtractiveAnswerer.QuestionWords("Who directed the film?")));

    [Fact]
    public void A_sentence_failing_only_on_a_name_given_by_description_fails_on_wording_alone()
    {
        // "the Magpies" is a nickname the article never uses; everything else the question asks is there
        const string q = "Which non-League side got a home tie against the Magpies in the Northland Cup?";
        var nickname = ExtractiveAnswerer.Judge(q, "Non-League side Yeading got a home tie against Rivertown in the Northland Cup.", "Cup draw");
        Assert.False(nickname.Answers);
        Assert.Equal(["Magpies"], nickname.Missing);
        Assert.True(nickname.OnlyWording, nickname.ToString());
        // a year, a figure or the relation missing is not a matter of wording
        var year = ExtractiveAnswerer.Judge("Which non-League side got a home tie against the Magpies in the 2006 Northland Cup?", "Non-League side Yeading got a home tie against Rivertown in the Northland Cup.", "Cup draw");
        Assert.False(year.OnlyWording, year.ToString());
        // nor is a question all of whose names are missing (an invented company)
        var invented = ExtractiveAnswerer.Judge("How much did Zorblax pay for its new factory?", "Acme paid £310m for its new factory.", "Acme factory");
        Assert.False(invented.OnlyWording, invented.ToString());
    }

    [Fact]
    public void A_year_is_also_covered_by_the_article_s_date()
    {
        const string q = "How many homes did the 2025 Eastvale floods destroy?";
        const string sentence = "The Eastvale floods destroyed 340 homes, the council said.";
        var of2025 = new DateTimeOffset(2025, 6, 3, 0, 0, 0, TimeSpan.Zero);
        Assert.True(ExtractiveAnswerer.Judge(q, sentence, "Eastvale floods", published: of2025).Answers);
        // an article of another year, or one of that year whose sentence is about another year, does not cover it
        var older = ExtractiveAnswerer.Judge(q, sentence, "Eastvale floods", published: of2025.AddYears(-1));
        Assert.Contains("2025", older.Missing);
        var otherYear = ExtractiveAnswerer.Judge(q, "The Eastvale floods of 2019 destroyed 340 homes.", "Eastvale floods", published: of2025);
        Assert.Contains("2025", otherYear.Missing);
        // an article of the next year covers it where it says "last year"
        var next = of2025.AddYears(1);
        Assert.True(ExtractiveAnswerer.Judge(q, "Last year the Eastvale floods destroyed 340 homes.", "Eastvale floods", published: next).Answers);
        Assert.False(ExtractiveAnswerer.Judge(q, sentence, "Eastvale floods", published: next).Answers);
    }

    [Fact]
    public async Task The_question_s_names_are_looked_for_in_the_whole_article_when_its_text_is_given()
    {
        const string q = "How much did Rivertown pay for the striker?";
        var hits = new[]
        {
            new SearchHit { Article = new ArticleRef { Id = "a1", Title = "Rovers sign striker", Url = "https://news.test/a1" }, Position = 2, Text = "Rovers paid £8m for the striker, the club said." },
        };
        var vector = await _embedder.EmbedQueryAsync(q);
        var passagesOnly = await new ExtractiveAnswerer(_embedder).AnswerAsync(q, vector, hits, 3);
        Assert.NotNull(passagesOnly?.Shortfall);
        Assert.Contains("Rivertown", passagesOnly.Shortfall.Value.Judgement.Missing);
        var bodies = new Dictionary<string, string> { ["a1"] = "Rovers sign striker\nRivertown Rovers have signed a striker.\n\nRovers paid £8m for the striker, the club said." };
        var whole = await new ExtractiveAnswerer(_embedder).AnswerAsync(q, vector, hits, 3, articleBodies: bodies);
        Assert.NotNull(whole);
        Assert.Null(whole.Shortfall);
        Assert.Contains("£8m", whole.Text);
    }

    readonly Embedder _embedder = new(new HashingEmbeddingGenerator(256), HashingEmbeddingGenerator.Profile(256));

    [Fact]
    public async Task A_second_source_about_another_company_is_not_quoted()
    {
        const string q = "How much did Acme earn last year?";
        SearchHit Hit(string id, string title, string text) => new()
        {
            Article = new ArticleRef { Id = id, Title = title, Url = $"https://news.test/{id}", Outlet = "Test Outlet" }, Position = 0, Text = text,
        };
        var hits = new[]
        {
            Hit("a1", "Acme profits up", "Acme earned $2bn last year, the company said on Monday."),
            Hit("a2", "Widgetco in the red", "Widgetco lost $1bn last year, its chief executive said on Monday."),
        };
        var answer = await new ExtractiveAnswerer(_embedder).AnswerAsync(q, await _embedder.EmbedQueryAsync(q), hits, 3);
        Assert.NotNull(answer);
        Assert.Equal(["a1"], answer.Sources.Select(s => s.Article.Id));
        Assert.Contains("$2bn", answer.Text);
    }
}
