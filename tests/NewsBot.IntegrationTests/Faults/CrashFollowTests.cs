using System.Diagnostics;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.IntegrationTests.Telegram;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// Promise: a follow update is never sent twice, and a crash does not lose one that was not yet recorded. Batches of
/// chats follow a story whose articles they have not been told about, so each is due one update; the worker (real
/// SQLite file, fake Bot API on loopback) is killed with SIGKILL at <see cref="CrashRuns.Count"/> random moments
/// (seeded, printed) while it sends them. After each kill and restart: no chat has two updates, every recorded update
/// arrived unless it was the one in flight, and the follows not yet recorded get theirs from the restarted worker.
/// Updates are recorded right before the request's body is written (SendCommit), never after, so none is sent twice;
/// a kill between the record's commit and Telegram receiving the request (a window the Bot API, with no idempotency
/// key, does not let us close) loses that one update: counted and printed, at most one per kill (RELIABILITY.md).
/// </summary>
public sealed class CrashFollowTests(ITestOutputHelper output) : IDisposable
{
    const string Token = "7000001:AAH-crash-follow-SECRET_token";
    const int BatchSize = 30;
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-crash-follow-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Kill_9_at_random_moments_of_sending_follow_updates_sends_none_twice_and_the_restart_sends_the_rest()
    {
        var runs = CrashRuns.Count;
        var seed = CrashRuns.Seed(16_004);
        var rng = new Random(seed);
        output.WriteLine($"kill -9 while sending follow updates: {runs} runs, seed {seed} (NEWSBOT_CRASH_RUNS / NEWSBOT_CRASH_SEED to change)");
        var data = Path.Combine(_work, "data");
        var (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "ingest", Path.Combine(TestPaths.RepoRoot, "samples"), "--data", data);
        Assert.True(exit == 0, err);
        var story = Scalar<string>(data, "SELECT story_id FROM story_articles WHERE story_id IS NOT NULL GROUP BY story_id ORDER BY COUNT(*) DESC LIMIT 1");

        await using var bot = await FakeBotApiServer.StartAsync();
        bot.AcceptedToken = Token;
        var worker = new CrashWorker(_work, data, bot, Token, new Dictionary<string, string?> { ["Follows__CheckInterval"] = "00:00:01" });
        var chats = new List<long>();
        var batch = 0;
        void AddBatch()
        {
            var ids = Enumerable.Range(0, BatchSize).Select(j => 90_000L + batch * 100 + j).ToList();
            batch++;
            Follow(data, story, ids);
            chats.AddRange(ids);
        }

        AddBatch();
        var p = await worker.StartAsync();
        var sw = Stopwatch.StartNew();
        await FakeBotApiServer.EventuallyAsync(() => chats.All(c => Updates(bot, c) > 0), "the first batch's updates", TimeSpan.FromSeconds(90));
        var window = (int)Math.Max(200, sw.ElapsedMilliseconds);
        output.WriteLine($"a batch of {BatchSize} follow updates takes {window} ms from the worker's start: the kills fall within it");
        await CrashWorker.KillAsync(p);

        int consistent = 0, lostInDoubt = 0;
        var failures = new List<string>();
        for (int i = 1; i <= runs; i++)
        {
            if (Recorded(data).Count >= chats.Count) AddBatch();
            var sentBefore = bot.SentMessages.Count;
            p = await worker.StartAsync();
            var delay = rng.Next(0, window);
            await Task.Delay(delay);
            await CrashWorker.KillAsync(p);

            var (problems, totalInDoubt) = Check(bot, data, chats);
            var (_, storeProblems) = await StoreConsistency.CheckAsync(data);
            problems.AddRange(storeProblems);
            // this kill's: claimed before it, never received. One send is in flight at a time, so at most one; it is
            // lost, not repeated (the residual window, see SendCommit), and counted: 0 is the usual figure, not a promise
            var inDoubt = totalInDoubt - lostInDoubt;
            if (inDoubt > 1) problems.Add($"{inDoubt} updates lost after one kill");
            lostInDoubt = totalInDoubt;
            if (problems.Count == 0) consistent++;
            else failures.Add($"run {i}: {string.Join("; ", problems)}");
            output.WriteLine($"run {i}: killed {delay} ms after the start, {bot.SentMessages.Count - sentBefore} updates sent by then; " +
                             $"{(problems.Count == 0 ? "consistent" : string.Join("; ", problems))}{(inDoubt > 0 ? $"; {inDoubt} lost in the send window" : "")}");
        }

        p = await worker.StartAsync();
        await FakeBotApiServer.EventuallyAsync(() => Recorded(data).Count == chats.Count && chats.Count(c => Updates(bot, c) == 0) == lostInDoubt,
            "every update recorded and every one not lost in the send window received", TimeSpan.FromSeconds(90));
        await CrashWorker.KillAsync(p);
        var (finalProblems, finalDoubt) = Check(bot, data, chats);
        var missing = chats.Count(c => Updates(bot, c) == 0);

        output.WriteLine($"{consistent} of {runs} consistent recoveries (follow updates): {chats.Count} follows, {chats.Count - missing} updates sent once, " +
                         $"0 twice, {missing} lost in the send window");
        Assert.True(consistent == runs, string.Join("\n", failures));
        Assert.Empty(finalProblems);
        Assert.Equal(lostInDoubt, finalDoubt); // none lost but those counted at the kills
        Assert.Equal(missing, finalDoubt);
    }

    static int Updates(FakeBotApiServer bot, long chat) => bot.MessagesTo(chat).Count(m => m.Text.StartsWith("<b>Update:", StringComparison.Ordinal));

    static (List<string> Problems, int InDoubt) Check(FakeBotApiServer bot, string data, List<long> chats)
    {
        var problems = new List<string>();
        var recorded = Recorded(data);
        int inDoubt = 0;
        foreach (var chat in chats)
        {
            var updates = Updates(bot, chat);
            if (updates > 1) problems.Add($"chat {chat} got {updates} updates");
            if (recorded.Contains(chat)) { if (updates == 0) inDoubt++; }
            else if (updates > 0) problems.Add($"chat {chat} got an update that was never recorded");
        }
        return (problems, inDoubt);
    }

    /// <summary>Chats whose follow has its update recorded (sent, or in flight at a kill).</summary>
    static HashSet<long> Recorded(string data)
    {
        using var c = Open(data);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT chat_id FROM follows WHERE last_update_ms IS NOT NULL";
        using var r = cmd.ExecuteReader();
        var chats = new HashSet<long>();
        while (r.Read()) chats.Add(r.GetInt64(0));
        return chats;
    }

    static void Follow(string data, string story, IEnumerable<long> chats)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var c = Open(data);
        using var tx = c.BeginTransaction();
        foreach (var chat in chats)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO follows(id, chat_id, topic, story_id, created_ms, last_activity_ms) VALUES($id, $c, 'the story', $s, $at, $at)";
            cmd.Parameters.AddWithValue("$id", Guid.NewGuid().ToString("N"));
            cmd.Parameters.AddWithValue("$c", chat);
            cmd.Parameters.AddWithValue("$s", story);
            cmd.Parameters.AddWithValue("$at", now);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    static T Scalar<T>(string data, string sql)
    {
        using var c = Open(data);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (T)cmd.ExecuteScalar()!;
    }

    static SqliteConnection Open(string data)
    {
        var c = new SqliteConnection($"Data Source={Path.Combine(data, "newsbot.db")};Pooling=False;Default Timeout=30");
        c.Open();
        return c;
    }
}
