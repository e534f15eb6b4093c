using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.Sources;
using NewsBot.Sqlite;
using Xunit;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// Retention end to end: an outlet's RSS feed on loopback lists articles from two months ago and from today; the real
/// CLI ingests them, answers a question from an old one, then <c>prune --older-than 30d</c> takes the old ones out of
/// search and ask, the earlier answer's citations still resolve (to the tombstones: title, outlet, link), the database
/// file shrinks, and polling the feed again does not bring the pruned items back (real model, real SQLite file).
/// </summary>
public sealed class RetentionEndToEndTests : IAsyncLifetime
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-retention-").FullName;
    LoopbackServer _server = null!;

    const int OldFiller = 10;

    static readonly Dictionary<string, (string Outlet, string Title, string[] Paragraphs)> Pages = BuildPages();

    static Dictionary<string, (string Outlet, string Title, string[] Paragraphs)> BuildPages()
    {
        var pages = new Dictionary<string, (string Outlet, string Title, string[] Paragraphs)>
        {
            ["/ferry"] = ("Harbor Herald", "Ferry and cargo ship collide in Harbor City port", [
                "A passenger ferry collided with a cargo ship in the port of Harbor City on Monday morning, injuring 17 people, the coast guard said.",
                "The ferry Nordlys, carrying 240 passengers from Skarvik, struck the side of the container ship Baltic Star in fog near the north pier.",
                "Both vessels stayed afloat and the passengers were brought ashore by harbour tugs."]),
            ["/rates"] = ("Harbor Herald", "Nordic Central Bank raises rates to 3.5 percent", [
                "The Nordic Central Bank raised its main interest rate by a quarter point to 3.5 percent, citing inflation that rose to 4.2 percent in August.",
                "Governor Erik Solberg said further increases could not be ruled out if wages kept rising quickly.",
                "The krone strengthened after the decision, and banks said mortgage rates would rise from October."]),
        };
        // older reports of their own words, so that the pruned share of the file is more than a page or two
        string[] words = ["council", "harbour", "budget", "school", "river", "bridge", "station", "museum", "festival", "market", "workers",
            "union", "tram", "library", "hospital", "farmers", "weather", "storm", "election", "minister", "court", "police", "airport",
            "factory", "orchestra", "teachers", "students", "prices", "housing", "tourists", "ferry", "island", "forest", "coast", "road"];
        for (int n = 0; n < OldFiller; n++)
        {
            var rng = new Random(n);
            string Sentence() => char.ToUpperInvariant('t') + "he " + string.Join(' ', Enumerable.Range(0, 24).Select(_ => words[rng.Next(words.Length)])) + $" on day {rng.Next(1, 28)}.";
            pages[$"/old{n}"] = ("Harbor Herald", $"Local report {n}: {words[n]} and {words[n + 10]}",
                [.. Enumerable.Range(0, 5).Select(_ => string.Join(' ', Enumerable.Range(0, 4).Select(_ => Sentence())))]);
        }
        return pages;
    }

    static readonly NewsSite Site = new(Pages);

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            foreach (var path in Pages.Keys) app.MapGet(path, () => Results.Content(Site.Page(path), "text/html"));
            // two months old: the ferry story and the filler; today: the rate decision
            (string, double)[] items = [("/ferry", 24 * 60), ("/rates", 3), .. Enumerable.Range(0, OldFiller).Select(n => ($"/old{n}", 24.0 * (40 + n)))];
            app.MapGet("/rss.xml", (HttpContext c) => Results.Content(Site.Feed(LoopbackServer.Origin(c), "Harbor Herald", items), "application/rss+xml"));
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    string Data => Path.Combine(_work, "data");

    Task<(int Exit, string Out, string Err)> Run(params string[] args)
        => CliProcess.RunAsync(_work, new Dictionary<string, string?>(), [.. args, "--data", Data]);

    /// <summary>The database file's size with its write-ahead log folded in (so the log's size is not what is compared).</summary>
    long FileBytes()
    {
        var file = Path.Combine(Data, SqliteDatabase.FileName);
        using (var conn = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            cmd.ExecuteNonQuery();
        }
        return new FileInfo(file).Length;
    }

    [Fact]
    public async Task Prune_older_than_30d_removes_old_articles_from_search_and_ask_keeps_citations_resolvable_and_shrinks_the_file()
    {
        var feed = _server.Url("/rss.xml").ToString();
        var (exit, stdout, stderr) = await Run("ingest", feed, "--json");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(OldFiller + 2, JsonNode.Parse(stdout)!["summary"]!["added"]!.GetValue<int>());

        const string Question = "How many people were injured when the ferry Nordlys hit the Baltic Star?";
        (exit, stdout, stderr) = await Run("ask", Question, "--json");
        Assert.True(exit == 0, stderr);
        var citations = JsonNode.Parse(stdout)!["citations"]!.AsArray();
        var ferry = citations.First(c => c!["url"]!.GetValue<string>().EndsWith("/ferry", StringComparison.Ordinal))!;
        var ferryId = ferry["article_id"]!.GetValue<string>();
        (exit, stdout, _) = await Run("stories", "--since", "all", "--json");
        var ferryStory = JsonNode.Parse(stdout)!["stories"]!.AsArray()
            .First(s => s!["articles"]!.AsArray().Any(a => a!["article_id"]!.GetValue<string>() == ferryId))!["story_id"]!.GetValue<string>();
        var before = FileBytes();

        (exit, stdout, stderr) = await Run("prune", "--older-than", "30d", "--json");

        Assert.True(exit == 0, stderr + stdout);
        var report = JsonNode.Parse(stdout)!;
        Assert.Equal(OldFiller + 1, report["articles"]!.GetValue<int>());
        var after = FileBytes();
        Assert.True(after < before, $"the database file did not shrink: {before} -> {after} bytes");
        Assert.True(report["bytes_after"]!.GetValue<long>() < report["bytes_before"]!.GetValue<long>());

        // gone from search and ask
        (exit, stdout, stderr) = await Run("search", "ferry Nordlys Baltic Star collision", "--json");
        Assert.True(exit == 0, stderr);
        var urls = JsonNode.Parse(stdout)!["results"]!.AsArray().Select(r => r!["url"]!.GetValue<string>()).ToList();
        Assert.All(urls, u => Assert.EndsWith("/rates", u));
        (exit, stdout, stderr) = await Run("ask", Question, "--json");
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain(JsonNode.Parse(stdout)!["citations"]!.AsArray(), c => c!["article_id"]!.GetValue<string>() == ferryId);
        (exit, stdout, _) = await Run("search", "central bank interest rate krone", "--json");
        Assert.EndsWith("/rates", JsonNode.Parse(stdout)!["results"]![0]!["url"]!.GetValue<string>());

        // the earlier answer's citation still resolves: the story lists it, the registry gives its title, outlet and link
        (exit, stdout, stderr) = await Run("stories", "show", ferryStory, "--json");
        Assert.True(exit == 0, stderr);
        var shown = Assert.Single(JsonNode.Parse(stdout)!["articles"]!.AsArray())!;
        Assert.Equal(ferryId, shown["article_id"]!.GetValue<string>());
        Assert.Equal(ferry["title"]!.GetValue<string>(), shown["title"]!.GetValue<string>());
        Assert.Equal(ferry["url"]!.GetValue<string>(), shown["url"]!.GetValue<string>());
        var resolved = Assert.Single(await new SqliteArticleStore(new SqliteDatabase(Data)).GetArticlesAsync([ferryId]));
        Assert.Equal("Harbor Herald", resolved.Article.Outlet);
        Assert.Equal(ferry["url"]!.GetValue<string>(), resolved.Article.Url);
        Assert.Equal(ferry["published"]!.GetValue<string>(), NewsBot.Cli.CliOutput.IsoDate(resolved.Article.Published));
        SqliteConnection.ClearAllPools();

        // the feed still lists the pruned items: they are not ingested again
        (exit, stdout, stderr) = await Run("ingest", feed, "--json");
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal(0, JsonNode.Parse(stdout)!["summary"]!["added"]!.GetValue<int>());
        (exit, stdout, _) = await Run("sources", "--json");
        Assert.Equal(1, JsonNode.Parse(stdout)!["articles"]!.GetValue<int>());

        // without --older-than and without Storage:RetainDays there is nothing to prune by
        (exit, _, stderr) = await Run("prune");
        Assert.Equal(2, exit);
        Assert.Contains("Storage:RetainDays", stderr);
        // an invalid window is refused naming the setting
        (exit, _, stderr) = await CliProcess.RunAsync(_work, new Dictionary<string, string?> { ["Storage__RetainDays"] = "0" }, "prune", "--data", Data);
        Assert.NotEqual(0, exit);
        Assert.Contains("Storage:RetainDays", stderr);
    }
}
