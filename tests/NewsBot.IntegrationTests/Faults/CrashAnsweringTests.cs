using System.Diagnostics;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.IntegrationTests.Telegram;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// Promise: no question is left unanswered when the worker crashes. Questions from several chats reach the worker
/// (fake Bot API on loopback, real model, the sample corpus) and the worker is killed with SIGKILL at
/// <see cref="CrashRuns.Count"/> random moments (seeded, printed) while it answers them; after each restart every question
/// asked so far has its answer, each chat's answers come in the order of its questions, the inbox holds nothing
/// pending and the store is consistent. Delivery is at least once: an answer sent just before the kill and not yet
/// marked done is sent again after the restart; those repeats are counted and printed.
/// </summary>
public sealed class CrashAnsweringTests(ITestOutputHelper output) : IDisposable
{
    const string Token = "7000001:AAH-crash-answer-SECRET_token";
    static readonly long[] Chats = [7101, 7102, 7103, 7104];
    static readonly string[] Questions =
    [
        "What happened in the valley floods?", "Who won the cup semifinal?", "What was the election turnout?",
        "When does the tram extension open?", "How are batteries recycled?", "How much does the tram extension cost?",
    ];

    readonly string _work = Directory.CreateTempSubdirectory("newsbot-crash-answer-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Kill_9_at_random_moments_of_answering_leaves_no_question_unanswered_after_each_restart()
    {
        var runs = CrashRuns.Count;
        var seed = CrashRuns.Seed(16_002);
        var rng = new Random(seed);
        output.WriteLine($"kill -9 while answering: {runs} runs, seed {seed} (NEWSBOT_CRASH_RUNS / NEWSBOT_CRASH_SEED to change)");
        var data = Path.Combine(_work, "data");
        var (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "ingest", Path.Combine(TestPaths.RepoRoot, "samples"), "--data", data);
        Assert.True(exit == 0, err);

        await using var bot = await FakeBotApiServer.StartAsync();
        bot.AcceptedToken = Token;
        var worker = new CrashWorker(_work, data, bot, Token);
        var asked = new List<(long Chat, int MessageId)>();
        var q = 0;
        void AskRound()
        {
            foreach (var chat in Chats)
                asked.Add((chat, bot.SendText(chat, chat, Questions[q++ % Questions.Length]).MessageId));
        }

        // two rounds, not killed: the first warms the worker up, the second measures the busy window (how long a round takes)
        var p = await worker.StartAsync();
        AskRound();
        await AllAnsweredAsync(bot, asked);
        var sw = Stopwatch.StartNew();
        AskRound();
        await AllAnsweredAsync(bot, asked);
        var window = (int)Math.Max(200, sw.ElapsedMilliseconds);
        output.WriteLine($"one round of {Chats.Length} questions takes {window} ms: the kills fall within it");

        int consistent = 0;
        var failures = new List<string>();
        for (int i = 1; i <= runs; i++)
        {
            AskRound();
            var delay = rng.Next(0, window);
            await Task.Delay(delay);
            var answeredBefore = asked.Count(a => Replies(bot, a).Count > 0);
            await CrashWorker.KillAsync(p);

            p = await worker.StartAsync();
            var problems = new List<string>();
            try
            {
                await AllAnsweredAsync(bot, asked);
            }
            catch (TimeoutException e)
            {
                problems.Add(e.Message);
            }
            problems.AddRange(OrderProblems(bot, asked));
            var pending = -1L;
            try
            {
                await FakeBotApiServer.EventuallyAsync(() => (pending = PendingInbox(data)) == 0, "an empty inbox", TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                problems.Add($"{pending} updates still pending in the inbox");
            }
            var (counts, storeProblems) = await StoreConsistency.CheckAsync(data);
            problems.AddRange(storeProblems);
            var repeats = asked.Sum(a => Math.Max(0, Replies(bot, a).Count - 1));
            if (problems.Count == 0) consistent++;
            else failures.Add($"run {i}: {string.Join("; ", problems)}");
            output.WriteLine($"run {i}: killed {delay} ms after a round was asked ({answeredBefore} of {asked.Count} answered by then); " +
                             $"after the restart {(problems.Count == 0 ? "all answered" : string.Join("; ", problems))}; repeats so far {repeats}; {counts.Articles} articles, {counts.Chunks} chunks");
        }
        await CrashWorker.KillAsync(p);

        var totalRepeats = asked.Sum(a => Math.Max(0, Replies(bot, a).Count - 1));
        output.WriteLine($"{consistent} of {runs} consistent recoveries (answering): {asked.Count} questions, none unanswered in the consistent runs, {totalRepeats} answered twice (at least once)");
        Assert.True(consistent == runs, string.Join("\n", failures));
        Assert.DoesNotContain(asked, a => Replies(bot, a).Count == 0);
    }

    static List<ApiCall> Replies(FakeBotApiServer bot, (long Chat, int MessageId) q) =>
        [.. bot.MessagesTo(q.Chat).Where(m => m.ReplyTo == q.MessageId)];

    static Task AllAnsweredAsync(FakeBotApiServer bot, List<(long Chat, int MessageId)> asked) =>
        FakeBotApiServer.EventuallyAsync(() => asked.All(a => Replies(bot, a).Count > 0),
            "every question asked so far to have its answer", TimeSpan.FromSeconds(90));

    /// <summary>Each chat's first answers come in the order of its questions.</summary>
    static IEnumerable<string> OrderProblems(FakeBotApiServer bot, List<(long Chat, int MessageId)> asked)
    {
        foreach (var chat in Chats)
        {
            var mine = asked.Where(a => a.Chat == chat).Select(a => (long)a.MessageId).ToList();
            var firsts = bot.MessagesTo(chat).Select(m => m.ReplyTo).OfType<long>().Where(mine.Contains).Distinct().ToList();
            if (!firsts.SequenceEqual(mine.Take(firsts.Count)))
                yield return $"chat {chat} answered out of order: {string.Join(",", firsts)}";
        }
    }

    static long PendingInbox(string data)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(data, "newsbot.db")};Pooling=False;Default Timeout=10");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM inbox WHERE done = 0";
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
