using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// The worker (`newsbot run`, a child process, real model, real SQLite file) serving one <see cref="FakeBotApiServer"/>
/// that outlives it, as Telegram outlives a crashed bot: started, killed with SIGKILL, started again.
/// </summary>
public sealed class CrashWorker(string workDirectory, string dataDirectory, FakeBotApiServer bot, string token, IReadOnlyDictionary<string, string?>? extra = null)
{
    /// <summary>Starts the worker and waits until it serves the bot (its setMyCommands at start).</summary>
    public async Task<CliProcess> StartAsync()
    {
        var started = bot.CallsTo("setMyCommands").Count(c => c.Ok);
        var env = new Dictionary<string, string?>
        {
            ["Telegram__BotToken"] = token,
            ["Telegram__BaseUrl"] = bot.BaseUrl,
            ["Telegram__PollingTimeoutSeconds"] = "1",
            ["Storage__DataDirectory"] = dataDirectory,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) env[k] = v;
        var worker = CliProcess.Start(workDirectory, env, "run");
        try
        {
            await bot.WaitForAsync("setMyCommands", count: started + 1, timeout: TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            var err = worker.Stderr;
            await worker.DisposeAsync();
            throw new TimeoutException("the worker did not start: " + err);
        }
        return worker;
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public static async Task KillAsync(CliProcess worker)
    {
        if (!worker.HasExited) worker.KillHard();
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await worker.DisposeAsync();
    }
}
