using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using NewsBot.Core.Answering;
using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.IntegrationTests.Telegram;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace NewsBot.IntegrationTests.Faults;

/// <summary>
/// Promise: when the language model's endpoint is down, slower than <c>Llm:Timeout</c>, or answers 429 for a long
/// while, a Telegram user still gets an answer promptly (the extractive one, with the note that says so), never a
/// hang or a crash; and the same running worker answers with the model again as soon as the endpoint recovers.
/// The worker is a child process (real model, SQLite, fake Bot API); the model server is scripted on loopback (WireMock).
/// </summary>
public sealed class LlmFaultTests : IAsyncLifetime
{
    const string Token = "7000001:AAH-llm-faults-SECRET_token";
    const string ModelSays = "About 1,400 trains were cancelled by the strike [1].";
    static readonly string Note = TelegramNoteOf(Language.FallbackNote("en"));

    readonly string _work = Directory.CreateTempSubdirectory("newsbot-llm-faults-").FullName;
    string Data => Path.Combine(_work, "data");

    public async Task InitializeAsync()
    {
        var articles = Path.Combine(_work, "articles");
        Directory.CreateDirectory(articles);
        await File.WriteAllTextAsync(Path.Combine(articles, "rail.txt"), """
            Rail strike halts trains across the north
            By Ines Moreau
            source: Northern Ledger

            Train drivers walked out on Tuesday, cancelling about 1,400 services across the northern network, the rail operator said.

            The union is asking for a pay rise of 9 percent. The operator has offered 4 percent over two years.
            """);
        var (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "ingest", articles, "--data", Data);
        Assert.True(exit == 0, err);
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    static string TelegramNoteOf(string note) => note.Replace("'", "&#39;", StringComparison.Ordinal);

    /// <summary>The worker with the model at <paramref name="port"/>: 3 s timeout, one retry 50 ms later.</summary>
    async Task<(CliProcess Worker, FakeBotApiServer Bot)> StartAsync(int port)
    {
        var bot = await FakeBotApiServer.StartAsync();
        bot.AcceptedToken = Token;
        var worker = await new CrashWorker(_work, Data, bot, Token, new Dictionary<string, string?>
        {
            ["Llm__Provider"] = "OpenAI",
            ["Llm__Endpoint"] = $"http://127.0.0.1:{port}/v1",
            ["Llm__Model"] = "test-model",
            ["Llm__ApiKey"] = "test-key",
            ["Llm__Timeout"] = "00:00:03",
            ["Llm__MaxRetries"] = "1",
            ["Llm__RetryDelay"] = "00:00:00.050",
            ["Llm__PromptsDirectory"] = Path.Combine(TestPaths.RepoRoot, "prompts"),
        }).StartAsync();
        return (worker, bot);
    }

    static long _chat = 4200;

    /// <summary>Asks in a new chat (no earlier turns to condense with) and returns the reply and how long it took.</summary>
    static async Task<(string Text, TimeSpan Took)> AskAsync(FakeBotApiServer bot, string question)
    {
        var chat = Interlocked.Increment(ref _chat);
        var sw = Stopwatch.StartNew();
        var (_, id) = bot.SendText(chat, chat, question);
        var reply = await bot.WaitForAsync("sendMessage", c => c.ReplyTo == id, timeout: TimeSpan.FromSeconds(60));
        return (reply.Text, sw.Elapsed);
    }

    static void ServeAnswers(WireMockServer model) => model
        .Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
        .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Completion(ModelSays)));

    static string Completion(string content) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-test",
        @object = "chat.completion",
        created = 1764000000,
        model = "test-model",
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
        usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
    });

    /// <summary>
    /// A first question, answered with the fallback but not timed: the worker's first answer loads the embedding model and
    /// runs the answer path cold, CPU work that a loaded machine stretches to many seconds. The bounds the tests assert
    /// are about the language model's timeout and retries, so they time warm answers.
    /// </summary>
    static async Task WarmUpAsync(FakeBotApiServer bot)
    {
        var (text, _) = await AskAsync(bot, "How many trains did the rail strike cancel?");
        AssertFallback(text, TimeSpan.Zero, TimeSpan.MaxValue);
    }

    static void AssertFallback(string text, TimeSpan took, TimeSpan bound)
    {
        Assert.Contains("1,400", text); // the extractive answer from the source…
        Assert.Contains(Note, text); // …saying why it is not the model's
        Assert.DoesNotContain("About 1,400 trains were cancelled by the strike", text);
        Assert.True(took < bound, $"the fallback answer took {took}, more than {bound}");
    }

    static void AssertModelAnswer(string text)
    {
        Assert.True(text.Contains("About 1,400 trains were cancelled by the strike", StringComparison.Ordinal) && !text.Contains(Note, StringComparison.Ordinal),
            "expected the model's answer, got: " + text);
    }

    [Fact]
    public async Task Llm_endpoint_down_the_user_gets_the_extractive_answer_with_the_note_and_the_model_answers_again_once_it_is_back()
    {
        var port = FreePort();
        var (worker, bot) = await StartAsync(port); // nothing listens on the port: connections are refused
        await using (bot)
        await using (worker)
        {
            await WarmUpAsync(bot);
            var (text, took) = await AskAsync(bot, "How many trains were cancelled by the rail strike?");
            AssertFallback(text, took, TimeSpan.FromSeconds(30));

            using var model = WireMockServer.Start(port);
            ServeAnswers(model);
            (text, _) = await AskAsync(bot, "How many train services were cancelled?");
            AssertModelAnswer(text);
            Assert.False(worker.HasExited);
            Assert.DoesNotContain("test-key", worker.Stdout + worker.Stderr);
        }
    }

    [Fact]
    public async Task Llm_slower_than_its_timeout_the_user_gets_the_extractive_answer_with_the_note_within_the_retries_bound_then_the_model_again()
    {
        using var model = WireMockServer.Start();
        model.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Completion(ModelSays)).WithDelay(TimeSpan.FromSeconds(60)));
        var (worker, bot) = await StartAsync(model.Ports[0]);
        await using (bot)
        await using (worker)
        {
            await WarmUpAsync(bot);
            // two tries of 3 s each: far below the 60 s the model takes
            var (text, took) = await AskAsync(bot, "How many trains were cancelled by the rail strike?");
            AssertFallback(text, took, TimeSpan.FromSeconds(25));

            model.Reset();
            ServeAnswers(model);
            (text, _) = await AskAsync(bot, "How many train services were cancelled?");
            AssertModelAnswer(text);
        }
    }

    [Fact]
    public async Task Llm_answering_429_retry_after_a_minute_the_user_is_not_kept_waiting_the_minute_and_the_model_answers_when_the_limit_lifts()
    {
        using var model = WireMockServer.Start();
        model.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "60").WithHeader("Content-Type", "application/json")
                .WithBody("""{"error":{"message":"Rate limit reached, try again in 60s"}}"""));
        var (worker, bot) = await StartAsync(model.Ports[0]);
        await using (bot)
        await using (worker)
        {
            await WarmUpAsync(bot);
            // the minute of 429s: every question in it is answered at once (a Retry-After over Llm:MaxRetryAfter is not waited for)
            for (int i = 0; i < 3; i++)
            {
                var (text, took) = await AskAsync(bot, i == 0 ? "How many trains were cancelled by the rail strike?" : $"How many train services were cancelled, again ({i})?");
                AssertFallback(text, took, TimeSpan.FromSeconds(20));
            }
            Assert.True(model.LogEntries.Count() >= 3);

            model.Reset(); // the minute is over (scripted: not waited for)
            ServeAnswers(model);
            var (after, _) = await AskAsync(bot, "How many train services were cancelled?");
            AssertModelAnswer(after);
        }
    }

    static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
