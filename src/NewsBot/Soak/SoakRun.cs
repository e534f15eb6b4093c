using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NewsBot.Cli;
using NewsBot.Core.Ingestion;
using NewsBot.Hosting;
using NewsBot.Telegram;
using NewsBot.Worker;

namespace NewsBot.Soak;

/// <summary>What <c>soak</c> runs: how many chats, questions per chat, the corpus and how long to wait for the replies.</summary>
public sealed record SoakSettings(int Chats, int QuestionsPerChat, string Corpus, TimeSpan Timeout);

/// <summary>Reply latencies (question queued at the Bot API server → reply received there), in milliseconds.</summary>
public sealed record SoakLatency(double P50, double P95, double Max);

/// <summary>The sender's configured limits (Telegram:SendLimits) the figures are checked against.</summary>
public sealed record SoakLimits(int MessagesPerSecond, int PerChatPerSecond, int PerChatBurst, int PerGroupPerMinute);

/// <summary>
/// <c>soak --json</c>. Field names (snake_case) are a contract: chats, questions (asked in all), replies (messages that
/// reply to a question), lost (questions without a reply), duplicated (replies beyond the first to one question),
/// out_of_order (replies that came after a reply to a later question of the same chat), latency_ms, peak_rss_mb,
/// max_sends_per_s, max_sends_per_chat_per_s; the rest are extra.
/// </summary>
public sealed record SoakReport(
    int Chats, int Questions, int Replies, int Lost, int Duplicated, int OutOfOrder, SoakLatency LatencyMs, double PeakRssMb,
    int MaxSendsPerS, int MaxSendsPerChatPerS, int MaxSendsPerGroupPerMin, int QuestionsPerChat, int PrivateChats, int GroupChats,
    int OtherMessages, int Articles, double DurationS, SoakLimits Limits, bool WithinLimits, bool Passed);

/// <summary>
/// The load test: the real worker (<see cref="WorkerHost"/>: the Telegram.Bot client polling, the inbox, the dispatcher,
/// the extractive answer path, the sender and its limiter) in this process, against a <see cref="LoopbackBotApiServer"/>,
/// with the corpus ingested into a scratch data directory. Every chat (every other one a group, where each question comes
/// from another member and mentions the bot) sends its questions at once; the server records every reply and its pace.
/// </summary>
public sealed class SoakRun(CliContext context, SoakSettings settings, Action<string> progress)
{
    /// <summary>Questions the sample corpus can answer; chats ask them in turn.</summary>
    internal static readonly string[] QuestionPool =
    [
        "When will the eastern tram extension open?",
        "How high was the turnout in the regional election?",
        "Which farmland did the Lenne floods hit?",
        "Who scored the winner in the cup semifinal?",
        "What does the battery recycling plant in Harbor City do?",
        "How much will the tram line to Millbrook cost?",
    ];

    public async Task<SoakReport> RunAsync(CancellationToken ct)
    {
        var root = Path.Combine(context.DataDirectory is { } d ? Path.GetFullPath(d, context.WorkingDirectory) : Path.GetTempPath(),
            "newsbot-soak-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        try
        {
            await using var server = await LoopbackBotApiServer.StartAsync(ct).ConfigureAwait(false);
            var host = WorkerHost.Build(context with { Overrides = Overrides(root, server.BaseUrl), IsWorker = false });
            try
            {
                NewsBotCli.ValidateOptions(host.Services);
                var articles = await IngestAsync(host.Services, ct).ConfigureAwait(false);
                var limits = host.Services.GetRequiredService<IOptions<TelegramOptions>>().Value.SendLimits;
                await host.StartAsync(ct).ConfigureAwait(false);
                await UntilAsync(() => server.Polls > 0, TimeSpan.FromSeconds(60), "the worker to poll the Bot API server", ct).ConfigureAwait(false);
                return await LoadAsync(server, articles, new SoakLimits(limits.MessagesPerSecond, limits.PerChatPerSecond, limits.PerChatBurst, limits.PerGroupPerMinute), ct).ConfigureAwait(false);
            }
            finally
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try { await host.StopAsync(stop.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
                if (host is IAsyncDisposable ad) await ad.DisposeAsync().ConfigureAwait(false);
                else host.Dispose();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private Dictionary<string, string?> Overrides(string root, string botApi)
    {
        var overrides = new Dictionary<string, string?>(context.Overrides)
        {
            ["Storage:DataDirectory"] = Path.Combine(root, "data"),
            ["Ingestion:SampleDirectory"] = "",
            ["Index:Provider"] = "Embedded",
            ["Llm:Provider"] = "None", // extractive answers: the load is the bot's, not a model server's
            // a throwaway token of the right shape: the loopback server accepts any
            ["Telegram:BotToken"] = $"{LoopbackBotApiServer.BotId}:soak{Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}",
            ["Telegram:BaseUrl"] = botApi,
            ["Telegram:WebhookUrl"] = "",
            ["Telegram:PollingTimeoutSeconds"] = "5",
        };
        if (!context.Verbose)
            overrides["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning"; // stderr carries the soak's progress
        // a private chat asks all its questions as one user: let the per-user limit pass them (it is tested elsewhere)
        if (settings.QuestionsPerChat > 5)
        {
            overrides["Telegram:RateLimit:Burst"] = settings.QuestionsPerChat.ToString(System.Globalization.CultureInfo.InvariantCulture);
            overrides["Telegram:RateLimit:PerUserPerMinute"] = settings.QuestionsPerChat.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        // one model cache across runs, so the model is unpacked once (as bench does), unless one is configured
        if (!overrides.ContainsKey("Embeddings:CacheDirectory") && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("Embeddings__CacheDirectory")))
            overrides["Embeddings:CacheDirectory"] = Path.Combine(Path.GetTempPath(), "newsbot-soak-model-cache");
        return overrides;
    }

    private async Task<int> IngestAsync(IServiceProvider services, CancellationToken ct)
    {
        progress($"Ingesting {settings.Corpus} into a scratch data directory…");
        var summary = new IngestSummary();
        await foreach (var r in services.GetRequiredService<IngestionPipeline>().IngestAsync([settings.Corpus], ct).ConfigureAwait(false))
            summary.Count(r);
        if (summary.Added == 0)
            throw new ConfigurationException($"soak: no article could be ingested from '{settings.Corpus}'; pass --corpus with a folder of articles (e.g. samples).");
        await IngestCommand.RefreshSearchStructuresAsync(services, summary, ct).ConfigureAwait(false);
        return summary.Added;
    }

    private sealed record Question(long ChatId, int Index, long AskedAt);

    private async Task<SoakReport> LoadAsync(LoopbackBotApiServer server, int articles, SoakLimits limits, CancellationToken ct)
    {
        var total = settings.Chats * settings.QuestionsPerChat;
        progress($"{settings.Chats} chats send {settings.QuestionsPerChat} questions each ({total} in all)…");
        var asked = new ConcurrentDictionary<long, Question>();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, settings.Chats).Select(chat => Task.Run(() =>
        {
            var group = chat % 2 == 1;
            var chatId = group ? -1_001_000_000_000L - chat : 100_000L + chat;
            for (var q = 0; q < settings.QuestionsPerChat; q++)
            {
                var user = group ? 200_000L + chat * 1_000L + q : chatId; // in a group every question has another asker
                var at = Stopwatch.GetTimestamp();
                var id = server.SendText(chatId, user, QuestionPool[(chat + q) % QuestionPool.Length], group);
                asked[id] = new Question(chatId, q, at);
            }
        }, ct))).ConfigureAwait(false);

        bool AllReplied() => server.Sent.Where(m => m.ReplyTo is { } r && asked.ContainsKey(r)).Select(m => m.ReplyTo).Distinct().Count() >= total;
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Timeout.TotalSeconds * Stopwatch.Frequency);
        var lastReport = Stopwatch.GetTimestamp();
        while (!AllReplied() && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(100, ct).ConfigureAwait(false); // the replies arrive over HTTP: a poll of the server's record
            if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(10))
            {
                progress($"  {server.SentCount} of {total} replies after {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s");
                lastReport = Stopwatch.GetTimestamp();
            }
        }
        var duration = Stopwatch.GetElapsedTime(started);
        await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false); // anything sent twice shows up by now
        return Report(server, asked, articles, limits, duration);
    }

    private SoakReport Report(LoopbackBotApiServer server, ConcurrentDictionary<long, Question> asked, int articles, SoakLimits limits, TimeSpan duration)
    {
        var sent = server.Sent;
        var replies = sent.Where(m => m.ReplyTo is { } r && asked.ContainsKey(r)).ToList();
        var perQuestion = replies.GroupBy(m => m.ReplyTo!.Value).ToDictionary(g => g.Key, g => g.ToList());
        var lost = asked.Keys.Count(id => !perQuestion.ContainsKey(id));
        var duplicated = perQuestion.Values.Sum(r => r.Count - 1);

        // per chat, in the order the server received them: a reply to an earlier question after one to a later question
        var outOfOrder = 0;
        foreach (var chat in replies.GroupBy(m => m.ChatId))
        {
            var latest = -1;
            foreach (var m in chat)
            {
                var index = asked[m.ReplyTo!.Value].Index;
                if (index < latest) outOfOrder++;
                latest = Math.Max(latest, index);
            }
        }

        var latencies = perQuestion.Select(kv => Stopwatch.GetElapsedTime(asked[kv.Key].AskedAt, kv.Value[0].ReceivedAt).TotalMilliseconds)
            .Order().ToList();
        var latency = new SoakLatency(Percentile(latencies, 0.50), Percentile(latencies, 0.95), latencies.Count == 0 ? 0 : Math.Round(latencies[^1], 1));

        var perSecond = server.Rates.MaxPerSecond;
        var perChat = server.Rates.MaxPerChatPerSecond;
        var perGroup = server.Rates.MaxPerGroupPerMinute;
        var within = perSecond <= limits.MessagesPerSecond
                     && perChat <= Math.Max(limits.PerChatBurst, limits.PerChatPerSecond)
                     && perGroup <= limits.PerGroupPerMinute;
        using var self = Process.GetCurrentProcess();
        return new SoakReport(
            settings.Chats, asked.Count, replies.Count, lost, duplicated, outOfOrder, latency,
            Math.Round(self.PeakWorkingSet64 / 1024.0 / 1024.0, 1), perSecond, perChat, perGroup, settings.QuestionsPerChat,
            (settings.Chats + 1) / 2, settings.Chats / 2, sent.Count - replies.Count, articles, Math.Round(duration.TotalSeconds, 1),
            limits, within, lost == 0 && duplicated == 0 && outOfOrder == 0 && within);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 1);

    private static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"soak: timed out waiting for {what}.");
            await Task.Delay(50, ct).ConfigureAwait(false); // the worker starts on its own: a poll of the server's record
        }
    }
}
