using System.ComponentModel.DataAnnotations;

namespace NewsBot.Core.Answering;

/// <summary>Configuration section <c>Answering</c>.</summary>
public sealed class AnsweringOptions
{
    public const string SectionName = "Answering";

    /// <summary>
    /// Below this relevance (0–1, from the best passage's cosine similarity and how many of the question's
    /// words it contains) the bot says its sources don't cover the question. Null (the default): the value
    /// calibrated on the eval sets for the embedding model in use (see BENCHMARKS.md and <see cref="ForModel"/>).
    /// </summary>
    [Range(0.0, 1.0)]
    public double? MinRelevance { get; set; }

    /// <summary>The threshold in force: <see cref="MinRelevance"/>, or the default when the host has not resolved it.</summary>
    public double RelevanceThreshold => MinRelevance ?? DefaultMinRelevance;

    /// <summary>The threshold calibrated for all-MiniLM-L6-v2, used for models without their own calibration.</summary>
    public const double DefaultMinRelevance = 0.42;

    /// <summary>
    /// The calibrated threshold for a local embedding model: its cosine similarities run on their own scale
    /// (snowflake-arctic-embed-xs scores related text higher than all-MiniLM-L6-v2 does).
    /// </summary>
    public static double ForModel(string? localModel) =>
        string.Equals(localModel, "ArcticXs", StringComparison.OrdinalIgnoreCase) ? 0.5 : DefaultMinRelevance;

    /// <summary>
    /// The relevance threshold when a language model answers: lower, since the model itself replies that its
    /// sources don't cover a question (NO_ANSWER) when it reads them and finds nothing.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MinRelevanceWithLlm { get; set; } = 0.3;

    /// <summary>An extractive answer whose best sentence scores below this is a refusal instead (calibrated on the eval sets).</summary>
    [Range(0.0, 2.0)]
    public double MinSentenceScore { get; set; } = 0.2;

    /// <summary>How many passages retrieval hands to the answerer.</summary>
    [Range(1, 50)]
    public int RetrievalTop { get; set; } = 8;

    /// <summary>The extractive answerer also reads the other passages of this many of the best-ranked articles (0: only the retrieved passages).</summary>
    [Range(0, 10)]
    public int ReadWholeArticles { get; set; } = 3;

    /// <summary>At most this many numbered sources per answer.</summary>
    [Range(1, 20)]
    public int MaxSources { get; set; } = 5;

    /// <summary>
    /// Extractive answers to every question quote only sentences that answer it (<see cref="ExtractiveAnswerer.Judge"/>)
    /// and refuse otherwise. Off by default (BENCHMARKS.md §1.3.1, twelfth pass, against the default of then): on the new
    /// BBC questions it refuses 52 % of near misses instead of 29 % and answers in 46 words instead of 59, but answers
    /// fewer answerable questions correctly (75 % instead of 83 %; 63 % instead of 69 % on the test half), and on the
    /// public QA set far fewer (50 % instead of 62 %). The default judges only the questions of
    /// <see cref="JudgeTypedQuestions"/>.
    /// </summary>
    public bool JudgeAnswerability { get; set; }

    /// <summary>
    /// Extractive answers to questions that ask for an amount or a count, a score, a date or a person
    /// (<see cref="ExtractiveAnswerer.AsksTypedAnswer"/>) are checked by the answerability judgement
    /// (<see cref="ExtractiveAnswerer.Judge"/>): the usual choice of sentences stands when one of them answers the question;
    /// otherwise the best sentence that does is quoted, and without one the question is refused, saying what the sources
    /// cover and lack. Other questions are answered as before. On by default (BENCHMARKS.md §1.3.1, thirteenth pass: on
    /// the training sets it refused 40–55 % of near misses instead of 20–24 % and answered as many questions correctly or
    /// more, the public QA set's included; held out, 43 % of the new near misses instead of 29 %, 74 % of the test half
    /// correct instead of 69 %, the public QA set 61.8 % instead of 62.1 %); <see cref="JudgeAnswerability"/> judges every
    /// question instead.
    /// </summary>
    public bool JudgeTypedQuestions { get; set; } = true;

    /// <summary>
    /// Extractive answers choose, add and refuse sentences by the learned scorer (<see cref="Answering.SentenceModel"/>:
    /// a logistic regression fitted on the training sets, BENCHMARKS.md §1.3.1 sixth pass) instead of the hand-set
    /// score; <see cref="JudgeAnswerability"/> and <see cref="MinSentenceScore"/> then have no effect on the choice.
    /// Off by default: run once on the held-out sets it answers in 37–50 words instead of 59–67 and refuses 43 % of the
    /// new near misses instead of 29 %, but answers 10 points fewer BBC questions correctly (55.6 % / 71.0 % against
    /// 66.7 % / 81.2 % on the test half / new questions).
    /// </summary>
    public bool SentenceModel { get; set; }

    /// <summary>
    /// Extractive answers choose sentences by the learned ranker (<see cref="Answering.SentenceRanker"/>: a softmax over each
    /// question's candidates), refuse by its question-level answerability model, and quote the best sentence — and a second
    /// only when the ranker gives it a clear share — cut to the clauses that carry the answer (verbatim, "…" where cut).
    /// Takes precedence over <see cref="SentenceModel"/>; <see cref="JudgeAnswerability"/> and <see cref="MinSentenceScore"/>
    /// then have no effect on the choice. Off by default (BENCHMARKS.md §1.3.1, seventh pass): run once on the held-out
    /// sets it answers in 37–40 words instead of 59–67 and refuses half the new near misses instead of 29 %, but answers
    /// fewer questions correctly (59.3 % / 79.7 % against 66.7 % / 81.2 % on the test half / new questions).
    /// </summary>
    public bool SentenceRanker { get; set; }

    /// <summary>
    /// Extractive answers keep the default choice of sentences (the hand-set score) but quote each cut to the clauses that
    /// carry the answer (<see cref="ExtractiveAnswerer.Cut"/>: verbatim, "…" where cut), the first always and a further one
    /// only while the quotes stay within <see cref="CutQuoteWords"/> words. No effect with <see cref="SentenceModel"/> or
    /// <see cref="SentenceRanker"/> (the ranker cuts its own quotes). Off by default (BENCHMARKS.md §1.3.1, eighth pass): run
    /// once on the held-out sets it answers in 55–62 words instead of 59–67 but 1.9 / 0 / 2.0 points fewer questions
    /// correctly (test half / new questions / QA test half) and refuses no more near misses.
    /// </summary>
    public bool CutQuotes { get; set; }

    /// <summary>With <see cref="CutQuotes"/>: the most words the cut quotes of one answer hold together (the first is always quoted); chosen on the training sets.</summary>
    [Range(10, 200)]
    public int CutQuoteWords { get; set; } = 100;

    /// <summary>
    /// Extractive answers on the default path are refused when the question-level answerability model
    /// (<see cref="Answering.SentenceRanker.Answerability"/>, below <see cref="Answering.SentenceRanker.AnswerThreshold"/>)
    /// judges that no candidate answers, as well as when the default path refuses. No effect with <see cref="SentenceModel"/>
    /// or <see cref="SentenceRanker"/> (the ranker applies it already). Off by default (BENCHMARKS.md §1.3.1, eighth pass):
    /// run once with <see cref="CutQuotes"/> on the held-out sets it refuses 59 % of the new near misses instead of 29 %, but
    /// answers 3.7 / 1.5 / 4.6 points fewer questions correctly (test half / new questions / QA test half).
    /// </summary>
    public bool AnswerabilityModel { get; set; }

    /// <summary>
    /// The local embedding model (<c>MiniLM</c> or <c>ArcticXs</c>) whose similarity of each candidate sentence to the
    /// question the extractive answerer scores with; unset (the default) or the retrieval model itself: retrieval's
    /// model (<c>Embeddings:Model</c>), as before. Another model is loaded on the first extractive answer, once, with
    /// the <c>Embeddings</c> section's local settings (threads, batch, int8), and its cosines are mapped onto MiniLM's
    /// scale (<see cref="CosineScale"/>). Unset by default (BENCHMARKS.md §1.3.1, ninth pass): with <c>ArcticXs</c> the
    /// first chosen sentence holds the answer about as often as with MiniLM; held out, one answer fewer on the test half,
    /// level on the new questions, +0.6 points on the whole QA set, and a cold <c>ask</c> that answers ~100 MB larger.
    /// </summary>
    public string? SentenceEmbeddings { get; set; }

    /// <summary>Extractive answers quote at most this many sentences.</summary>
    [Range(1, 10)]
    public int MaxSentences { get; set; } = 3;

    /// <summary>Previous turns used to understand a follow-up.</summary>
    [Range(0, 50)]
    public int HistoryTurns { get; set; } = 4;

    /// <summary>Turns kept per conversation (older ones are deleted).</summary>
    [Range(1, 1000)]
    public int MaxStoredTurns { get; set; } = 20;

    /// <summary>IANA or Windows time-zone id that "today", "yesterday" and "last Monday" are relative to.</summary>
    [Required(AllowEmptyStrings = false)]
    public string TimeZone { get; set; } = "UTC";

    /// <summary>How many headlines a refusal lists as the closest matches.</summary>
    [Range(0, 10)]
    public int ClosestHeadlines { get; set; } = 3;

    public TimeZoneInfo ResolveTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"Answering:TimeZone: '{TimeZone}' is not a known time zone. Use an IANA id such as Europe/Berlin or UTC.", ex);
        }
    }
}
