namespace NewsBot.Core.Answering;

/// <summary>
/// The learned answer-sentence scorer: a logistic regression over the features of
/// <see cref="ExtractiveAnswerer.Features"/>, giving the probability that a candidate sentence holds the answer.
/// The weights and both thresholds were fitted on the training sets only (BENCHMARKS.md §1.3.1, sixth pass) and
/// written here by the command that produced them:
/// <code>
/// newsbot eval --fit-sentence-model f-dev.jsonl f-tune.jsonl f-qa.jsonl
/// </code>
/// where each file is the <c>eval --features FILE</c> output of one training set: the BBC dev half (<c>--split dev</c>),
/// the BBC tuning questions, and the public QA set's dev half with <c>--holdout 0.2</c> (the exact commands are in
/// eval/README.md). The fit is deterministic (no random seed: five folds by a hash of the question).
/// Refit after changing a feature: the weights belong to this exact feature list, in this order.
/// </summary>
public static class SentenceModel
{
    /// <summary>The features in order; <see cref="Weights"/> has one weight each.</summary>
    public static readonly string[] FeatureNames =
    [
        "bias",
        "dense", "dense_minus_best", "coverage", "coverage_minus_best", "pair_share", "headline_share",
        "kind_asked", "expected_present", "expected_absent",
        "role_beside_new_name",
        "article_rank_inv", "passage_rank_inv", "article_name_share",
        "names_missing_share", "figure_or_year_missing",
        "key_term_share", "states_relation", "judged_answers", "only_wording",
        "article_lead", "passage_position_inv",
        "length", "previous_coverage",
        "other_year_only",
        "question_best_dense", "dense_rank_inv",
        "hand_score", "hand_score_minus_best",
        "answer_kind_strict", "best_in_article",
    ];

    /// <summary>Fitted weights (see the class comment for the command).</summary>
    public static readonly double[] Weights =
    [
        -4.2229, // bias
        0.1640, // dense
        0.0555, // dense_minus_best
        0.6621, // coverage
        -0.1183, // coverage_minus_best
        -0.1063, // pair_share
        0.0917, // headline_share
        -0.6922, // kind_asked
        0.0782, // expected_present
        -0.7704, // expected_absent
        0.1168, // role_beside_new_name
        0.4023, // article_rank_inv
        0.3865, // passage_rank_inv
        -0.0015, // article_name_share
        -0.8542, // names_missing_share
        -0.8818, // figure_or_year_missing
        0.7163, // key_term_share
        -0.1811, // states_relation
        0.4039, // judged_answers
        0.2065, // only_wording
        0.4991, // article_lead
        0.3711, // passage_position_inv
        0.2802, // length
        0.1123, // previous_coverage
        -0.2205, // other_year_only
        0.1085, // question_best_dense
        0.7086, // dense_rank_inv
        0.5130, // hand_score
        0.3620, // hand_score_minus_best
        1.0263, // answer_kind_strict
        0.6323, // best_in_article
    ];

    /// <summary>Below this probability for the best sentence, the answer is a refusal.</summary>
    public const double AnswerThreshold = 0.20;

    /// <summary>A further sentence is quoted only when its own probability reaches this.</summary>
    public const double FurtherThreshold = 0.30;

    /// <summary>The most words the quoted sentences of one answer may hold together (the first is always quoted).</summary>
    public const int MaxAnswerWords = 70;

    /// <summary>The probability that the sentence with these features holds the answer.</summary>
    public static double Probability(double[] features)
    {
        double z = 0;
        for (int k = 0; k < Weights.Length; k++) z += Weights[k] * features[k];
        return 1 / (1 + Math.Exp(-z));
    }
}
