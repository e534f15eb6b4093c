using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.EndToEnd;
using Xunit.Abstractions;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// Promise: ingestion is crash safe. The newsbot process (real model, real SQLite file) is killed with SIGKILL at
/// <see cref="CrashRuns.Count"/> random moments (seeded, printed) while it ingests a folder; after each kill the store is
/// checked as a restarted worker reads it (<see cref="StoreConsistency"/>): article, chunk, vector and lexical counts
/// agree, no orphan rows, nothing half indexed; then the next run resumes. A last run to completion ends with exactly
/// the counts of an uninterrupted run.
/// </summary>
public sealed class CrashIngestionTests(ITestOutputHelper output) : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-crash-ingest-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Kill_9_at_random_moments_of_ingestion_leaves_a_consistent_store_each_time_and_the_end_matches_an_uninterrupted_run()
    {
        var runs = CrashRuns.Count;
        var seed = CrashRuns.Seed(16_001);
        var rng = new Random(seed);
        output.WriteLine($"kill -9 during ingestion: {runs} runs, seed {seed} (NEWSBOT_CRASH_RUNS / NEWSBOT_CRASH_SEED to change)");
        var folder = ArticleFolder.Write(Path.Combine(_work, "articles"), 24 + runs * 4, duplicates: 4, paragraphs: 8);
        var data = Path.Combine(_work, "data");
        var env = new Dictionary<string, string?>();

        int consistent = 0, restarts = 0;
        var failures = new List<string>();
        for (int i = 1; i <= runs; i++)
        {
            var before = (await StoreConsistency.CheckAsync(data)).Counts.Articles;
            var delay = rng.Next(0, 1500);
            bool killed;
            await using (var p = CliProcess.Start(_work, env, "ingest", folder, "--data", data))
            {
                // the busy window: from this run's first new article on, then a random moment within it
                await PollUntil(() => p.HasExited || Articles(data) > before, TimeSpan.FromMinutes(2));
                await Task.Delay(delay);
                killed = !p.HasExited;
                if (killed) p.KillHard();
                await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            var (counts, problems) = await StoreConsistency.CheckAsync(data);
            var ok = problems.Count == 0;
            if (ok) consistent++;
            else failures.Add($"run {i}: {string.Join("; ", problems)}");
            output.WriteLine($"run {i}: {(killed ? $"killed {delay} ms into its writes" : "finished before the kill")}: {counts} -> {(ok ? "consistent" : string.Join("; ", problems))}");
            if (!killed)
            {
                // the folder is done: start again from an empty store so every run kills a busy ingestion
                Directory.Delete(data, true);
                restarts++;
            }
        }
        output.WriteLine($"{consistent} of {runs} consistent recoveries (ingestion){(restarts > 0 ? $"; {restarts} run(s) finished before the kill" : "")}");
        Assert.True(consistent == runs, string.Join("\n", failures));

        // the last run resumes to completion: the counts of an uninterrupted ingestion of the same folder
        var (exit, _, err) = await CliProcess.RunAsync(_work, env, "ingest", folder, "--data", data);
        Assert.True(exit == 0, err);
        var clean = Path.Combine(_work, "clean");
        (exit, _, err) = await CliProcess.RunAsync(_work, env, "ingest", folder, "--data", clean);
        Assert.True(exit == 0, err);
        var (resumed, resumedProblems) = await StoreConsistency.CheckAsync(data);
        var (uninterrupted, _) = await StoreConsistency.CheckAsync(clean);
        Assert.Empty(resumedProblems);
        Assert.Equal(uninterrupted, resumed);
        Assert.Equal(0, resumed.StoriesPending);
        Assert.Equal(24 + runs * 4 - 4, resumed.Articles);
    }

    static long Articles(string data)
    {
        try
        {
            using var c = new SqliteConnection($"Data Source={Path.Combine(data, "newsbot.db")};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM articles";
            return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return 0; // not created yet
        }
    }

    /// <summary>Polls a condition another process changes (every 20 ms: the interval of the poll, not a wait for time to pass).</summary>
    internal static async Task PollUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}
