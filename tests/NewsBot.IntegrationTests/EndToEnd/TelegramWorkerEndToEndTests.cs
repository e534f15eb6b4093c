using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// The worker as an operator runs it (`newsbot run` in a child process, configured only through
/// environment variables), talking to a fake Bot API server on 127.0.0.1 through the real Telegram.Bot
/// client, answering from the seed article with the real embedding model.
/// </summary>
public sealed class TelegramWorkerEndToEndTests : IDisposable
{
    const string Token = "7000001:AAH-end-to-end-SECRET-token_xyz";
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-tg-e2e-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { }
    }

    [SkippableFact]
    public async Task The_worker_answers_start_and_a_question_with_html_characters_citing_the_seed_and_never_logs_the_token()
    {
        Skip.IfNot(File.Exists(TestPaths.SeedArticle), "../shared/seeds is not beside the repository");
        var data = Path.Combine(_work, "data");
        var (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "ingest", TestPaths.Seeds, "--data", data);
        Assert.True(exit == 0, err);

        await using var bot = await FakeBotApiServer.StartAsync();
        bot.AcceptedToken = Token;
        await using var worker = CliProcess.Start(_work, new Dictionary<string, string?>
        {
            ["Telegram__BotToken"] = Token,
            ["Telegram__BaseUrl"] = bot.BaseUrl,
            ["Storage__DataDirectory"] = data,
            ["Serilog__MinimumLevel__Default"] = "Debug",
        }, "run");

        await bot.WaitForAsync("setMyCommands", timeout: TimeSpan.FromSeconds(120)); // a child process's start: as CrashWorker allows a loaded machine
        bot.SendText(chatId: 501, userId: 501, "/start");
        var welcome = await bot.WaitForAsync("sendMessage", c => c.Long("chat_id") == 501, timeout: TimeSpan.FromSeconds(30));
        Assert.False(string.IsNullOrWhiteSpace(welcome.Text));

        var (_, questionId) = bot.SendText(chatId: 501, userId: 501, "How many people were killed in Kyiv? <b>&");
        var answer = await bot.WaitForAsync("sendMessage", c => c.Long("chat_id") == 501 && c.ReplyTo == questionId, timeout: TimeSpan.FromSeconds(60));
        Assert.Contains("28", answer.Text);
        Assert.Contains("[1]", answer.Text);
        Assert.Contains("Ukraine, Russia talks uncertain amid deadly strikes on Kyiv", answer.Text);
        Assert.Equal("html", answer.Str("parse_mode")?.ToLowerInvariant());

        // graceful stop on SIGTERM
        worker.Terminate();
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, worker.ExitCode);
        var log = worker.Stdout + worker.Stderr;
        Assert.Contains("Telegram", log);
        Assert.DoesNotContain(Token, log);
        Assert.DoesNotContain("SECRET-token", log);
    }

    [Fact]
    public async Task Without_a_token_the_worker_still_runs_and_says_how_to_connect_telegram()
    {
        await using var worker = CliProcess.Start(_work, new Dictionary<string, string?> { ["Storage__DataDirectory"] = Path.Combine(_work, "data2") }, "run");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !worker.Stderr.Contains("Telegram__BotToken") && !worker.HasExited) await Task.Delay(50);
        Assert.False(worker.HasExited, worker.Stderr);
        Assert.Contains("Telegram__BotToken", worker.Stderr);
        worker.Terminate();
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, worker.ExitCode);
    }
}
