using Microsoft.Data.Sqlite;
using NewsBot.Cli;
using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>`newsbot feeds add` and Telegram's /addfeed share one URL check: both refuse the same bad URLs, before fetching anything.</summary>
public sealed class FeedUrlChannelTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-feedurl-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static TheoryData<string> BadUrls => new()
    {
        "example.org/feed.xml",
        "ftp://example.org/feed.xml",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:secret@example.org/feed.xml",
        "https://example.org/" + new string('a', 2100),
    };

    async Task<(int Exit, string Out, string Err)> Cli(params string[] args)
    {
        var config = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = Path.Combine(_work, "data"),
            ["Embeddings:CacheDirectory"] = TestPaths.ModelCache,
            ["Ingestion:SampleDirectory"] = "",
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await new NewsBotCli(stdout, stderr, _work, config, null).RunAsync(args);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [MemberData(nameof(BadUrls))]
    public async Task The_cli_and_telegram_refuse_the_same_bad_urls(string url)
    {
        var (exit, _, err) = await Cli("feeds", "add", url);
        Assert.Equal(2, exit);
        Assert.StartsWith($"feeds add: '{url}' is not", err.Trim());
        var (listExit, list, _) = await Cli("feeds", "list", "--json");
        Assert.Equal(0, listExit);
        Assert.Contains("\"feeds\":[]", list.Replace(" ", "", StringComparison.Ordinal));

        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(TelegramBotHarness.AdminId, TelegramBotHarness.AdminId, "/addfeed " + url);
        var reply = await bot.Server.WaitForAsync("sendMessage");
        Assert.StartsWith("That isn't a web address: ", reply.Text);
        Assert.Empty(bot.Poller.Probes);
        Assert.Empty(bot.Feeds.Feeds);
    }

    [Fact]
    public async Task A_url_with_a_space_is_refused_by_both()
    {
        var (exit, _, err) = await Cli("feeds", "add", "https://example.org/a feed.xml");
        Assert.Equal(2, exit);
        Assert.Contains("spaces", err);

        await using var bot = await TelegramBotHarness.StartAsync();
        bot.Server.SendText(TelegramBotHarness.AdminId, TelegramBotHarness.AdminId, "/addfeed https://example.org/a feed.xml");
        Assert.Equal("Usage: /addfeed &lt;url of an RSS or Atom feed&gt;", (await bot.Server.WaitForAsync("sendMessage")).Text);
        Assert.Empty(bot.Poller.Probes);
    }
}
