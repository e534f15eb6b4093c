using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NewsBot.Telegram;
using NewsBot.Telegram.Hosting;
using Xunit;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>Options validation messages and which hosted service AddNewsBotTelegram registers.</summary>
public sealed class TelegramOptionsTests
{
    private static readonly TelegramOptionsValidator Validator = new();

    [Fact]
    public void Defaults_with_a_token_are_valid()
    {
        var o = new TelegramOptions { BotToken = TelegramBotHarness.Token };
        Assert.True(Validator.Validate(null, o).Succeeded);
        Assert.Equal("/telegram/webhook", o.WebhookPath);
        Assert.Equal(10, o.RateLimit.PerUserPerMinute);
        Assert.Equal(5, o.RateLimit.Burst);
        Assert.Equal(1000, o.MaxQuestionLength);
        Assert.Equal(30, o.PollingTimeoutSeconds);
        Assert.Equal(4, o.MaxConcurrentChats);
    }

    [Fact]
    public void A_webhook_without_a_secret_is_rejected_with_a_message_naming_the_key_and_the_fix()
    {
        var result = Validator.Validate(null, new TelegramOptions { BotToken = TelegramBotHarness.Token, WebhookUrl = "https://bot.example.org/hook" });
        Assert.Contains("Telegram:WebhookSecretToken is required when Telegram:WebhookUrl is set; set it to a random string of 1-256 characters A-Z a-z 0-9 _ -",
            result.Failures!);
    }

    [Theory]
    [InlineData("http://bot.example.org/hook", "must use https")]
    [InlineData("not a url", "Telegram:WebhookUrl must be an absolute https URL")]
    public void A_bad_webhook_url_is_rejected(string url, string expected)
    {
        var result = Validator.Validate(null, new TelegramOptions { BotToken = TelegramBotHarness.Token, WebhookUrl = url, WebhookSecretToken = "abc" });
        Assert.Contains(result.Failures!, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_values_are_named_and_a_malformed_token_is_never_echoed()
    {
        const string badToken = "not-a-token-SECRETVALUE";
        var result = Validator.Validate(null, new TelegramOptions
        {
            BotToken = badToken,
            WebhookSecretToken = "has spaces!",
            MaxConcurrentChats = 0,
            RateLimit = new TelegramRateLimitOptions { Burst = 0 },
        });
        var failures = string.Join("\n", result.Failures!);
        Assert.Contains("Telegram:BotToken", failures);
        Assert.Contains("Telegram__BotToken", failures);
        Assert.Contains("Telegram:WebhookSecretToken may only contain", failures);
        Assert.Contains("Telegram:MaxConcurrentChats", failures);
        Assert.Contains("Telegram:RateLimit:Burst", failures);
        Assert.DoesNotContain("SECRETVALUE", failures);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData(TelegramBotHarness.Token, null, typeof(TelegramPollingService))]
    [InlineData(TelegramBotHarness.Token, "https://bot.example.org/hook", typeof(TelegramWebhookService))]
    public void The_polling_service_runs_only_with_a_token_and_no_webhook(string? token, string? webhook, Type? expected)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = token,
            ["Telegram:WebhookUrl"] = webhook,
            ["Telegram:WebhookSecretToken"] = webhook is null ? null : "secret",
        }).Build();
        var services = new ServiceCollection().AddNewsBotTelegram(config);
        var hosted = services.Where(d => d.ServiceType == typeof(IHostedService)).Select(d => d.ImplementationType).ToList();
        if (expected is null)
            Assert.Empty(hosted);
        else
            Assert.Equal(expected, Assert.Single(hosted));
    }

    [Fact]
    public void Invalid_options_fail_when_the_bot_client_is_created()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = TelegramBotHarness.Token,
            ["Telegram:WebhookUrl"] = "https://bot.example.org/hook",
        }).Build();
        using var provider = new ServiceCollection().AddLogging(LogSecretScanner.AddTo).AddNewsBotTelegram(config).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<global::Telegram.Bot.ITelegramBotClient>());
        Assert.Contains("Telegram:WebhookSecretToken is required", error.Message);
    }
}
