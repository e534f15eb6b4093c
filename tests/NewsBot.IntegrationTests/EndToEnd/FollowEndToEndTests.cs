using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.Sources;
using NewsBot.IntegrationTests.Telegram;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// Following a story as a user meets it: two outlets' feeds on loopback ingested by the CLI, the worker (a child
/// process, real model, real SQLite) serving a fake Bot API server; a chat sends /follow, then a third outlet's feed
/// carries an article on the same event, the worker's feed poll brings it in, and the chat gets exactly one update
/// naming the new outlet — later polls send nothing more.
/// </summary>
public sealed class FollowEndToEndTests : IAsyncLifetime
{
    const string Token = "7000001:AAH-follow-e2e-SECRET_token";
    const long Chat = 601;
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-follow-").FullName;
    LoopbackServer _server = null!;
    volatile bool _postHasFerry;

    static readonly Dictionary<string, (string Outlet, string Title, string[] Paragraphs)> Pages = new()
    {
        ["/herald/ferry"] = ("Harbor Herald", "Ferry and cargo ship collide in Harbor City port", [
            "A passenger ferry collided with a cargo ship in the port of Harbor City on Monday morning, injuring 17 people, the coast guard said.",
            "The ferry Nordlys, carrying 240 passengers from Skarvik, struck the side of the container ship Baltic Star in fog near the north pier."]),
        ["/wire/ferry"] = ("Metro Wire", "17 hurt as ferry Nordlys hits container ship in fog", [
            "Seventeen people were injured when the ferry Nordlys hit the container ship Baltic Star in thick fog at the entrance to Harbor City port.",
            "The maritime accident board opened an investigation into the collision."]),
        ["/wire/rates"] = ("Metro Wire", "Nordic Central Bank raises rates to 3.5 percent", [
            "The Nordic Central Bank raised its main interest rate by a quarter point to 3.5 percent, citing inflation that rose to 4.2 percent in August."]),
        ["/post/library"] = ("River Post", "Skarvik library reopens after two-year renovation", [
            "The public library in Skarvik reopened on Saturday after a two-year renovation that added a children's wing and a rooftop reading room."]),
        ["/post/ferry"] = ("River Post", "Nordlys captain questioned after Harbor City port collision", [
            "Investigators questioned the captain of the ferry Nordlys on Tuesday about the collision with the container ship Baltic Star in Harbor City port.",
            "The accident board said the ferry's radar had been switched to a shorter range minutes before the crash, which injured 17 people."]),
    };

    static readonly NewsSite Site = new(Pages);

    static string Page(string path) => Site.Page(path);

    static string Feed(string origin, string outlet, params (string Path, double HoursAgo)[] items) => Site.Feed(origin, outlet, items);

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            foreach (var path in Pages.Keys) app.MapGet(path, () => Results.Content(Page(path), "text/html"));
            app.MapGet("/herald/rss.xml", (HttpContext c) => Results.Content(Feed(LoopbackServer.Origin(c), "Harbor Herald", ("/herald/ferry", 5)), "application/rss+xml"));
            app.MapGet("/wire/rss.xml", (HttpContext c) => Results.Content(Feed(LoopbackServer.Origin(c), "Metro Wire", ("/wire/ferry", 4), ("/wire/rates", 10)), "application/rss+xml"));
            app.MapGet("/post/rss.xml", (HttpContext c) => Results.Content(_postHasFerry
                ? Feed(LoopbackServer.Origin(c), "River Post", ("/post/ferry", 1), ("/post/library", 30))
                : Feed(LoopbackServer.Origin(c), "River Post", ("/post/library", 30)), "application/rss+xml"));
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Follow_then_a_third_outlets_article_arrives_by_feed_poll_and_the_chat_gets_one_update_naming_it()
    {
        var data = Path.Combine(_work, "data");
        var (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "ingest", _server.Url("/herald/rss.xml").ToString(), _server.Url("/wire/rss.xml").ToString(), "--data", data);
        Assert.True(exit == 0, err);
        (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "feeds", "add", _server.Url("/post/rss.xml").ToString(), "--data", data);
        Assert.True(exit == 0, err);

        await using var bot = await FakeBotApiServer.StartAsync();
        bot.AcceptedToken = Token;
        await using var worker = CliProcess.Start(_work, new Dictionary<string, string?>
        {
            ["Telegram__BotToken"] = Token,
            ["Telegram__BaseUrl"] = bot.BaseUrl,
            ["Storage__DataDirectory"] = data,
            ["Ingestion__PollInterval"] = "00:00:10", // the shortest allowed
            ["Follows__CheckInterval"] = "00:00:01",
        }, "run");
        try
        {
            await bot.WaitForAsync("setMyCommands", timeout: TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Assert.Fail("the worker did not start: " + worker.Stderr);
        }

        var (_, follow) = bot.SendText(Chat, Chat, "/follow ferry collision in Harbor City port");
        var followed = await bot.WaitForAsync("sendMessage", c => c.Long("chat_id") == Chat && c.ReplyTo == follow, timeout: TimeSpan.FromSeconds(60));
        Assert.Contains("Following", followed.Text);
        Assert.Contains("Harbor Herald", followed.Text);
        Assert.Contains("Metro Wire", followed.Text);

        _postHasFerry = true;
        var update = await bot.WaitForAsync("sendMessage", c => c.Long("chat_id") == Chat && c.Text.StartsWith("<b>Update:", StringComparison.Ordinal), timeout: TimeSpan.FromSeconds(90));
        Assert.Contains("New from River Post", update.Text);
        Assert.Contains("radar", update.Text); // what is new, not the lead the chat already had
        Assert.Contains("/post/ferry", update.Str("text") + update.Params.ToJsonString());

        // more polls of the same feeds: nothing more is sent
        var polled = _server.CountRequests("/post/rss.xml");
        await FakeBotApiServer.EventuallyAsync(() => _server.CountRequests("/post/rss.xml") >= polled + 2, "two more polls of the River Post feed", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2)); // the follow job runs every second: give it a turn after the last poll
        Assert.Single(bot.MessagesTo(Chat), c => c.Text.StartsWith("<b>Update:", StringComparison.Ordinal));

        worker.Terminate();
        await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(Token, worker.Stdout + worker.Stderr);
    }
}
