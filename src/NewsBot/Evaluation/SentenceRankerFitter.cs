using System.Globalization;
using System.Text;
using NewsBot.Core.Answering;
using static NewsBot.Evaluation.SentenceModelFitter;

namespace NewsBot.Evaluation;

/// <summary>
/// Fits <see cref="SentenceRanker"/> from the rows <c>eval --features</c> writes (<c>eval --fit-sentence-ranker</c>):
/// <list type="number">
/// <item>a conditional logit over each answerable question's candidates (maximise the log-probability of the candidates
/// holding an accepted answer among that question's candidates), Newton steps with the softmax's covariance as the
/// curvature and a halving line search; its L2 penalty chosen from a grid on the out-of-fold likelihood;</item>
/// <item>a question-level logistic regression on <see cref="SentenceRanker.QuestionFeatures"/> computed from the
/// <i>out-of-fold</i> ranker scores (so it learns how a ranker it has not seen behaves), labelled answerable or not; its
/// threshold the highest that refuses at most <see cref="MaxAnswerableRefused"/> of the answerable questions out of fold;</item>
/// <item>the quote: the best candidate cut to its clauses (<see cref="ExtractiveAnswerer.Cut"/>), and the second only when
/// its softmax share and the word cap allow, chosen on the simulated answers.</item>
/// </list>
/// Written by hand for the reason <see cref="SentenceModelFitter"/> gives (a 31-feature Newton fit is a few lines; a machine
/// learning library would be a dependency of the CLI for one dev command). Deterministic: five folds by FNV-1a.
/// </summary>
public static class SentenceRankerFitter
{
    // the folds (FoldOf) and the lead's words per source (LeadWords) are SentenceModelFitter's, so both fits split and
    // simulate alike
    const int NewtonSteps = 40;

    /// <summary>Answerable questions refused out of fold at most (below the 5 %, leaving a margin for new questions).</summary>
    const double MaxAnswerableRefused = 0.03;

    /// <summary>The most words a simulated answer may average on any training set for its quote settings to be chosen.</summary>
    const double MaxSimulatedWords = 43;

    static readonly double[] RankPenalties = [1e-3, 1e-2, 3e-2, 1e-1];
    static readonly double[] QuestionPenalties = [1e-3, 1e-2, 3e-2, 1e-1, 3e-1];

    public static string Run(IReadOnlyList<string> files)
    {
        var qs = Load(files);
        var sb = new StringBuilder();
        int d = SentenceModel.FeatureNames.Length, hand = Array.IndexOf(SentenceModel.FeatureNames, "hand_score");
        var ranked = qs.Where(q => q.Answerable && q.Candidates.Any(c => c.Label) && q.Candidates.Count > 1).ToList();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{qs.Count} questions ({qs.Count(q => q.Answerable)} answerable, {ranked.Count} with a candidate holding the answer), {qs.Sum(q => q.Candidates.Count)} candidates");

        // 1. the ranking: out-of-fold scores per penalty; the penalty with the best out-of-fold log-likelihood
        Dictionary<Question, double[]> oofRank = [];
        double bestLl = double.MinValue, rankL2 = RankPenalties[0];
        foreach (var l2 in RankPenalties)
        {
            var oof = OutOfFold(qs, train => FitRanker(train.Where(q => ranked.Contains(q)).ToList(), d, l2), (w, q) => SentenceRanker.Scores(q.Candidates.Select(c => c.X).ToList(), w));
            double ll = ranked.Average(q => LogLikelihood(q, oof[q]));
            sb.AppendLine(FormattableString.Invariant($"ranker L2 {l2}: out-of-fold log-likelihood {ll:0.000}; top-1 / top-2 / top-3 ") + TopK(qs, oof));
            if (ll > bestLl) (bestLl, rankL2, oofRank) = (ll, l2, oof);
        }
        var pointwise = OutOfFold(qs, train => Fit(train.SelectMany(q => q.Candidates).Select(c => (c.Label, c.X)).ToList(), Penalties[0]), (w, q) => SentenceRanker.Scores(q.Candidates.Select(c => c.X).ToList(), w));
        sb.AppendLine("top-1 / top-2 / top-3 hold the answer (answerable questions, out of fold):");
        sb.AppendLine("  hand score: " + TopK(qs, qs.ToDictionary(q => q, q => q.Candidates.Select(c => c.X[hand]).ToArray())));
        sb.AppendLine("  pointwise logistic (sixth pass): " + TopK(qs, pointwise));
        sb.AppendLine(CultureInfo.InvariantCulture, $"  conditional logit (L2 {rankL2}): {TopK(qs, oofRank)}");
        if (qs.Any(q => q.Candidates.Any(c => c.Late is not null))) LateInteractionReport(sb, qs, ranked, rankL2, hand);

        // 2. answerability from the out-of-fold ranker's view of each question
        var qf = qs.ToDictionary(q => q, q => SentenceRanker.QuestionFeatures(q.Candidates.Select(c => c.X).ToList(), oofRank[q], q.Candidates.Select(c => c.Article).ToList()));
        var rows = qs.Select(q => (q.Answerable, qf[q])).ToList();
        Dictionary<Question, double> oofAnswer = [];
        double bestQll = double.MinValue, questionL2 = QuestionPenalties[0];
        foreach (var l2 in QuestionPenalties)
        {
            var oof = OutOfFold(qs, train => Fit(train.Select(q => (q.Answerable, qf[q])).ToList(), l2), (w, q) => new[] { SentenceRanker.Answerability(qf[q], w) }).ToDictionary(kv => kv.Key, kv => kv.Value[0]);
            double ll = qs.Average(q => Math.Log(Math.Max(1e-9, q.Answerable ? oof[q] : 1 - oof[q])));
            sb.AppendLine(FormattableString.Invariant($"answerability L2 {l2}: out-of-fold log-likelihood {ll:0.000}"));
            if (ll > bestQll) (bestQll, questionL2, oofAnswer) = (ll, l2, oof);
        }
        var answerable = qs.Where(q => q.Answerable).Select(q => oofAnswer[q]).OrderBy(p => p).ToList();
        int allowed = (int)Math.Floor(MaxAnswerableRefused * answerable.Count);
        double threshold = Math.Floor((allowed < answerable.Count ? answerable[allowed] : 0) * 1000) / 1000;
        sb.AppendLine(CultureInfo.InvariantCulture, $"answerability (L2 {questionL2}): threshold {threshold:0.000} (out of fold, answerable refused ≤ {MaxAnswerableRefused:P0})");
        foreach (var g in qs.GroupBy(q => q.Set))
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {g.Key}: answerable refused {g.Where(q => q.Answerable).DefaultIfEmpty().Average(q => q is not null && oofAnswer[q] < threshold ? 1.0 : 0):P1}, near misses refused {g.Count(q => !q.Answerable && oofAnswer[q] < threshold)}/{g.Count(q => !q.Answerable)} (of those reaching the answerer)");

        // 3. the quote: the best candidate cut, the second by its share and the word cap
        sb.AppendLine("the answer in the best candidate survives the cut: " + string.Join(", ", qs.Where(q => q.Answerable && q.Answers is not null).GroupBy(q => q.Set).Select(g =>
        {
            var tops = g.Select(q => q.Candidates[ArgMax(oofRank[q])]).Where(c => c.Label).ToList();
            return g.Key + " " + tops.Count(c => Holds(Cut(c, g.First(q => q.Candidates.Contains(c))), g.First(q => q.Candidates.Contains(c)))) + "/" + tops.Count;
        })));
        // chosen: the best mean share answered correctly over the sets, among the settings whose simulated answers stay
        // within MaxSimulatedWords on every set (the 45 words, less a margin for the simulation's error)
        sb.AppendLine("quote: cut word cost / quotes at most / further share / word cap → correct / words per set (simulated, out of fold, refusals as above)");
        double bestCorrect = -1;
        string chosenQuote = "";
        foreach (var cost in new[] { 0.06, 0.1, 0.15 })
        {
            s_wordCost = cost;
            foreach (var quotes in new[] { 2, 3 })
                foreach (var share in new[] { 0.0, 0.03, 0.05, 0.1 })
                    foreach (var cap in new[] { 34, 38, 42, 45 })
                    {
                        var sims = qs.GroupBy(q => q.Set).Select(g => (g.Key, Sim: Simulate(g.ToList(), oofRank, oofAnswer, threshold, share, cap, quotes))).ToList();
                        var line = FormattableString.Invariant($"{cost:0.00} / {quotes} / {share:0.00} / {cap}");
                        sb.AppendLine("  " + line + ": " + string.Join("; ", sims.Select(x => FormattableString.Invariant($"{x.Key} {x.Sim.Correct:P1} / {x.Sim.Words:0.0}"))));
                        double mean = sims.Average(x => x.Sim.Correct);
                        if (sims.All(x => x.Sim.Words <= MaxSimulatedWords) && mean > bestCorrect) (bestCorrect, chosenQuote) = (mean, line);
                    }
        }
        s_wordCost = ExtractiveAnswerer.CutWordCost;
        sb.AppendLine(CultureInfo.InvariantCulture, $"chosen quote (word cost / quotes / further share / cap): {chosenQuote}, mean correct {bestCorrect:P1}");

        var weights = FitRanker(ranked, d, rankL2);
        var questionWeights = Fit(rows, questionL2);
        sb.AppendLine("ranking weights (SentenceRanker.Weights, all training questions):");
        for (int k = 0; k < d; k++) sb.AppendLine(CultureInfo.InvariantCulture, $"        {weights[k]:0.0000}, // {SentenceModel.FeatureNames[k]}");
        sb.AppendLine("answerability weights (SentenceRanker.QuestionWeights):");
        for (int k = 0; k < questionWeights.Length; k++) sb.AppendLine(CultureInfo.InvariantCulture, $"        {questionWeights[k]:0.0000}, // {SentenceRanker.QuestionFeatureNames[k]}");
        return sb.ToString();
    }

    /// <summary>
    /// The late-interaction diagnostic (BENCHMARKS.md §1.3.1, tenth pass), on the same folds and penalty as the ranker above:
    /// each <see cref="LateInteraction"/> feature alone as the ranking, the hand score with each of them (a conditional
    /// logit on the two: what adding it to the hand score could do), and the conditional logit on all the features with and
    /// without them.
    /// </summary>
    static void LateInteractionReport(StringBuilder sb, List<Question> qs, List<Question> ranked, double l2, int hand)
    {
        int k = LateInteraction.FeatureNames.Length;
        var none = new double[k];
        List<Question> With(Func<Candidate, double[]> x) => qs.Select(q => q with { Candidates = q.Candidates.Select(c => c with { X = x(c) }).ToList() }).ToList();
        string Logit(List<Question> view)
        {
            var rankedIds = ranked.Select(q => (q.Set, q.Id)).ToHashSet();
            var oof = OutOfFold(view, train => FitRanker(train.Where(q => rankedIds.Contains((q.Set, q.Id))).ToList(), view[0].Candidates[0].X.Length, l2),
                (w, q) => SentenceRanker.Scores(q.Candidates.Select(c => c.X).ToList(), w));
            return TopK(view, oof);
        }
        sb.AppendLine("late interaction (token vectors), top-1 / top-2 / top-3, out of fold where fitted:");
        int pooled = Array.IndexOf(SentenceModel.FeatureNames, "dense");
        sb.AppendLine("  pooled cosine (dense) alone: " + TopK(qs, qs.ToDictionary(q => q, q => q.Candidates.Select(c => c.X[pooled]).ToArray())));
        for (int f = 0; f < k; f++)
        {
            int col = f;
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {LateInteraction.FeatureNames[f]} alone: {TopK(qs, qs.ToDictionary(q => q, q => q.Candidates.Select(c => (c.Late ?? none)[col]).ToArray()))}");
        }
        for (int f = 0; f < k; f++)
        {
            int col = f;
            sb.AppendLine(CultureInfo.InvariantCulture, $"  hand score + {LateInteraction.FeatureNames[f]} (conditional logit, L2 {l2}): {Logit(With(c => [1, c.X[hand], (c.Late ?? none)[col]]))}");
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"  hand score + all five: {Logit(With(c => [1, c.X[hand], .. c.Late ?? none]))}");
        // the hand score with its pooled cosine replaced by MaxSim (IDF), mapped onto the cosine's mean and spread over all
        // candidates (as CosineScale maps another model's cosines): nothing fitted
        int dense = pooled, idfColumn = Array.IndexOf(LateInteraction.FeatureNames, "li_maxsim_idf");
        var all = qs.SelectMany(q => q.Candidates).Where(c => c.Late is not null).ToList();
        var (dm, ds) = MeanSd(all.Select(c => c.X[dense]).ToList());
        var (lm, ls) = MeanSd(all.Select(c => c.Late![idfColumn]).ToList());
        double slope = ls > 0 ? ds / ls : 0, offset = dm - slope * lm;
        sb.AppendLine(FormattableString.Invariant($"  hand score with its cosine replaced by li_maxsim_idf × {slope:0.000} {offset:+0.000;-0.000}: ") + TopK(qs, qs.ToDictionary(q => q, q => q.Candidates
            .Select(c => c.X[hand] + ExtractiveAnswerer.DenseWeight * (slope * (c.Late ?? none)[idfColumn] + offset - c.X[dense])).ToArray())));
        sb.AppendLine(CultureInfo.InvariantCulture, $"  conditional logit, all features + late interaction (L2 {l2}): {Logit(With(c => [.. c.X, .. c.Late ?? none]))}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  conditional logit, all features without (same L2, same folds): {Logit(With(c => c.X))}");
        // the penalty above was chosen without the new features: with them another might suit, so each is shown
        foreach (var other in RankPenalties.Where(p => p != l2))
        {
            l2 = other;
            sb.AppendLine(CultureInfo.InvariantCulture, $"  at L2 {other}: with {Logit(With(c => [.. c.X, .. c.Late ?? none]))}; without {Logit(With(c => c.X))}");
        }
    }

    static (double Mean, double Sd) MeanSd(IReadOnlyList<double> v)
    {
        if (v.Count == 0) return (0, 0);
        double mean = v.Average();
        return (mean, Math.Sqrt(v.Average(x => (x - mean) * (x - mean))));
    }

    /// <summary>Each question scored by a model fitted on the other folds.</summary>
    static Dictionary<Question, double[]> OutOfFold(List<Question> qs, Func<List<Question>, double[]> fit, Func<double[], Question, double[]> score)
    {
        var oof = new Dictionary<Question, double[]>();
        for (int fold = 0; fold < Folds; fold++)
        {
            var w = fit(qs.Where(q => FoldOf(q) != fold).ToList());
            foreach (var q in qs.Where(q => FoldOf(q) == fold)) oof[q] = score(w, q);
        }
        return oof;
    }

    static int ArgMax(double[] s)
    {
        int best = 0;
        for (int i = 1; i < s.Length; i++) if (s[i] > s[best]) best = i;
        return best;
    }

    static string TopK(List<Question> qs, Dictionary<Question, double[]> scores) => string.Join(", ", qs.Where(q => q.Answerable).GroupBy(q => q.Set).Select(g =>
        g.Key + " " + string.Join(" / ", new[] { 1, 2, 3 }.Select(k => g.Average(q => q.Candidates.Count > 0 && Enumerable.Range(0, q.Candidates.Count)
            .OrderByDescending(i => scores[q][i]).Take(k).Any(i => q.Candidates[i].Label) ? 1.0 : 0).ToString("P1", CultureInfo.InvariantCulture)))));

    /// <summary>log P(the answer-holding candidates | the question's candidates) under the softmax of the scores.</summary>
    static double LogLikelihood(Question q, double[] s)
    {
        double max = s.Max(), all = 0, pos = 0;
        for (int i = 0; i < s.Length; i++)
        {
            double e = Math.Exp(s[i] - max);
            all += e;
            if (q.Candidates[i].Label) pos += e;
        }
        return Math.Log(pos / all);
    }

    /// <summary>The conditional logit on questions given as labelled candidate rows (the first feature, a bias, gets no weight).</summary>
    internal static double[] FitRanker(IReadOnlyList<IReadOnlyList<(bool Label, double[] X)>> questions, double l2)
        => FitRanker(questions.Select((q, i) => new Question(i.ToString(CultureInfo.InvariantCulture), "", true, q.Select(r => new Candidate(r.Label, 0, "", r.X)).ToList())).ToList(), questions[0][0].X.Length, l2);

    /// <summary>The conditional logit by damped Newton steps (curvature: the softmax covariance of the features, plus L2).</summary>
    static double[] FitRanker(List<Question> qs, int d, double l2)
    {
        var w = new double[d];
        double Loss(double[] v) => -qs.Average(q => LogLikelihood(q, SentenceRanker.Scores(q.Candidates.Select(c => c.X).ToList(), v))) + l2 / 2 * v.Skip(1).Sum(x => x * x);
        double loss = Loss(w);
        for (int step = 0; step < NewtonSteps; step++)
        {
            var grad = new double[d];
            var hess = new double[d, d];
            foreach (var q in qs)
            {
                var s = SentenceRanker.Scores(q.Candidates.Select(c => c.X).ToList(), w);
                var p = SentenceRanker.Shares(s);
                double posSum = Enumerable.Range(0, s.Length).Where(i => q.Candidates[i].Label).Sum(i => p[i]);
                var mean = new double[d];
                for (int i = 0; i < s.Length; i++)
                {
                    var x = q.Candidates[i].X;
                    double t = q.Candidates[i].Label ? p[i] / posSum : 0;
                    for (int a = 1; a < d; a++)
                    {
                        grad[a] += (p[i] - t) * x[a];
                        mean[a] += p[i] * x[a];
                        for (int b = 1; b <= a; b++) hess[a, b] += p[i] * x[a] * x[b];
                    }
                }
                for (int a = 1; a < d; a++)
                    for (int b = 1; b <= a; b++) hess[a, b] -= mean[a] * mean[b];
            }
            hess[0, 0] = 1;
            for (int a = 1; a < d; a++)
            {
                grad[a] = grad[a] / qs.Count + l2 * w[a];
                for (int b = 1; b <= a; b++) hess[b, a] = hess[a, b] = hess[a, b] / qs.Count + (a == b ? l2 + 1e-9 : 0);
            }
            var delta = Solve(hess, grad);
            double stepSize = 1;
            double[] next;
            double nextLoss;
            do
            {
                next = w.Select((v, k) => v - stepSize * delta[k]).ToArray();
                nextLoss = Loss(next);
                stepSize /= 2;
            } while (nextLoss > loss && stepSize > 1e-4);
            if (nextLoss > loss) break;
            bool done = loss - nextLoss < 1e-9;
            (w, loss) = (next, nextLoss);
            if (done) break;
        }
        return w;
    }

    /// <summary>The cut's word cost for the simulation (the grid below tries several; the answerer's is the default of <see cref="ExtractiveAnswerer.Cut"/>).</summary>
    static double s_wordCost = ExtractiveAnswerer.CutWordCost;

    static string Cut(Candidate c, Question q) => q.Text.Length == 0 ? c.Text : ExtractiveAnswerer.Cut(c.Text, q.Text, s_wordCost);

    static bool Holds(string text, Question q) => q.Answers is null ? false : q.Answers.Any(a => text.Contains(a, StringComparison.OrdinalIgnoreCase));

    /// <summary>The answers the ranker path would give: refused below the threshold; else the best candidate cut, and the second when its share and the cap allow.</summary>
    static (double Correct, double Words) Simulate(List<Question> qs, Dictionary<Question, double[]> scores, Dictionary<Question, double> answer, double threshold, double share, int cap, int maxQuotes)
    {
        int ans = 0, correct = 0, answered = 0;
        double words = 0;
        foreach (var q in qs)
        {
            if (q.Answerable) ans++;
            if (answer[q] < threshold || q.Candidates.Count == 0) continue;
            var s = scores[q];
            var p = SentenceRanker.Shares(s);
            var order = Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ToList();
            var quotes = new List<(string Text, string Article)> { (Cut(q.Candidates[order[0]], q), q.Candidates[order[0]].Article) };
            int total = WordCount(quotes[0].Text);
            // as ExtractiveAnswerer.ChooseByRanker (repeats not modelled): the next candidates in order while their share allows, the first that fits the cap
            foreach (var i in order.Skip(1))
            {
                if (p[i] < share) break;
                var next = Cut(q.Candidates[i], q);
                if (total + WordCount(next) > cap) continue;
                quotes.Add((next, q.Candidates[i].Article));
                total += WordCount(next);
                if (quotes.Count >= maxQuotes) break;
            }
            answered++;
            words += total + LeadWords * quotes.Select(x => x.Article).Distinct().Count() + quotes.Count; // + each quote's "[n]"
            if (q.Answerable && (q.Answers is not null && q.Text.Length > 0 ? quotes.Any(x => Holds(x.Text, q)) : order.Take(quotes.Count).Any(i => q.Candidates[i].Label))) correct++;
        }
        return (ans == 0 ? 0 : correct / (double)ans, answered == 0 ? 0 : words / answered);
    }

    static int WordCount(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
}
