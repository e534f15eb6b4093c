using System.Diagnostics;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.IntegrationTests.Telegram;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// What one kind of pushed message (daily digests, follow updates) gives <see cref="CrashSendRuns"/>: how to make a
/// batch of chats due one message each, how to tell its messages among a chat's, and which chats the store has
/// recorded (claimed) a send for.
/// </summary>
public abstract class CrashSendScenario
{
    /// <summary>"digests", "follow updates": the word in the printed lines.</summary>
    public abstract string What { get; }

    public abstract int DefaultSeed { get; }

    /// <summary>First chat id of the batches (kept apart between scenarios).</summary>
    public abstract long FirstChat { get; }

    /// <summary>The worker's extra settings (check intervals short enough for the kills).</summary>
    public abstract IReadOnlyDictionary<string, string?> WorkerSettings { get; }

    /// <summary>Once, after the samples are ingested: what the batches need (a story to follow, …).</summary>
    public virtual void Prepare(string data) { }

    /// <summary>Makes each of these chats due one message.</summary>
    public abstract void AddChats(string data, IReadOnlyList<long> chats);

    /// <summary>How many of this scenario's messages the chat has received.</summary>
    public abstract int Received(FakeBotApiServer bot, long chat);

    /// <summary>Chats whose send the store has recorded; true where it also recorded that the send went out.</summary>
    public abstract Dictionary<long, bool> Recorded(string data);

    public static SqliteConnection Open(string data)
    {
        var c = new SqliteConnection($"Data Source={Path.Combine(data, "newsbot.db")};Pooling=False;Default Timeout=30");
        c.Open();
        return c;
    }
}

/// <summary>
/// The kill -9 runs shared by <see cref="CrashDigestTests"/> and <see cref="CrashFollowTests"/>: a first batch, not
/// killed, measures how long the worker takes to send one; then <see cref="CrashRuns.Count"/> times the worker is
/// started and killed at a random moment (seeded, printed) within that window, a new batch being added whenever every
/// chat is recorded; after each kill nothing was sent twice, nothing recorded as sent is missing, nothing arrived
/// unrecorded, the store is consistent, and at most the one send in flight is lost (counted and printed, not
/// repeated: the window between the record's commit and Telegram receiving the request, see SendCommit). A last
/// start must then send everything else.
/// </summary>
public static class CrashSendRuns
{
    const int BatchSize = 30;

    public static async Task RunAsync(CrashSendScenario scenario, string work, string token, ITestOutputHelper output)
    {
        var runs = CrashRuns.Count;
        var seed = CrashRuns.Seed(scenario.DefaultSeed);
        var rng = new Random(seed);
        var what = scenario.What;
        output.WriteLine($"kill -9 while sending {what}: {runs} runs, seed {seed} (NEWSBOT_CRASH_RUNS / NEWSBOT_CRASH_SEED to change)");
        var data = Path.Combine(work, "data");
        var (exit, _, err) = await CliProcess.RunAsync(work, new Dictionary<string, string?>(), "ingest", Path.Combine(TestPaths.RepoRoot, "samples"), "--data", data);
        Assert.True(exit == 0, err);
        scenario.Prepare(data);

        await using var bot = await FakeBotApiServer.StartAsync();
        bot.AcceptedToken = token;
        var worker = new CrashWorker(work, data, bot, token, scenario.WorkerSettings);
        var chats = new List<long>();
        var batch = 0;
        void AddBatch()
        {
            var ids = Enumerable.Range(0, BatchSize).Select(j => scenario.FirstChat + batch * 100 + j).ToList();
            batch++;
            scenario.AddChats(data, ids);
            chats.AddRange(ids);
        }

        // a first batch, not killed, measures the busy window
        AddBatch();
        var p = await worker.StartAsync();
        var sw = Stopwatch.StartNew();
        await FakeBotApiServer.EventuallyAsync(() => chats.All(c => scenario.Received(bot, c) > 0), $"the first batch's {what}", TimeSpan.FromSeconds(90));
        var window = (int)Math.Max(200, sw.ElapsedMilliseconds);
        output.WriteLine($"a batch of {BatchSize} {what} takes {window} ms from the worker's start: the kills fall within it");
        await CrashWorker.KillAsync(p);

        int consistent = 0, lostInDoubt = 0;
        var failures = new List<string>();
        for (int i = 1; i <= runs; i++)
        {
            if (scenario.Recorded(data).Count >= chats.Count) AddBatch(); // everything recorded: a new batch for this run to send
            var sentBefore = bot.SentMessages.Count;
            p = await worker.StartAsync();
            var delay = rng.Next(0, window);
            await Task.Delay(delay);
            await CrashWorker.KillAsync(p);

            var (problems, totalInDoubt) = Check(scenario, bot, data, chats);
            var (_, storeProblems) = await StoreConsistency.CheckAsync(data);
            problems.AddRange(storeProblems);
            // this kill's: recorded before it, never received. One send is in flight at a time, so at most one; it is
            // lost, not repeated (the residual window, see SendCommit), and counted: 0 is the usual figure, not a promise
            var inDoubt = totalInDoubt - lostInDoubt;
            if (inDoubt > 1) problems.Add($"{inDoubt} {what} lost after one kill");
            lostInDoubt = totalInDoubt;
            if (problems.Count == 0) consistent++;
            else failures.Add($"run {i}: {string.Join("; ", problems)}");
            output.WriteLine($"run {i}: killed {delay} ms after the start, {bot.SentMessages.Count - sentBefore} {what} sent by then; " +
                             $"{(problems.Count == 0 ? "consistent" : string.Join("; ", problems))}{(inDoubt > 0 ? $"; {inDoubt} lost in the send window" : "")}");
        }

        // the last restart sends whatever is still due
        p = await worker.StartAsync();
        await FakeBotApiServer.EventuallyAsync(() => scenario.Recorded(data).Count == chats.Count && chats.Count(c => scenario.Received(bot, c) == 0) == lostInDoubt,
            $"every one of the {what} recorded and every one not lost in the send window received", TimeSpan.FromSeconds(90));
        await bot.SyncChatAsync(chats[0], chats[0]); // nothing more is on its way after this answer
        await CrashWorker.KillAsync(p);
        var (finalProblems, finalDoubt) = Check(scenario, bot, data, chats);
        var missing = chats.Count(c => scenario.Received(bot, c) == 0);

        output.WriteLine($"{consistent} of {runs} consistent recoveries ({what}): {chats.Count} chats, {chats.Count - missing} {what} sent once, " +
                         $"0 twice, {missing} lost in the send window");
        Assert.True(consistent == runs, string.Join("\n", failures));
        Assert.Empty(finalProblems);
        Assert.Equal(lostInDoubt, finalDoubt); // none lost but those counted at the kills
        Assert.Equal(missing, finalDoubt);
    }

    /// <summary>No chat got two, every send recorded as gone arrived, nothing arrived unrecorded; returns the sends in
    /// doubt (recorded, not confirmed, nothing received).</summary>
    static (List<string> Problems, int InDoubt) Check(CrashSendScenario scenario, FakeBotApiServer bot, string data, List<long> chats)
    {
        var problems = new List<string>();
        var recorded = scenario.Recorded(data);
        int inDoubt = 0;
        foreach (var chat in chats)
        {
            var received = scenario.Received(bot, chat);
            if (received > 1) problems.Add($"chat {chat} got {received} {scenario.What}");
            if (recorded.TryGetValue(chat, out var confirmed))
            {
                if (received == 0 && confirmed) problems.Add($"chat {chat}'s send is recorded as gone but never arrived");
                if (received == 0 && !confirmed) inDoubt++;
            }
            else if (received > 0) problems.Add($"chat {chat} got one of the {scenario.What} that was never recorded");
        }
        return (problems, inDoubt);
    }
}
