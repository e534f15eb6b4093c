using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Answering;
using NewsBot.Core.Ports;
using NewsBot.Telegram;
using NewsBot.Telegram.Hosting;
using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>Webhook mode: the endpoint hosted in-process on loopback, Telegram's calls going to the fake Bot API server.</summary>
public sealed class TelegramWebhookTests
{
    private const string Secret = "s3cret_Webhook-token";

    [Fact]
    public async Task The_webhook_rejects_a_wrong_or_missing_secret_and_accepts_the_right_one_once_per_update()
    {
        await using var server = await FakeBotApiServer.StartAsync();
        var answers = new ScriptedAnswerService();
        var inbox = new InMemoryInboxStore();
        var logs = new CapturingLoggerProvider();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs).AddProvider(LogSecretScanner.Provider);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = TelegramBotHarness.Token,
            ["Telegram:BaseUrl"] = server.BaseUrl,
            ["Telegram:WebhookUrl"] = "https://bot.example.org/telegram/webhook",
            ["Telegram:WebhookSecretToken"] = Secret,
        });
        builder.Services.AddSingleton<IAnswerService>(answers);
        builder.Services.AddSingleton<IInboxStore>(inbox);
        builder.Services.AddSingleton<IFeedStore>(new InMemoryFeedStore());
        builder.Services.AddSingleton<IFeedPoller>(new FakeFeedPoller());
        builder.Services.AddSingleton<IArticleStore>(new InMemoryArticleStore());
        var data = Directory.CreateTempSubdirectory("newsbot-webhook-").FullName;
        TelegramBotHarness.AddDigestServices(builder.Services, data, TimeProvider.System);
        builder.Services.AddNewsBotTelegram(builder.Configuration);
        NewsBot.Hosting.ResilienceRegistration.AddNewsBotResilience(builder.Services, builder.Configuration);
        await using var app = builder.Build();
        app.MapTelegramWebhook();
        await app.StartAsync();
        var endpoint = app.Urls.First() + "/telegram/webhook";

        var setWebhook = await server.WaitForAsync("setWebhook");
        Assert.Equal("https://bot.example.org/telegram/webhook", setWebhook.Str("url"));
        Assert.Equal(Secret, setWebhook.Str("secret_token"));
        Assert.Equal("[\"message\",\"callback_query\"]", setWebhook.Params["allowed_updates"]!.ToJsonString());
        Assert.Empty(server.CallsTo("getUpdates"));

        var update = new JsonObject { ["update_id"] = 900, ["message"] = Updates.Message(31, 42, 42, "What did the council decide?") };
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, endpoint, update, secret: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, endpoint, update, secret: "wrong")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, endpoint, update, secret: Secret + "x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, endpoint, update, secret: Secret.ToUpperInvariant())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, endpoint, update, secret: Secret[..^1])).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(http, endpoint, update, secret: "")).StatusCode);
        Assert.DoesNotContain(Secret, string.Join("\n", logs.Lines)); // a refusal never logs what was presented or expected
        var inQuery = await Post(http, endpoint + "?secret_token=wrong-" + Secret[..4], update, secret: null); // only the header counts
        Assert.Equal(HttpStatusCode.Unauthorized, inQuery.StatusCode);
        Assert.Equal(0, inbox.Count);

        Assert.Equal(HttpStatusCode.OK, (await Post(http, endpoint, update, Secret)).StatusCode);
        var sent = await server.WaitForAsync("sendMessage");
        Assert.Equal(31, sent.ReplyTo);
        Assert.Contains("Sources:", sent.Text);

        // Telegram re-delivers (e.g. our 200 was lost): stored already, not answered again
        Assert.Equal(HttpStatusCode.OK, (await Post(http, endpoint, update, Secret)).StatusCode);
        await FakeBotApiServer.EventuallyAsync(() => inbox.PendingCount == 0, "the update to be done");
        // a barrier: the chat's next message, answered only after anything the re-delivery would still cause
        var sync = new JsonObject { ["update_id"] = 901, ["message"] = Updates.Message(32, 42, 42, FakeBotApiServer.SyncText) };
        Assert.Equal(HttpStatusCode.OK, (await Post(http, endpoint, sync, Secret)).StatusCode);
        await server.WaitForAsync("sendMessage", c => c.ReplyTo == 32);
        Assert.Single(server.SentMessages, m => m.ReplyTo == 31);
        Assert.Equal(2, server.SentMessages.Count);
        Assert.Equal(["What did the council decide?", FakeBotApiServer.SyncText], answers.Requests.Select(r => r.Question));

        Assert.Equal(HttpStatusCode.BadRequest, (await Post(http, endpoint, "not json", Secret)).StatusCode);
        Assert.DoesNotContain(TelegramBotHarness.Token, string.Join("\n", logs.Lines));
        await app.StopAsync();
    }

    [Fact]
    public void The_secret_comparison_is_exact()
    {
        Assert.True(TelegramWebhookEndpoints.SecretMatches(Secret, Secret));
        Assert.False(TelegramWebhookEndpoints.SecretMatches(Secret.ToUpperInvariant(), Secret));
        Assert.False(TelegramWebhookEndpoints.SecretMatches("", Secret));
        Assert.False(TelegramWebhookEndpoints.SecretMatches(null, Secret));
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, string url, JsonObject update, string? secret) =>
        Post(http, url, update.ToJsonString(), secret);

    private static Task<HttpResponseMessage> Post(HttpClient http, string url, string body, string? secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (secret is not null)
            request.Headers.Add(TelegramWebhookEndpoints.SecretHeader, secret);
        return http.SendAsync(request);
    }
}
