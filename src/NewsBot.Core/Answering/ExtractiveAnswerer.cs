using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;

namespace NewsBot.Core.Answering;

/// <summary>A sentence chosen from a source, with the source it came from.</summary>
public sealed record QuotedSentence(string Text, SearchHit Source, double Score);

/// <summary>The extractive answer: quoted sentences grouped by source, each cited.</summary>
/// <param name="HoldsAskedKind">For a question that asks for a number or a date: whether the first source's quoted sentences hold one the question does not already give (null for other questions).</param>
/// <param name="Shortfall">When no sentence answers the question (<see cref="ExtractiveAnswerer.Judge"/>): what the best-scoring one lacks, with its source; the answer is then empty.</param>
public sealed record ExtractiveAnswer(string Text, IReadOnlyList<SearchHit> Sources, IReadOnlyList<QuotedSentence> Sentences, double BestScore, bool? HoldsAskedKind = null, (AnswerJudgement Judgement, SearchHit Source)? Shortfall = null);

/// <summary>
/// Answers without a language model, and never invents text: it splits the retrieved passages into
/// sentences, scores each against the question (embedding similarity, how many of the question's
/// rarer words and word pairs it contains, whether it holds the kind of thing asked for that the question
/// does not already say — a number for "how many", a date for "when", a person's name for "who" (more so beside the role asked about), a
/// country for "which country" — whether its article mentions the question's names, and how well its
/// passage ranked), keeps the best few that
/// do not repeat each other, and writes them grouped by source, each with its [n] and the source's date.
/// </summary>
/// <param name="embedder">Retrieval's model: it embeds the sentences and a follow-up's focus unless <paramref name="sentenceEmbedder"/> is given.</param>
/// <param name="sentenceEmbedder">Another model for the sentences' similarity to the question (<see cref="AnsweringOptions.SentenceEmbeddings"/>); the question is then embedded again by it, and the retrieval query vector is not used here.</param>
public sealed partial class ExtractiveAnswerer(Embedder embedder, SentenceEmbedder? sentenceEmbedder = null)
{
    /// <param name="question">The standalone question (with a follow-up's carried topic).</param>
    /// <param name="focus">For a follow-up: what the user asked this time ("what about NATO?"); its words weigh more than the carried topic.</param>
    /// <param name="alreadySaid">The previous answer in the conversation: sentences it quoted are not repeated.</param>
    /// <param name="judge">Quote only sentences that answer the question (<see cref="Judge"/>); otherwise the best-scoring ones.</param>
    /// <param name="asked">The question as asked, with the time phrases <paramref name="question"/> lost to the date filter (for the judgement's years).</param>
    /// <param name="useModel">Choose, add and refuse by the learned scorer (<see cref="SentenceModel"/>) instead of the hand-set score and <paramref name="judge"/>.</param>
    /// <param name="useRanker">Choose by the learned ranker, refuse by its answerability model, and quote cut sentences (<see cref="SentenceRanker"/>); it takes precedence over <paramref name="useModel"/>.</param>
    /// <param name="cutQuoteWords">Above 0: the default path's sentences are quoted cut to their clauses (<see cref="Cut"/>), within this many words together (<see cref="WithinQuoteWords"/>).</param>
    /// <param name="refuseByAnswerability">The default path also refuses when the ranker's answerability model judges the question unanswered (<see cref="RefusedByAnswerability"/>).</param>
    /// <param name="keepAnsweringDefault">With <paramref name="judge"/>: the unjudged choice of sentences stands when one of them answers; the judgement then decides only where none does (quote the best that answers, or refuse).</param>
    /// <param name="articleBodies">The whole text of the hits' articles by id, where the store has them: the judgement looks for the question's names in the whole article (a story names "Rivertown Rovers" once and says "Rovers" after), not only in its retrieved passages.</param>
    public async Task<ExtractiveAnswer?> AnswerAsync(string question, float[] queryVector, IReadOnlyList<SearchHit> hits, int maxSentences, string? focus = null, string? alreadySaid = null, CancellationToken ct = default, bool judge = true, string? asked = null, IReadOnlyDictionary<string, string>? articleBodies = null, bool useModel = false, bool useRanker = false, int cutQuoteWords = 0, bool refuseByAnswerability = false, bool keepAnsweringDefault = false)
    {
        var said = alreadySaid is null ? "" : TextNormalizer.Canonical(alreadySaid);
        var candidates = new List<(string Text, SearchHit Hit, int Rank, int Order)>();
        var previous = new Dictionary<int, string>(); // candidate index → the sentence before it in its passage
        // articles ranked by their best passage: the answer should come from the best-ranked article unless another clearly answers better
        var articleRank = new Dictionary<string, int>();
        foreach (var h in hits) articleRank.TryAdd(h.Article.Id, articleRank.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int rank = 0; rank < hits.Count; rank++)
        {
            int order = 0;
            string? before = null;
            foreach (var paragraph in hits[rank].Text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var s in SentenceSplitter.Split(paragraph))
                {
                    order++;
                    var prior = before;
                    before = s;
                    var words = s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                    if (words < MinSentenceWords || words > MaxSentenceWords) continue;
                    var canonical = TextNormalizer.Canonical(s);
                    if (!seen.Add(hits[rank].Article.Id + "|" + canonical)) continue;
                    if (said.Length > 0 && canonical.Length > 20 && said.Contains(canonical, StringComparison.Ordinal)) continue;
                    if (prior is not null) previous[candidates.Count] = prior;
                    candidates.Add((s, hits[rank], rank, hits[rank].Position * 1000 + order));
                }
            }
        }
        if (candidates.Count == 0) return null;

        var qTerms = LexicalAnalyzer.QueryTerms(question).Distinct().ToList();
        var focusTerms = focus is null ? [] : LexicalAnalyzer.QueryTerms(focus).Distinct().ToHashSet();
        var scorer = sentenceEmbedder?.Model ?? embedder;
        // the sentence model's own vector of the question: cosines of two models are not comparable
        if (sentenceEmbedder is not null) queryVector = await scorer.EmbedQueryAsync(question, ct).ConfigureAwait(false);
        float[]? focusVector = focusTerms.Count > 0 ? await scorer.EmbedQueryAsync(focus!, ct).ConfigureAwait(false) : null;
        double Weight(string t) => focusTerms.Count == 0 || focusTerms.Contains(t) ? 1.0 : NonFocusTermWeight;
        var termLists = candidates.Select(c => LexicalAnalyzer.DocumentTerms(c.Text)).ToList();
        var sentenceTerms = termLists.Select(t => t.ToHashSet()).ToList();
        // the question's neighbouring word pairs ("interest rates", "trade deficit"): a sentence holding the pair says the same thing, not just the same words
        var qPairs = Pairs(LexicalAnalyzer.DocumentTerms(focus ?? question)).ToHashSet();
        var titleTerms = candidates.Select(c => LexicalAnalyzer.DocumentTerms(c.Hit.Article.Title).ToHashSet()).ToList();
        // local IDF over the candidate sentences: rarer words weigh more
        var idf = qTerms.ToDictionary(t => t, t => Weight(t) * Math.Log(1 + candidates.Count / (1.0 + sentenceTerms.Count(s => s.Contains(t)))));
        double idfTotal = idf.Values.Sum();
        var kind = Classify(focus ?? question);
        var questionWords = QuestionWords(question);
        // "who chairs the party …?": the role asked about, to find a name beside it ("party chairman Jane Doe", "John Smith, studio manager")
        var roles = kind == QuestionKind.Person ? RoleWords(focus ?? question) : [];

        // the names the question gives (a columnist's name, a tournament's venue): an
        // article that mentions more of them is more likely the one asked about
        var questionNames = Names(question);
        var articleNames = new Dictionary<string, double>();
        if (questionNames.Count > 0)
            foreach (var group in hits.GroupBy(h => h.Article.Id))
            {
                var words = WordTokenizer.Words(group.First().Article.Title + " " + string.Join(" ", group.Select(h => h.Text)))
                    .Select(m => Possessive().Replace(m.Value, "")).ToHashSet(StringComparer.OrdinalIgnoreCase);
                articleNames[group.Key] = questionNames.Count(words.Contains) / (double)questionNames.Count;
            }

        // late interaction (token vectors) only where it is used and the model offers token vectors: otherwise today's path
        double[][]? late = null;
        float[][] vectors;
        if (FeatureSink is not null && scorer.TokenGenerator is not null)
        {
            var sentenceTokens = (await scorer.EmbedTokensAsync(candidates.Select(c => c.Text).ToList(), query: false, ct).ConfigureAwait(false))!;
            var questionTokens = (await scorer.EmbedTokensAsync([question], query: true, ct).ConfigureAwait(false))![0];
            vectors = sentenceTokens.Select(t => t.Pooled).ToArray(); // the same run's pooled vectors: the hand score is unchanged
            late = LateInteraction.ForCandidates(questionTokens, sentenceTokens);
        }
        else vectors = await scorer.EmbedPassagesAsync(candidates.Select(c => c.Text).ToList(), ct).ConfigureAwait(false);
        var scored = new List<(int Index, double Score)>();
        // the learned scorer's inputs, gathered only when it runs or its features are written (eval --features)
        useModel &= !useRanker;
        bool learned = useModel || useRanker;
        refuseByAnswerability &= !learned;
        if (learned) cutQuoteWords = 0;
        bool wantFeatures = learned || refuseByAnswerability || FeatureSink is not null;
        var parts = new SentenceParts[candidates.Count];
        var typeBonus = new double[candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        {
            double dense = VectorMath.Dot(vectors[i], queryVector);
            if (focusVector is not null) dense = (1 - FocusDenseShare) * dense + FocusDenseShare * VectorMath.Dot(vectors[i], focusVector);
            if (sentenceEmbedder is not null) dense = sentenceEmbedder.Scale.Apply(dense);
            double coverage = 0;
            if (idfTotal > 0)
            {
                foreach (var t in qTerms)
                {
                    if (sentenceTerms[i].Contains(t)) coverage += idf[t];
                    else if (titleTerms[i].Contains(t)) coverage += HeadlineTermWeight * idf[t]; // the headline gives the sentence its topic
                }
                coverage /= idfTotal;
            }
            double bonus = typeBonus[i] = AnswerTypeBonus(kind, candidates[i].Text, questionWords);
            bool role = roles.Count > 0 && RoleBesideNewName(candidates[i].Text, roles, questionWords);
            if (role) bonus += RoleWeight;
            double pairShare = qPairs.Count > 0 ? Pairs(termLists[i]).Count(qPairs.Contains) / (double)qPairs.Count : 0;
            bonus += PairWeight * pairShare;
            double prior = ArticlePrior / (1 + articleRank[candidates[i].Hit.Article.Id]) + PassagePrior / (1 + candidates[i].Rank)
                + NameWeight * articleNames.GetValueOrDefault(candidates[i].Hit.Article.Id);
            double score = DenseWeight * dense + CoverageWeight * coverage + bonus + prior;
            double titleShare = wantFeatures && idfTotal > 0 ? qTerms.Where(titleTerms[i].Contains).Sum(t => idf[t]) / idfTotal : 0;
            parts[i] = new SentenceParts(dense, coverage, pairShare, titleShare, role, articleNames.GetValueOrDefault(candidates[i].Hit.Article.Id), score, typeBonus[i]);
            scored.Add((i, score));
        }
        scored.Sort((a, b) => b.Score.CompareTo(a.Score));

        // only sentences that answer the question are quoted, from the first source and from any other (a second
        // source corroborates or contradicts the first; one that is merely similar says something else)
        var articleTexts = hits.GroupBy(h => h.Article.Id).ToDictionary(g => g.Key, g => articleBodies?.GetValueOrDefault(g.Key) ?? string.Join(" ", g.Select(h => h.Text)));
        var judged = new Dictionary<int, AnswerJudgement>();
        AnswerJudgement JudgeAt(int i)
        {
            if (judged.TryGetValue(i, out var j)) return j;
            var carried = focus is null ? null : question;
            return judged[i] = Judge(focus ?? question, candidates[i].Text, candidates[i].Hit.Article.Title, previous.GetValueOrDefault(i), articleTexts[candidates[i].Hit.Article.Id], carried, asked, candidates[i].Hit.Article.Published);
        }
        var chosen = new List<int>();
        double best = scored[0].Score;
        double[]? probability = null;
        double[][]? features = null;
        if (wantFeatures)
        {
            features = Features(new FeatureInputs(candidates, parts, kind, JudgeAt, previous, t => CoverageOf(t, idf, idfTotal), articleRank, Years(question + " " + asked).ToHashSet()));
            FeatureSink?.Invoke(new SentenceFeatureRows(question, candidates.Select((c, i) => new SentenceFeatureRow(c.Text, c.Hit.Article.Id, c.Text.Split(' ').Length, features[i], late?[i])).ToList()));
            probability = features.Select(SentenceModel.Probability).ToArray();
        }
        if (useModel)
        {
            var picked = ChooseByModel(probability!, maxSentences, sentenceTerms, candidates.Select(c => c.Text).ToList(), out var top);
            if (picked is null) return new ExtractiveAnswer("", [], [], probability![top], Shortfall: (JudgeAt(top), candidates[top].Hit));
            chosen = picked;
            best = probability![top];
        }
        if (useRanker)
        {
            var picked = ChooseByRanker(features!, candidates.Select(c => c.Text).ToList(), candidates.Select(c => c.Hit.Article.Id).ToList(), sentenceTerms, maxSentences, focus ?? question, out var top, out best, out probability);
            if (picked is null) return new ExtractiveAnswer("", [], [], best, Shortfall: (JudgeAt(top), candidates[top].Hit));
            chosen = picked;
        }

        if (refuseByAnswerability && RefusedByAnswerability(features!, candidates.Select(c => c.Hit.Article.Id).ToList()))
            return new ExtractiveAnswer("", [], [], scored[0].Score, Shortfall: (JudgeAt(scored[0].Index), candidates[scored[0].Index].Hit));

        // the best-scoring sentence is also quoted when it fails only on wording (a name given by a description or a
        // nickname, a reworded term) while it holds the answer asked for and states the relation
        bool Answers(int i) => JudgeAt(i).Answers || (i == scored[0].Index && JudgeAt(i).OnlyWording);
        // the best sentences in score order, only those that answer when judged
        List<int> Choose(double first, bool judged)
        {
            var picked = new List<int>();
            int totalWords = 0;
            foreach (var (i, score) in scored)
            {
                if (picked.Count >= maxSentences) break;
                if (judged && !Answers(i)) continue;
                if (picked.Count > 0 && score < first * FollowingSentenceShare) break;
                var words = candidates[i].Text.Split(' ').Length;
                // a judged answer quotes what answers, not its neighbours: a further sentence only within a short answer's length
                if (picked.Count > 0 && totalWords + words > (judged ? JudgedAnswerWords : MaxAnswerWords)) continue;
                if (picked.Any(j => Jaccard(sentenceTerms[i], sentenceTerms[j]) > RepeatJaccard)) continue;
                picked.Add(i);
                totalWords += words;
            }
            return picked;
        }
        if (!learned)
        {
            // the unjudged choice, which also stands under the judgement when one of its sentences answers (keepAnsweringDefault)
            if (!judge || keepAnsweringDefault)
            {
                var plain = Choose(best, judged: false);
                if (!judge || plain.Any(Answers)) chosen = plain;
            }
            if (chosen.Count == 0)
            {
                var answering = scored.FirstOrDefault(s => Answers(s.Index));
                if (!Answers(answering.Index))
                    return new ExtractiveAnswer("", [], [], best, Shortfall: (JudgeAt(scored[0].Index), candidates[scored[0].Index].Hit));
                best = answering.Score;
                chosen = Choose(best, judged: true);
            }
        }

        // a sentence that opens with "He", "It", "They"… gets the sentence before it, so the quote says who
        string WithContext(int i)
        {
            var text = candidates[i].Text;
            var first = text.Split(' ', 2)[0].Trim('“', '"', '‘', '\'');
            if (!Anaphora.Contains(first) || !previous.TryGetValue(i, out var before)) return text;
            if (chosen.Any(j => candidates[j].Text == before) || before.Split(' ').Length > MaxContextWords) return text;
            return before + " " + text;
        }

        string Quote(int i) => useRanker ? Cut(candidates[i].Text, focus ?? question) : cutQuoteWords > 0 ? CutQuote(candidates[i].Text, WithContext(i), focus ?? question) : WithContext(i);
        if (cutQuoteWords > 0) chosen = WithinQuoteWords(chosen, Quote, cutQuoteWords);

        // group by source in order of first use; within a source, in article order
        var sourceOrder = new List<string>();
        foreach (var i in chosen)
            if (!sourceOrder.Contains(candidates[i].Hit.Article.Id)) sourceOrder.Add(candidates[i].Hit.Article.Id);
        var sources = new List<SearchHit>();
        var quoted = new List<QuotedSentence>();
        var sb = new StringBuilder();
        foreach (var articleId in sourceOrder)
        {
            var group = chosen.Where(i => candidates[i].Hit.Article.Id == articleId).OrderBy(i => candidates[i].Order).ToList();
            var hit = candidates[group[0]].Hit;
            sources.Add(hit);
            int n = sources.Count;
            if (sb.Length > 0) sb.Append("\n\n");
            sb.Append(Lead(hit)).Append(' ');
            // the ranker's quotes are cut to the clauses that carry the answer (verbatim, "…" where cut), without the sentence
            // before an opening "He" or "It" (it would cost the words the cut saves)
            sb.Append(string.Join(" ", group.Select(i => WithMarker(Quote(i), n))));
            quoted.AddRange(group.Select(i => new QuotedSentence(candidates[i].Text, hit, learned ? probability![i] : scored.First(s => s.Index == i).Score)));
        }
        // "how many …?" / "when …?": the leading source must hold a number or a date the question does not give;
        // on-topic sentences without one (a sentence naming the people involved but no date) do not answer it
        bool? holds = !learned && kind is QuestionKind.Quantity or QuestionKind.Score or QuestionKind.Time
            ? chosen.Where(i => candidates[i].Hit.Article.Id == sourceOrder[0]).Any(i => typeBonus[i] > 0)
            : null;
        return new ExtractiveAnswer(sb.ToString(), sources, quoted, best, holds);
    }

    static readonly HashSet<string> Anaphora = new(StringComparer.Ordinal) { "He", "She", "They", "It", "This", "That", "These", "Those", "His", "Her", "Their", "Its", "Such" };

    /// <summary>The question's names: capitalised words after the first, possessives stripped, stop words left out.</summary>
    internal static List<string> Names(string question)
    {
        var names = new List<string>();
        foreach (Match m in WordTokenizer.Words(question))
        {
            if (m.Index == 0) continue;
            var w = Possessive().Replace(m.Value, "");
            if (w.Length < 2 || !char.IsUpper(w[0]) || StopWords.IsQueryNoise(w.ToLowerInvariant())) continue;
            if (!names.Contains(w, StringComparer.OrdinalIgnoreCase)) names.Add(w);
        }
        return names;
    }

    static IEnumerable<string> Pairs(List<string> terms)
    {
        for (int i = 0; i + 1 < terms.Count; i++) yield return terms[i] + "_" + terms[i + 1];
    }

    static double Jaccard(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        int inter = a.Count(b.Contains);
        return inter / (double)(a.Count + b.Count - inter);
    }
}

