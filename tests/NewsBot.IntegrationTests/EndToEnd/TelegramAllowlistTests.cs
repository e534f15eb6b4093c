using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Cli;
using NewsBot.Telegram;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// The Telegram allow/deny id lists: an entry the configuration binder cannot turn into a number would be dropped
/// silently, and an empty allowlist opens the bot to everyone, so the worker must refuse to start instead.
/// </summary>
public sealed class TelegramAllowlistTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-allowlist-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Theory]
    [InlineData("Telegram:AllowedUserIds:0", "@alice")]
    [InlineData("Telegram:AllowedUserIds:1", "12345x")]
    [InlineData("Telegram:AllowedChatIds:0", "-100abc")]
    [InlineData("Telegram:AdminUserIds:0", "admin")]
    public async Task A_telegram_id_that_is_not_a_number_stops_the_start_instead_of_opening_the_bot(string key, string value)
    {
        var config = new Dictionary<string, string?>
        {
            ["Telegram:AllowedUserIds:0"] = "12345", [key] = value,
            ["Storage:DataDirectory"] = Path.Combine(_work, "data"), ["Embeddings:CacheDirectory"] = TestPaths.ModelCache, ["Ingestion:SampleDirectory"] = "",
        };
        var stderrWriter = new StringWriter();
        // without the check the worker would just run: stopped here, it would not exit with 2 (a deadline, generous so that
        // a loaded machine's slow start does not cut the check short)
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exit = await new NewsBotCli(new StringWriter(), stderrWriter, _work, config).RunAsync(["run"], cts.Token);
        var stderr = stderrWriter.ToString();
        Assert.Equal(2, exit);
        Assert.Contains(key, stderr);
        Assert.Contains(value, stderr);
        Assert.Contains("numeric", stderr);
    }

    [Fact]
    public void The_telegram_registration_rejects_an_allowlist_given_as_one_value_and_accepts_numeric_ids()
    {
        static OptionsValidationException? Validate(Dictionary<string, string?> values)
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
            using var sp = new ServiceCollection().AddNewsBotTelegram(config).BuildServiceProvider();
            try { _ = sp.GetRequiredService<IOptions<TelegramOptions>>().Value; return null; }
            catch (OptionsValidationException ex) { return ex; }
        }
        Assert.Null(Validate(new() { ["Telegram:AllowedUserIds:0"] = "12345", ["Telegram:AllowedChatIds:0"] = "-1001234567890", ["Telegram:AdminUserIds:0"] = " 42 " }));
        var single = Validate(new() { ["Telegram:AllowedUserIds"] = "12345" });
        Assert.NotNull(single);
        Assert.Contains("Telegram__AllowedUserIds__0=12345", single.Message);
    }
}
