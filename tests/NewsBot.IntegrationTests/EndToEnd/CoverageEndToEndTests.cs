using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using NewsBot.IntegrationTests.Sources;
using Xunit;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// Coverage questions over the real story store: three outlets' RSS feeds served on loopback, each covering one
/// landslide (with different figures) plus one unrelated item; the real CLI ingests them (real model, real
/// clusterer, real SQLite file), then answers "which outlets", "who first" and "how do they differ" in one chat.
/// </summary>
public sealed partial class CoverageEndToEndTests : IAsyncLifetime
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-coverage-e2e-").FullName;
    LoopbackServer _server = null!;

    static readonly Dictionary<string, (string Outlet, string Title, string[] Paragraphs)> Pages = new()
    {
        ["/courier/landslide"] = ("Alpine Courier", "Landslide buries road over Vellmar pass", [
            "A landslide buried the road over the Vellmar pass on Tuesday night, and 40 people were evacuated from the village of Oberau, the district office said.",
            "Engineers put the cost of clearing and repairing the road at 2 million euros.",
            "The pass will stay closed to traffic for at least a week."]),
        ["/courier/skiing"] = ("Alpine Courier", "Hohberg ski lifts open two weeks early after heavy snowfall", [
            "The ski lifts at Hohberg opened on Saturday, two weeks earlier than planned, after half a metre of fresh snow.",
            "The resort expects a record season and has hired 35 more instructors."]),
        ["/post/landslide"] = ("Valley Post", "Oberau evacuated as landslide shuts Vellmar pass", [
            "About 60 people were evacuated from Oberau after a landslide swept across the Vellmar pass road late on Tuesday.",
            "The regional government estimated the cost of the repairs at 3 million euros.",
            "Mountain rescue teams searched the debris with dogs through the night but found nobody trapped."]),
        ["/post/hospital"] = ("Valley Post", "Lindenfeld hospital opens new maternity wing", [
            "Lindenfeld's district hospital opened a maternity wing with 24 beds on Monday, ending a two-year building project.",
            "Midwives had campaigned for the expansion since the clinic in Rastal closed."]),
        ["/wire/landslide"] = ("Mountain Wire", "Vellmar pass road closed by landslide, Oberau residents leave homes", [
            "The Vellmar pass road was closed after a landslide on Tuesday night forced residents of Oberau to leave their homes, local officials said.",
            "Geologists blamed days of heavy rain for loosening the slope above the road.",
            "Buses will take a detour through the Sander valley while the road is cleared."]),
        ["/wire/rail"] = ("Mountain Wire", "Regional rail fares to rise in January", [
            "Fares on the regional rail network will rise by 4 percent in January, the transport authority announced on Wednesday.",
            "Season tickets for students stay at their current price."]),
    };

    static readonly NewsSite Site = new(Pages);

    static readonly string[] LandslidePaths = ["/courier/landslide", "/post/landslide", "/wire/landslide"];

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(app =>
        {
            foreach (var path in Pages.Keys) app.MapGet(path, () => Results.Content(Site.Page(path), "text/html"));
            app.MapGet("/courier/rss.xml", (HttpContext c) => Results.Content(Site.Feed(LoopbackServer.Origin(c), "Alpine Courier", ("/courier/landslide", 9), ("/courier/skiing", 20)), "application/rss+xml"));
            app.MapGet("/post/rss.xml", (HttpContext c) => Results.Content(Site.Feed(LoopbackServer.Origin(c), "Valley Post", ("/post/landslide", 6), ("/post/hospital", 15)), "application/rss+xml"));
            app.MapGet("/wire/rss.xml", (HttpContext c) => Results.Content(Site.Feed(LoopbackServer.Origin(c), "Mountain Wire", ("/wire/landslide", 3), ("/wire/rail", 12)), "application/rss+xml"));
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

    async Task<JsonObject> Ask(string question)
    {
        var (exit, stdout, stderr) = await Run("ask", question, "--chat", "landslide", "--json");
        Assert.True(exit == 0, stderr + stdout);
        return JsonNode.Parse(stdout)!.AsObject();
    }

    /// <summary>Citation number → (article id, outlet).</summary>
    static Dictionary<int, (string Id, string Outlet)> Citations(JsonObject answer)
        => answer["citations"]!.AsArray().ToDictionary(c => c!["n"]!.GetValue<int>(), c => (c!["article_id"]!.GetValue<string>(), c["outlet"]!.GetValue<string>()));

    [Fact]
    public async Task Coverage_answers_over_the_real_story_store_name_and_cite_every_outlet_of_the_event_and_nothing_else()
    {
        var (exit, stdout, stderr) = await Run("ingest", _server.Url("/courier/rss.xml").ToString(), _server.Url("/post/rss.xml").ToString(), _server.Url("/wire/rss.xml").ToString(), "--json");
        Assert.True(exit == 0, stderr + stdout);
        var ingested = JsonNode.Parse(stdout)!["items"]!.AsArray();
        Assert.Equal(6, ingested.Count(i => i!["status"]!.GetValue<string>() == "added"));
        string IdOf(string path) => ingested.First(i => i!["url"]!.GetValue<string>().EndsWith(path, StringComparison.Ordinal))!["article_id"]!.GetValue<string>();
        var landslide = LandslidePaths.ToDictionary(IdOf, p => Pages[p].Outlet);

        // which outlets: all three, each cited with its own article, and no article of another story
        var outlets = await Ask("Which outlets reported the landslide on the Vellmar pass?");
        Assert.False(outlets["refused"]!.GetValue<bool>(), outlets.ToJsonString());
        Assert.Equal("outlets", outlets["story"]!["kind"]!.GetValue<string>());
        var cited = Citations(outlets);
        Assert.Equal(landslide.Keys.Order(), cited.Values.Select(c => c.Id).Order());
        Assert.All(cited.Values, c => Assert.Equal(landslide[c.Id], c.Outlet));
        var text = outlets["answer"]!.GetValue<string>();
        foreach (var (n, (_, outlet)) in cited) Assert.Matches($@"- {outlet}: “[^”]+” \([^)]*\) \[{n}\]", text);
        Assert.DoesNotContain("Hohberg", text);
        Assert.DoesNotContain("Lindenfeld", text);

        // who first: the Alpine Courier, nine hours ago, cited as [1]
        var first = await Ask("Who reported it first?");
        Assert.Equal("first", first["story"]!["kind"]!.GetValue<string>());
        Assert.StartsWith("Alpine Courier reported it first", first["answer"]!.GetValue<string>());
        cited = Citations(first);
        Assert.Equal((IdOf("/courier/landslide"), "Alpine Courier"), cited[1]);
        Assert.All(cited.Values, c => Assert.Contains(c.Id, landslide.Keys));
        Assert.Matches(@"reported it first, [^\[]+\[1\]", first["answer"]!.GetValue<string>());

        // how they differ: each side of a differing figure cited to its own outlet's article
        var differ = await Ask("How do their accounts differ?");
        Assert.Equal("differences", differ["story"]!["kind"]!.GetValue<string>());
        var answer = differ["answer"]!.GetValue<string>();
        cited = Citations(differ);
        Assert.All(cited.Values, c => Assert.Contains(c.Id, landslide.Keys));
        Assert.Contains("Figures that differ", answer);
        var sides = Side().Matches(answer).Select(m => (Outlet: m.Groups["outlet"].Value, Value: m.Groups["value"].Value, N: int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.NotEmpty(sides);
        Assert.All(sides, s => Assert.Equal(s.Outlet, cited[s.N].Outlet));
        // the evacuation count and the cost, each outlet with its own number
        Assert.Contains(sides, s => s.Outlet == "Alpine Courier" && s.Value.Contains("40", StringComparison.Ordinal));
        Assert.Contains(sides, s => s.Outlet == "Valley Post" && s.Value.Contains("60", StringComparison.Ordinal));
        Assert.Contains(sides, s => s.Outlet == "Alpine Courier" && s.Value.Contains('2'));
        Assert.Contains(sides, s => s.Outlet == "Valley Post" && s.Value.Contains('3'));
    }

    /// <summary>One side of a differing figure: "Outlet says VALUE: “sentence” [n]".</summary>
    [GeneratedRegex(@"(?<outlet>Alpine Courier|Valley Post|Mountain Wire) says (?<value>[^:]+): “[^”]*” \[(?<n>\d+)\]")]
    private static partial Regex Side();
}
