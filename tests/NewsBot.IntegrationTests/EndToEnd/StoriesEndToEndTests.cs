using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.Sources;
using Xunit;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// Stories end to end: two outlets' RSS feeds served on loopback, both covering one event plus one unrelated
/// item each; the real CLI ingests both and lists the stories (real model, real SQLite file).
/// </summary>
public sealed class StoriesEndToEndTests : IAsyncLifetime
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-stories-").FullName;
    LoopbackServer _server = null!;

    static readonly Dictionary<string, (string Outlet, string Title, string[] Paragraphs)> Pages = new()
    {
        ["/herald/ferry"] = ("Harbor Herald", "Ferry and cargo ship collide in Harbor City port", [
            "A passenger ferry collided with a cargo ship in the port of Harbor City on Monday morning, injuring 17 people, the coast guard said.",
            "The ferry Nordlys, carrying 240 passengers from Skarvik, struck the side of the container ship Baltic Star in fog near the north pier.",
            "Both vessels stayed afloat and the passengers were brought ashore by harbour tugs."]),
        ["/herald/marathon"] = ("Harbor Herald", "Kiprop wins Harbor City marathon in course record", [
            "Kenya's Daniel Kiprop won the Harbor City marathon on Sunday in 2:06:41, breaking the course record by almost a minute.",
            "About 14,000 runners started at the harbour front. Ethiopia's Tigist Alemu won the women's race in 2:21:09.",
            "Organisers said warm weather sent 60 runners to the medical tents."]),
        ["/wire/ferry"] = ("Metro Wire", "17 hurt as ferry Nordlys hits container ship in fog", [
            "Seventeen people were injured when the ferry Nordlys hit the container ship Baltic Star in thick fog at the entrance to Harbor City port.",
            "The maritime accident board opened an investigation into the collision, and the ferry operator suspended the Skarvik route for two days.",
            "Port traffic resumed in the afternoon, the coast guard said."]),
        ["/wire/rates"] = ("Metro Wire", "Nordic Central Bank raises rates to 3.5 percent", [
            "The Nordic Central Bank raised its main interest rate by a quarter point to 3.5 percent, citing inflation that rose to 4.2 percent in August.",
            "Governor Erik Solberg said further increases could not be ruled out if wages kept rising quickly.",
            "The krone strengthened after the decision, and banks said mortgage rates would rise from October."]),
    };

    static readonly NewsSite Site = new(Pages, pageFurniture: true);

    static string Page(string path) => Site.Page(path);

    static string Feed(string origin, string outlet, params (string Path, double HoursAgo)[] items) => Site.Feed(origin, outlet, items);

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            foreach (var path in Pages.Keys) app.MapGet(path, () => Results.Content(Page(path), "text/html"));
            app.MapGet("/herald/rss.xml", (HttpContext c) => Results.Content(Feed(LoopbackServer.Origin(c), "Harbor Herald", ("/herald/ferry", 5), ("/herald/marathon", 20)), "application/rss+xml"));
            app.MapGet("/wire/rss.xml", (HttpContext c) => Results.Content(Feed(LoopbackServer.Origin(c), "Metro Wire", ("/wire/ferry", 4), ("/wire/rates", 10)), "application/rss+xml"));
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    Task<(int Exit, string Out, string Err)> Run(params string[] args)
        => CliProcess.RunAsync(_work, new Dictionary<string, string?>(), [.. args, "--data", Path.Combine(_work, "data")]);

    [Fact]
    public async Task The_digest_of_two_outlets_feeds_leads_with_the_shared_event_citing_both_and_no_page_furniture()
    {
        var (exit, stdout, stderr) = await Run("ingest", _server.Url("/herald/rss.xml").ToString(), _server.Url("/wire/rss.xml").ToString());
        Assert.True(exit == 0, stderr + stdout);

        (exit, stdout, stderr) = await Run("digest", "--since", "48h", "--json");
        Assert.True(exit == 0, stderr);
        var stories = JsonNode.Parse(stdout)!["stories"]!.AsArray();
        Assert.Equal(3, stories.Count);
        var first = stories[0]!;
        Assert.Equal(["Harbor Herald", "Metro Wire"], first["outlets"]!.AsArray().Select(o => o!.GetValue<string>()).Order());
        Assert.Equal(2, first["articles"]!.AsArray().Count);
        var summary = first["summary"]!.GetValue<string>();
        Assert.Contains("[1]", summary);
        Assert.Contains("[2]", summary);
        foreach (var field in new[] { "article_id", "title", "outlet", "published", "url" }) Assert.NotNull(first["articles"]![0]![field]);
        Assert.DoesNotContain("cookie", stdout, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("subscribe", stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Two_outlets_feeds_on_one_event_make_one_story_listed_first_and_the_others_stand_alone()
    {
        var (exit, stdout, stderr) = await Run("ingest", _server.Url("/herald/rss.xml").ToString(), _server.Url("/wire/rss.xml").ToString(), "--json");
        Assert.True(exit == 0, stderr + stdout);
        var ingested = JsonNode.Parse(stdout)!["items"]!.AsArray();
        Assert.Equal(4, ingested.Count(i => i!["status"]!.GetValue<string>() == "added"));
        string IdOf(string path) => ingested.First(i => i!["url"]!.GetValue<string>().EndsWith(path, StringComparison.Ordinal))!["article_id"]!.GetValue<string>();

        (exit, stdout, stderr) = await Run("stories", "--since", "48h", "--json");
        Assert.True(exit == 0, stderr);
        var doc = JsonNode.Parse(stdout)!;
        Assert.NotNull(doc["since"]);
        Assert.NotNull(doc["until"]);
        var stories = doc["stories"]!.AsArray();
        Assert.Equal(3, stories.Count);
        var first = stories[0]!;
        Assert.Equal(["Harbor Herald", "Metro Wire"], first["outlets"]!.AsArray().Select(o => o!.GetValue<string>()).Order());
        Assert.Equal(new[] { IdOf("/herald/ferry"), IdOf("/wire/ferry") }.Order(), first["articles"]!.AsArray().Select(a => a!["article_id"]!.GetValue<string>()).Order());
        // in time order: the wire's report came an hour later
        Assert.Equal(IdOf("/herald/ferry"), first["articles"]![0]!["article_id"]!.GetValue<string>());
        foreach (var field in new[] { "story_id", "title", "first_seen", "last_seen" }) Assert.NotNull(first[field]);
        foreach (var field in new[] { "title", "outlet", "published", "url" }) Assert.NotNull(first["articles"]![0]![field]);
        Assert.All(stories.Skip(1), s => Assert.Single(s!["articles"]!.AsArray()));

        // one story by id; --top; the window; all
        var storyId = first["story_id"]!.GetValue<string>();
        (exit, stdout, stderr) = await Run("stories", "show", storyId, "--json");
        Assert.True(exit == 0, stderr);
        Assert.Equal(2, JsonNode.Parse(stdout)!["articles"]!.AsArray().Count);
        (exit, stdout, _) = await Run("stories", "--since", "48h", "--top", "1", "--json");
        Assert.Equal(storyId, Assert.Single(JsonNode.Parse(stdout)!["stories"]!.AsArray())!["story_id"]!.GetValue<string>());
        (exit, stdout, _) = await Run("stories", "--since", "7h", "--json");
        Assert.Equal(storyId, Assert.Single(JsonNode.Parse(stdout)!["stories"]!.AsArray())!["story_id"]!.GetValue<string>());
        (exit, stdout, _) = await Run("stories", "--since", "all", "--json");
        Assert.Null(JsonNode.Parse(stdout)!["since"]);
        Assert.Equal(3, JsonNode.Parse(stdout)!["stories"]!.AsArray().Count);

        // human output, errors
        (exit, stdout, _) = await Run("stories");
        Assert.Equal(0, exit);
        Assert.Contains("3 stories", stdout);
        Assert.Contains("Harbor Herald, Metro Wire", stdout);
        (exit, _, stderr) = await Run("stories", "show", "s000000000000");
        Assert.Equal(1, exit);
        Assert.Contains("No story", stderr);
        (exit, _, stderr) = await Run("stories", "--since", "yesterday-ish");
        Assert.Equal(2, exit);
        Assert.Contains("--since", stderr);

        // rebuild gives the same stories
        (exit, stdout, stderr) = await Run("stories", "rebuild", "--json");
        Assert.True(exit == 0, stderr);
        Assert.Equal(3, JsonNode.Parse(stdout)!["stories"]!.GetValue<int>());
        (exit, stdout, _) = await Run("stories", "--since", "48h", "--json");
        Assert.Equal(storyId, JsonNode.Parse(stdout)!["stories"]![0]!["story_id"]!.GetValue<string>());

        // the same in chat: one JSON document a line with --json
        var chatOut = new StringWriter();
        var chatErr = new StringWriter();
        var cli = new NewsBot.Cli.NewsBotCli(chatOut, chatErr, _work,
            new Dictionary<string, string?> { ["Ingestion:SampleDirectory"] = "", ["Embeddings:CacheDirectory"] = TestPaths.ModelCache },
            new StringReader($"/stories --top 2\n/stories show {storyId}\n/stories --bogus\n/exit\n"));
        Assert.Equal(0, await cli.RunAsync(["chat", "--json", "--data", Path.Combine(_work, "data")]));
        var lines = chatOut.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(2, JsonNode.Parse(lines[0])!["stories"]!.AsArray().Count);
        Assert.Equal(storyId, JsonNode.Parse(lines[1])!["story_id"]!.GetValue<string>());
        Assert.Contains("Usage: /stories", chatErr.ToString());
    }
}
