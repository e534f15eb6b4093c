using System.Diagnostics;
using System.Text;

namespace NewsBot.Onnx;

/// <summary>What <see cref="OnnxEmbeddingBenchmark.RunAsync"/> measured.</summary>
/// <param name="TokensPerPassage">Sequence length of each passage, [CLS] and [SEP] included.</param>
/// <param name="LoadTime">Model extraction and session creation, when this run caused them.</param>
/// <param name="PassageCpuTime">
/// The process's CPU time (user + system, every thread) while the passages were embedded: far less sensitive to other
/// load on the machine than the wall-clock rate.
/// </param>
/// <param name="Lanes">Batches run side by side (<see cref="OnnxEmbeddingGenerator.Lanes"/>).</param>
public sealed record EmbeddingBenchResult(
    string ModelId,
    int Threads,
    int BatchSize,
    int Passages,
    int TokensPerPassage,
    TimeSpan PassageTime,
    double PassagesPerSecond,
    double TokensPerSecond,
    int Queries,
    int TokensPerQuery,
    double QueryP50Ms,
    double QueryP95Ms,
    TimeSpan? LoadTime,
    TimeSpan PassageCpuTime = default,
    int Lanes = 1)
{
    /// <summary>Passage tokens per second of process CPU time.</summary>
    public double TokensPerCpuSecond => PassageCpuTime > TimeSpan.Zero ? (double)Passages * TokensPerPassage / PassageCpuTime.TotalSeconds : double.NaN;

    public override string ToString()
    {
        var load = LoadTime is { } t ? FormattableString.Invariant($"; load {t.TotalSeconds:F2} s") : "";
        return FormattableString.Invariant(
            $"{ModelId} threads={Threads} lanes={Lanes} batch={BatchSize}: {Passages} passages x {TokensPerPassage} tokens in {PassageTime.TotalSeconds:F2} s = {PassagesPerSecond:F1} passages/s, {TokensPerSecond:F0} tokens/s ({TokensPerCpuSecond:F0} per CPU second); {Queries} queries x {TokensPerQuery} tokens: p50 {QueryP50Ms:F2} ms, p95 {QueryP95Ms:F2} ms{load}");
    }
}

/// <summary>
/// A micro-benchmark of a generator on synthetic English text of exact token lengths: passage throughput at a
/// given batch size, then single-query latency. For the host's <c>bench</c> command and for tuning.
/// </summary>
public static class OnnxEmbeddingBenchmark
{
    // Everyday news words; most are one WordPiece token, so lengths are easy to hit exactly.
    static readonly string[] Words =
    [
        "the", "government", "said", "on", "monday", "that", "it", "would", "increase", "spending", "after", "a", "report",
        "showed", "prices", "rose", "faster", "than", "expected", "in", "march", "officials", "warned", "of", "higher",
        "energy", "costs", "while", "analysts", "expect", "the", "central", "bank", "to", "hold", "rates", "steady",
        "minister", "told", "reporters", "parliament", "will", "vote", "next", "week", "on", "new", "climate", "law",
        "storm", "flooding", "forced", "thousands", "from", "their", "homes", "and", "closed", "schools", "across",
        "region", "company", "shares", "fell", "percent", "profit", "warning", "election", "campaign", "voters",
        "police", "investigation", "court", "ruling", "appeal", "hospital", "health", "service", "workers", "strike",
        "pay", "deal", "talks", "union", "leaders", "city", "council", "plan", "housing", "rent", "market", "trade",
        "exports", "china", "europe", "united", "states", "president", "security", "border", "military", "aid",
    ];

    /// <summary>
    /// Embeds <paramref name="passages"/> synthetic passages of exactly <paramref name="tokensPerPassage"/> tokens in
    /// batches of <paramref name="batchSize"/> (overriding the generator's own), then <paramref name="queries"/>
    /// queries of <paramref name="tokensPerQuery"/> tokens one at a time. A warm-up batch runs first and is not counted.
    /// </summary>
    public static async Task<EmbeddingBenchResult> RunAsync(
        OnnxEmbeddingGenerator generator,
        int passages,
        int tokensPerPassage,
        int batchSize,
        int queries = 100,
        int tokensPerQuery = 14,
        int seed = 42,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfLessThan(passages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPassage, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokensPerPassage, generator.MaxTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerQuery, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokensPerQuery, generator.MaxTokens);

        bool wasLoaded = generator.IsLoaded;
        generator.EnsureLoaded();
        TimeSpan? loadTime = wasLoaded ? null : generator.LoadTime;

        var tokenizer = ModelTokenizer.For(generator.Model);
        var random = new Random(seed);
        var passageTexts = Enumerable.Range(0, passages).Select(_ => MakeText(tokenizer, random, tokensPerPassage)).ToArray();
        var queryTexts = Enumerable.Range(0, queries).Select(_ => MakeText(tokenizer, random, tokensPerQuery)).ToArray();

        var warmup = Enumerable.Range(0, Math.Min(batchSize, 8)).Select(_ => MakeText(tokenizer, random, tokensPerPassage)).ToArray();
        await generator.EmbedAsync(warmup, batchSize, cancellationToken).ConfigureAwait(false);
        await generator.EmbedAsync([MakeText(tokenizer, random, tokensPerQuery)], 1, cancellationToken).ConfigureAwait(false);

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await generator.EmbedAsync(passageTexts, batchSize, cancellationToken).ConfigureAwait(false);
        var passageTime = watch.Elapsed;
        var passageCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        var latencies = new double[queries];
        for (int i = 0; i < queries; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await generator.EmbedAsync([queryTexts[i]], 1, cancellationToken).ConfigureAwait(false);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(latencies);

        double seconds = passageTime.TotalSeconds;
        return new EmbeddingBenchResult(
            generator.ModelId, generator.Threads, batchSize, passages, tokensPerPassage, passageTime,
            passages / seconds, (double)passages * tokensPerPassage / seconds,
            queries, tokensPerQuery, Percentile(latencies, 0.50), Percentile(latencies, 0.95), loadTime, passageCpu, generator.Lanes);
    }

    /// <summary>Random news-like words whose encoding is exactly <paramref name="tokens"/> long, [CLS] and [SEP] included.</summary>
    internal static string MakeText(ModelTokenizer tokenizer, Random random, int tokens)
    {
        int target = tokens - 2;
        var sb = new StringBuilder();
        int count = 0;
        while (count < target)
        {
            var word = Words[random.Next(Words.Length)];
            int pieces = tokenizer.CountTokens(word);
            if (count + pieces > target) word = "the"; // one token
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(word);
            count = tokenizer.CountTokens(sb.ToString());
        }
        return sb.ToString();
    }

    static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        double rank = p * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
