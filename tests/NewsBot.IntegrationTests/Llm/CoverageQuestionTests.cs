using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Cli;
using NewsBot.Core.Ports;
using NewsBot.Core.Stories;
using NewsBot.IntegrationTests.EndToEnd;
using NewsBot.UnitTests.Fakes;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace NewsBot.IntegrationTests.Llm;

/// <summary>
/// Coverage questions end to end: real articles ingested by the CLI into a real SQLite store, the real <c>ask</c> verb
/// in-process, stories from the <see cref="LabelledStoryStore"/> test double (grouping the files by name: "tarnow-*"),
/// and for the comparison the language-model path against an OpenAI-compatible server scripted by the test (WireMock).
/// </summary>
public sealed class CoverageQuestionTests : IAsyncLifetime
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-coverage-").FullName;
    readonly WireMockServer _server = WireMockServer.Start();

    static readonly string[] AnswerKeys = ["id", "question", "standalone_query", "answer", "refused", "mode", "citations", "closest_headlines", "note", "relevance", "timings_ms"];

    public async Task InitializeAsync()
    {
        var articles = Path.Combine(_work, "articles");
        Directory.CreateDirectory(articles);
        await File.WriteAllTextAsync(Path.Combine(articles, "tarnow-wire.txt"), """
            Blaze guts Tarnow warehouse, about 20 hurt
            source: Valley Wire
            date: 2026-11-25T10:00:00Z

            About 20 people were injured when fire swept through a furniture warehouse in Tarnow on Monday night.

            The owner put the cost of the repairs at 6 million euros.

            The mayor ordered nearby schools closed while smoke hung over the eastern district.
            """);
        await File.WriteAllTextAsync(Path.Combine(articles, "tarnow-ledger.txt"), """
            Warehouse fire in Tarnow injures twelve
            source: Northern Ledger
            date: 2026-11-25T07:30:00Z

            Twelve people were injured in the Tarnow warehouse fire, police said on Tuesday morning.

            Repairs to the depot will cost 4 million euros, according to the company.

            Investigators believe the fire started in a paint store beside the loading bay.
            """);
        await File.WriteAllTextAsync(Path.Combine(articles, "tarnow-crier.txt"), """
            Tarnow fire: residents told to keep windows shut
            source: Town Crier
            date: 2026-11-26T09:00:00Z

            Residents of Tarnow were told to keep their windows shut after the warehouse fire on Monday.

            Twelve people were injured in the fire, the regional hospital confirmed.

            A volunteer brigade from Debica helped the city's firefighters through the night.
            """);
        await File.WriteAllTextAsync(Path.Combine(articles, "lodz-post.txt"), """
            Fire at Lodz textile warehouse
            source: Daily Post
            date: 2026-11-20T08:00:00Z

            A fire damaged a textile warehouse in Lodz on Thursday, injuring three workers.

            Firefighters needed four hours to bring the blaze under control.
            """);
        var (exit, _, err) = await Cli([], "ingest", articles);
        Assert.True(exit == 0, err);
    }

    public Task DisposeAsync()
    {
        _server.Stop();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    Dictionary<string, string?> LlmConfig() => new()
    {
        ["Llm:Provider"] = "OpenAI",
        ["Llm:Endpoint"] = _server.Urls[0] + "/v1",
        ["Llm:Model"] = "test-model",
        ["Llm:ApiKey"] = "test-key",
        ["Llm:MaxRetries"] = "0",
        ["Llm:PromptsDirectory"] = Path.Combine(TestPaths.RepoRoot, "prompts"),
    };

    async Task<(int Exit, string Out, string Err)> Cli(Dictionary<string, string?> config, params string[] args)
    {
        config["Storage:DataDirectory"] = Path.Combine(_work, "data");
        config["Embeddings:CacheDirectory"] = TestPaths.ModelCache;
        config["Ingestion:SampleDirectory"] = "";
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var cli = new NewsBotCli(stdout, stderr, _work, config)
        {
            // TEST DOUBLE: stories by file name, in place of the real story store
            ConfigureServices = s => s.AddSingleton<IStoryStore>(sp => new LabelledStoryStore(sp.GetRequiredService<IArticleStore>())),
        };
        var exit = await cli.RunAsync(args);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    async Task<JsonObject> Ask(Dictionary<string, string?> config, string question, string? chat = null)
    {
        string[] args = chat is null ? ["ask", question, "--json"] : ["ask", question, "--chat", chat, "--json"];
        var (exit, stdout, stderr) = await Cli(config, args);
        Assert.True(exit == 0, stderr);
        return JsonNode.Parse(stdout)!.AsObject();
    }

    static string Completion(string content) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-test",
        @object = "chat.completion",
        created = 1764000000,
        model = "test-model",
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
        usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
    });

    void Reply(string content) => _server
        .Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
        .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Completion(content)));

    static string Outlet(JsonObject a, int n) => a["citations"]!.AsArray().Single(c => c!["n"]!.GetValue<int>() == n)!["outlet"]!.GetValue<string>();

    [Fact]
    public async Task Ask_json_lists_every_outlet_of_the_story_cited_and_adds_only_the_optional_story_field()
    {
        var a = await Ask([], "Which outlets reported the warehouse fire in Tarnow?");
        Assert.Equal([.. AnswerKeys, "story"], a.Select(kv => kv.Key));
        Assert.False(a["refused"]!.GetValue<bool>());
        Assert.Equal("extractive", a["mode"]!.GetValue<string>());
        var citations = a["citations"]!.AsArray();
        Assert.Equal(["Northern Ledger", "Town Crier", "Valley Wire"], citations.Select(c => c!["outlet"]!.GetValue<string>()).Order());
        var answer = a["answer"]!.GetValue<string>();
        foreach (var c in citations)
            Assert.Contains($"- {c!["outlet"]}: “{c["title"]}” (", answer);
        Assert.DoesNotContain("Lodz", answer);
        var story = a["story"]!;
        Assert.Equal("outlets", story["kind"]!.GetValue<string>());
        Assert.Equal(["Northern Ledger", "Valley Wire", "Town Crier"], story["outlets"]!.AsArray().Select(o => o!.GetValue<string>()));

        // any other answer keeps exactly the documented shape
        var plain = await Ask([], "How many workers were injured in the Lodz textile warehouse fire?");
        Assert.Equal(AnswerKeys, plain.Select(kv => kv.Key));
    }

    [Fact]
    public async Task Who_had_it_first_works_as_a_follow_up_in_a_cli_conversation_and_prints_its_sources()
    {
        var first = await Ask([], "What started the warehouse fire in Tarnow?", chat: "c1");
        Assert.False(first["refused"]!.GetValue<bool>(), first.ToJsonString());
        var who = await Ask([], "and who had it first?", chat: "c1");
        Assert.StartsWith("Northern Ledger reported it first, on 25 November 2026 at 07:30 [1]", who["answer"]!.GetValue<string>());
        Assert.Equal("Northern Ledger", Outlet(who, 1));
        Assert.Equal("first", who["story"]!["kind"]!.GetValue<string>());

        var (exit, text, err) = await Cli([], "ask", "When did Town Crier first report it?", "--chat", "c1");
        Assert.True(exit == 0, err);
        Assert.StartsWith("Town Crier first reported it on 26 November 2026 at 09:00 [1]", text);
        Assert.Contains("Sources:\n[1] Tarnow fire: residents told to keep windows shut — Town Crier, 26 Nov 2026", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public async Task With_a_model_the_digest_summary_comes_from_the_Digest_prompt_and_keeps_only_valid_citations()
    {
        _server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody(new WildcardMatcher("*daily news digest*")))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(Completion("A Tarnow warehouse fire injured twelve people by one count [1] and about 20 by another [2]. The mayor resigned [9].")));
        var (exit, stdout, stderr) = await Cli(LlmConfig(), "digest", "--since", "3650d", "--top", "1", "--json");
        Assert.True(exit == 0, stderr);
        var story = JsonNode.Parse(stdout)!["stories"]!.AsArray().Single()!;
        // sources go to the model in time order: Northern Ledger (07:30) is [1], Valley Wire (10:00) is [2]
        Assert.Equal("A Tarnow warehouse fire injured twelve people by one count [1] and about 20 by another [2]. The mayor resigned.", story["summary"]!.GetValue<string>());
        Assert.Equal("Northern Ledger", story["articles"]![0]!["outlet"]!.GetValue<string>());
        Assert.Equal("Valley Wire", story["articles"]![1]!["outlet"]!.GetValue<string>());
        var user = JsonNode.Parse(_server.LogEntries.Single().RequestMessage.Body!)!["messages"]!.AsArray()[^1]!["content"]!.ToString();
        Assert.Contains("[1] Warehouse fire in Tarnow injures twelve (Northern Ledger, 2026-11-25)", user);
        Assert.Contains("> Twelve people were injured", user);
        Assert.DoesNotContain("Lodz", user);
    }

    [Fact]
    public async Task With_a_model_the_comparison_uses_the_CompareCoverage_prompt_grouped_by_outlet_and_each_side_keeps_its_own_citation()
    {
        _server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody(new WildcardMatcher("*## Outlet:*")))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody(Completion("Northern Ledger counts twelve injured [1], Valley Wire about 20 [2]. Only Northern Ledger names a paint store as the cause [1]. The mayor resigned [7].")));
        var a = await Ask(LlmConfig(), "How do the accounts of the Tarnow warehouse fire differ?");
        Assert.Equal("llm", a["mode"]!.GetValue<string>());
        Assert.Equal("Northern Ledger counts twelve injured [1], Valley Wire about 20 [2]. Only Northern Ledger names a paint store as the cause [1]. The mayor resigned.",
            a["answer"]!.GetValue<string>());
        Assert.Equal(2, a["citations"]!.AsArray().Count);
        Assert.Equal("Northern Ledger", Outlet(a, 1));
        Assert.Equal("Valley Wire", Outlet(a, 2));
        Assert.Equal("differences", a["story"]!["kind"]!.GetValue<string>());

        // the prompt: the story's articles (and no other), under their outlets, numbered in order of coverage
        var body = JsonNode.Parse(_server.LogEntries.Single().RequestMessage.Body!)!;
        var messages = body["messages"]!.AsArray();
        Assert.Contains("compare their accounts", messages[0]!["content"]!.ToString());
        var user = messages[^1]!["content"]!.ToString();
        Assert.Contains("## Outlet: Northern Ledger\n\n[1] Warehouse fire in Tarnow injures twelve (Northern Ledger, 2026-11-25)", user.Replace("\r\n", "\n"));
        Assert.Contains("## Outlet: Valley Wire\n\n[2] Blaze guts Tarnow warehouse", user.Replace("\r\n", "\n"));
        Assert.Contains("## Outlet: Town Crier", user);
        Assert.Contains("> About 20 people were injured", user);
        Assert.DoesNotContain("Lodz", user);
    }

    [Fact]
    public async Task With_a_model_lists_and_dates_come_from_the_story_and_an_uncited_comparison_falls_back_to_the_articles_sentences()
    {
        Reply("The outlets broadly agree on what happened.");
        var list = await Ask(LlmConfig(), "Which sites covered the Tarnow warehouse fire?");
        Assert.Equal(3, list["citations"]!.AsArray().Count);
        Assert.Empty(_server.LogEntries); // the outlets list is the story's record, not the model's

        var a = await Ask(LlmConfig(), "Where do the outlets disagree about the Tarnow warehouse fire?");
        Assert.Equal("extractive", a["mode"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(a["note"]?.GetValue<string>()));
        var answer = a["answer"]!.GetValue<string>();
        Assert.Contains("Figures that differ", answer);
        int At(string text) => int.Parse(System.Text.RegularExpressions.Regex.Match(answer[(answer.IndexOf(text, StringComparison.Ordinal) + text.Length)..], @"\[(\d+)\]").Groups[1].Value);
        Assert.Equal("Valley Wire", Outlet(a, At("About 20 people were injured")));
        Assert.Equal("Northern Ledger", Outlet(a, At("Twelve people were injured in the Tarnow warehouse fire")));
    }
}
