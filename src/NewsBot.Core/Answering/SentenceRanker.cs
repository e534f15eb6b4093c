namespace NewsBot.Core.Answering;

/// <summary>
/// The learned answer-sentence ranker and answerability decision (<c>Answering:SentenceRanker</c>, BENCHMARKS.md §1.3.1
/// seventh pass). Two small models over the features of <see cref="ExtractiveAnswerer.Features"/>:
/// <list type="bullet">
/// <item>a <b>conditional logit</b> (softmax within one question's candidates): <see cref="Weights"/> score each candidate,
/// and the fit maximised the probability of the candidates holding the answer among their question's candidates, so the
/// weights order sentences of one question rather than judge sentences across questions (the bias has no effect);</item>
/// <item>a <b>question-level logistic regression</b> (<see cref="QuestionFeatureNames"/>): from the ranker's best candidate
/// and what any candidate covers, the probability that the question is answered at all; below
/// <see cref="AnswerThreshold"/> the answer is a refusal.</item>
/// </list>
/// Weights and thresholds were fitted on the training sets only and written here by
/// <code>
/// newsbot eval --fit-sentence-ranker f-dev.jsonl f-tune.jsonl f-tune2.jsonl f-qa.jsonl
/// </code>
/// (each file the <c>eval --features FILE</c> output of one training set; exact commands in eval/README.md). The fit is
/// deterministic (five folds by a hash of the question). Refit after changing a feature of either list.
/// </summary>
public static class SentenceRanker
{
    /// <summary>Ranking weights, one per <see cref="SentenceModel.FeatureNames"/> entry (the first, the bias, is unused).</summary>
    public static readonly double[] Weights =
    [
        0.0000, // bias
        0.7242, // dense
        0.7243, // dense_minus_best
        1.3129, // coverage
        1.3129, // coverage_minus_best
        -1.0358, // pair_share
        -1.2768, // headline_share
        -0.0000, // kind_asked
        1.0149, // expected_present
        -1.0149, // expected_absent
        0.8123, // role_beside_new_name
        -0.3700, // article_rank_inv
        2.0964, // passage_rank_inv
        0.5548, // article_name_share
        -0.9179, // names_missing_share
        -4.1188, // figure_or_year_missing
        1.5340, // key_term_share
        0.1553, // states_relation
        0.3937, // judged_answers
        0.5623, // only_wording
        1.4271, // article_lead
        1.7979, // passage_position_inv
        0.1799, // length
        2.8525, // previous_coverage
        -1.6642, // other_year_only
        -0.0000, // question_best_dense
        0.5247, // dense_rank_inv
        1.1568, // hand_score
        1.1567, // hand_score_minus_best
        2.3212, // answer_kind_strict
        0.7412, // best_in_article
    ];

    /// <summary>The question-level features in order; <see cref="QuestionWeights"/> has one weight each.</summary>
    public static readonly string[] QuestionFeatureNames =
    [
        "bias",
        "top_share", "score_gap",
        "top_dense", "top_coverage", "top_expected_absent", "top_names_missing", "top_figure_or_year_missing",
        "top_key_term_share", "top_states_relation", "top_judged_answers", "top_other_year_only", "top_answer_kind_strict",
        "any_figure_year_met", "any_names_met", "any_judged", "any_relation_with_answer",
        "question_best_dense", "kind_asked", "articles_with_names",
    ];

    /// <summary>Answerability weights (see the class comment for the command).</summary>
    public static readonly double[] QuestionWeights =
    [
        0.0192, // bias
        0.4239, // top_share
        0.0979, // score_gap
        0.1050, // top_dense
        0.1159, // top_coverage
        -1.0328, // top_expected_absent
        0.4000, // top_names_missing
        -0.6644, // top_figure_or_year_missing
        0.1513, // top_key_term_share
        -0.1833, // top_states_relation
        0.8297, // top_judged_answers
        -0.3510, // top_other_year_only
        -0.1715, // top_answer_kind_strict
        0.7112, // any_figure_year_met
        -0.4091, // any_names_met
        0.6598, // any_judged
        -0.3020, // any_relation_with_answer
        -0.0159, // question_best_dense
        -0.1620, // kind_asked
        0.0168, // articles_with_names
    ];

    /// <summary>Below this answerability probability the answer is a refusal.</summary>
    public const double AnswerThreshold = 0.542;

    /// <summary>A second sentence is quoted only when its share of the ranker's softmax reaches this.</summary>
    public const double FurtherShare = 0.10;

    /// <summary>The most words the quoted (cut) sentences of one answer may hold together; the first is always quoted.</summary>
    public const int MaxQuoteWords = 45;

    static int F(string name)
    {
        int i = Array.IndexOf(SentenceModel.FeatureNames, name);
        if (i < 0) throw new InvalidOperationException("SentenceRanker: unknown feature " + name);
        return i;
    }

    static readonly int Dense = F("dense"), Coverage = F("coverage"), KindAsked = F("kind_asked"), ExpectedPresent = F("expected_present"),
        ExpectedAbsent = F("expected_absent"), NamesMissing = F("names_missing_share"), FigureMissing = F("figure_or_year_missing"),
        KeyTerms = F("key_term_share"), Relation = F("states_relation"), Judged = F("judged_answers"), OtherYear = F("other_year_only"),
        KindStrict = F("answer_kind_strict"), BestDense = F("question_best_dense"), ArticleNames = F("article_name_share");

    /// <summary>Each candidate's ranking score (higher first; comparable only within one question).</summary>
    public static double[] Scores(IReadOnlyList<double[]> features, IReadOnlyList<double>? weights = null)
    {
        var w = weights ?? Weights;
        var s = new double[features.Count];
        for (int i = 0; i < s.Length; i++)
            for (int k = 1; k < w.Count; k++) s[i] += w[k] * features[i][k];
        return s;
    }

    /// <summary>The softmax of the scores: each candidate's share of the question's probability of holding the answer.</summary>
    public static double[] Shares(IReadOnlyList<double> scores)
    {
        if (scores.Count == 0) return [];
        double max = scores.Max(), sum = 0;
        var e = new double[scores.Count];
        for (int i = 0; i < e.Length; i++) sum += e[i] = Math.Exp(scores[i] - max);
        for (int i = 0; i < e.Length; i++) e[i] /= sum;
        return e;
    }

    /// <summary>
    /// The question-level features, stated generally: how clearly the ranker's best candidate stands out (its softmax share,
    /// its score's lead over the second), what that candidate meets of the question's constraints (names, figures and years,
    /// key terms, relation, an answer of the kind asked), whether any candidate meets the constraints the near misses fail
    /// (the asked figure or year, all the names, the relation with an answer of the kind asked), how close the question is
    /// to anything retrieved, and how many articles give all its names.
    /// </summary>
    public static double[] QuestionFeatures(IReadOnlyList<double[]> features, IReadOnlyList<double> scores, IReadOnlyList<string> articleIds)
    {
        int n = features.Count;
        int top = 0, second = -1;
        for (int i = 1; i < n; i++) if (scores[i] > scores[top]) top = i;
        for (int i = 0; i < n; i++) if (i != top && (second < 0 || scores[i] > scores[second])) second = i;
        var shares = Shares(scores);
        var t = features[top];
        bool Any(Func<double[], bool> p) => features.Any(p);
        int articlesWithNames = Enumerable.Range(0, n).Where(i => features[i][ArticleNames] >= 0.999).Select(i => articleIds[i]).Distinct().Count();
        return
        [
            1,
            shares[top], second < 0 ? 5 : Math.Min(5, scores[top] - scores[second]),
            t[Dense], t[Coverage], t[ExpectedAbsent], t[NamesMissing], t[FigureMissing],
            t[KeyTerms], t[Relation], t[Judged], t[OtherYear], t[KindStrict],
            Any(f => f[FigureMissing] == 0) ? 1 : 0, Any(f => f[NamesMissing] == 0) ? 1 : 0, Any(f => f[Judged] > 0) ? 1 : 0,
            Any(f => f[Relation] > 0 && (f[KindAsked] == 0 || f[ExpectedPresent] > 0)) ? 1 : 0,
            t[BestDense], t[KindAsked], Math.Min(articlesWithNames, 5) / 5.0,
        ];
    }

    /// <summary>The probability that the question is answered by one of its candidates (<see cref="QuestionWeights"/>).</summary>
    public static double Answerability(double[] questionFeatures, IReadOnlyList<double>? weights = null)
    {
        var w = weights ?? QuestionWeights;
        double z = 0;
        for (int k = 0; k < w.Count; k++) z += w[k] * questionFeatures[k];
        return 1 / (1 + Math.Exp(-z));
    }
}
