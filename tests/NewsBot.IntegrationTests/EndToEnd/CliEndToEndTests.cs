using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// The command line as a user runs it: the built newsbot in a child process, the real MiniLM model,
/// a real SQLite file in a temp folder, and the seed article from ../shared when it is there.
/// </summary>
public sealed class CliEndToEndTests : IDisposable
{
    const string SeedTitle = "Ukraine, Russia talks uncertain amid deadly strikes on Kyiv";
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-e2e-").FullName;
    readonly string _data;

    public CliEndToEndTests() => _data = Path.Combine(_work, "data");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    Task<(int Exit, string Out, string Err)> Run(params string[] args) => Run(new Dictionary<string, string?>(), args);

    Task<(int Exit, string Out, string Err)> Run(Dictionary<string, string?> env, params string[] args)
        => CliProcess.RunAsync(_work, env, [.. args, "--data", _data]);

    static JsonNode Json(string stdout) => JsonNode.Parse(stdout) ?? throw new InvalidOperationException("no JSON in: " + stdout);

    /// <summary>The JSON field names are a contract (README "JSON output"): exactly these, in this order.</summary>
    static void AssertFields(JsonNode? node, string fields) =>
        Assert.Equal(fields, string.Join(" ", node!.AsObject().Select(p => p.Key)));

    long Scalar(string sql)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_data, "newsbot.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [SkippableFact]
    public async Task Seed_article_is_ingested_with_title_and_byline_without_its_footer_and_a_rerun_is_unchanged()
    {
        Skip.IfNot(File.Exists(TestPaths.SeedArticle), "../shared/seeds is not beside the repository");
        var (exit, stdout, stderr) = await Run("ingest", TestPaths.Seeds, "--json");
        Assert.True(exit == 0, stderr);
        var item = Json(stdout)["items"]![0]!;
        AssertFields(Json(stdout), "items summary");
        AssertFields(item, "input status article_id title author outlet published url chunks duplicate_of error");
        AssertFields(Json(stdout)["summary"], "added updated unchanged duplicate failed");
        Assert.Equal("added", item["status"]!.GetValue<string>());
        Assert.Equal(SeedTitle, item["title"]!.GetValue<string>());
        Assert.Equal("Stefan J. Bos", item["author"]!.GetValue<string>());
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM chunks WHERE text LIKE '%Thank you for reading%' OR text LIKE '%newsletter%' OR text LIKE '%click here%'"));
        Assert.True(Scalar("SELECT COUNT(*) FROM chunks") >= 1);

        // a second run, with a binary file and a missing path next to the seed folder
        var binary = Path.Combine(_work, "scan.txt");
        await File.WriteAllBytesAsync(binary, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 256))]);
        (exit, stdout, stderr) = await Run("ingest", TestPaths.Seeds, binary, Path.Combine(_work, "nope.txt"), "--json");
        Assert.True(exit == 0, stderr);
        var doc = Json(stdout);
        var items = doc["items"]!.AsArray();
        Assert.Equal("unchanged", items[0]!["status"]!.GetValue<string>());
        Assert.Equal("failed", items[1]!["status"]!.GetValue<string>());
        Assert.Contains("binary", items[1]!["error"]!.GetValue<string>());
        Assert.Equal("failed", items[2]!["status"]!.GetValue<string>());
        Assert.Contains("no such file", items[2]!["error"]!.GetValue<string>());
        Assert.Equal(2, doc["summary"]!["failed"]!.GetValue<int>());
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM articles"));

        // only bad inputs: nothing could be ingested, so the exit code says so
        (exit, _, _) = await Run("ingest", binary, "--json");
        Assert.Equal(1, exit);

        (exit, stdout, _) = await Run("search", "Iskander strike on Konotop", "--json");
        Assert.Equal(0, exit);
        var first = Json(stdout)["results"]![0]!;
        Assert.Equal(SeedTitle, first["title"]!.GetValue<string>());
        Assert.Contains("Konotop", first["text"]!.GetValue<string>());
        AssertFields(Json(stdout), "query results timings_ms");
        AssertFields(first, "rank score article_id title outlet published url text dense_score lexical_score position");
        AssertFields(Json(stdout)["timings_ms"], "query_embedding search");

        (exit, stdout, _) = await Run("sources", "--json");
        Assert.Equal(0, exit);
        var sources = Json(stdout);
        AssertFields(sources, "articles chunks duplicates outlets");
        Assert.Equal(1, sources["articles"]!.GetValue<long>());
        AssertFields(sources["outlets"]![0], "outlet articles newest");
    }

    [SkippableFact]
    public async Task Ask_answers_from_the_seed_with_a_citation_and_refuses_what_the_article_cannot_answer()
    {
        Skip.IfNot(File.Exists(TestPaths.SeedArticle), "../shared/seeds is not beside the repository");
        Assert.Equal(0, (await Run("ingest", TestPaths.Seeds)).Exit);
        var (exit, stdout, stderr) = await Run("ask", "How many people were killed in Kyiv?", "--json");
        Assert.True(exit == 0, stderr);
        var a = Json(stdout);
        Assert.False(a["refused"]!.GetValue<bool>());
        Assert.Equal("extractive", a["mode"]!.GetValue<string>());
        Assert.Contains("28", a["answer"]!.GetValue<string>());
        Assert.Contains("[1]", a["answer"]!.GetValue<string>());
        Assert.Equal(SeedTitle, a["citations"]![0]!["title"]!.GetValue<string>());
        AssertFields(a, "id question standalone_query answer refused mode citations closest_headlines note relevance timings_ms");
        AssertFields(a["citations"]![0], "n article_id title outlet author published url snippet");
        Assert.Contains("total", a["timings_ms"]!.AsObject().Select(p => p.Key));

        (exit, stdout, _) = await Run("ask", "Which team won the 2022 football World Cup final?", "--json");
        Assert.Equal(0, exit);
        var r = Json(stdout);
        Assert.True(r["refused"]!.GetValue<bool>());
        Assert.Empty(r["citations"]!.AsArray());
    }

    [SkippableFact]
    public async Task A_follow_up_asked_by_a_second_process_continues_the_conversation()
    {
        Skip.IfNot(File.Exists(TestPaths.SeedArticle), "../shared/seeds is not beside the repository");
        Assert.Equal(0, (await Run("ingest", TestPaths.Seeds)).Exit);
        Assert.Equal(0, (await Run("ask", "--chat", "c1", "What did Putin say about meeting Zelenskyy?")).Exit);
        var (exit, stdout, stderr) = await Run("ask", "--chat", "c1", "And what about NATO?", "--json");
        Assert.True(exit == 0, stderr);
        var a = Json(stdout);
        Assert.False(a["refused"]!.GetValue<bool>());
        var answer = a["answer"]!.GetValue<string>();
        Assert.Contains("NATO", answer);
        Assert.Contains("threat", answer);
        Assert.Contains("Putin", a["standalone_query"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stdin_mode_answers_one_json_line_per_question_in_order_echoing_ids()
    {
        var folder = ArticleFolder.Write(Path.Combine(_work, "articles"), 3, duplicates: 0);
        Assert.Equal(0, (await Run("ingest", folder)).Exit);
        await using var p = CliProcess.Start(_work, new Dictionary<string, string?>(), "ask", "--stdin", "--data", _data);
        p.WriteLine("""{"id": "q-1", "question": "What did the harbour commission decide about dredging in article 1?"}""");
        p.WriteLine("What is the weather on Mars?");
        p.WriteLine("{not json");
        p.CloseInput();
        await p.WaitForExitAsync(TimeSpan.FromMinutes(2));
        var lines = p.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("q-1", JsonNode.Parse(lines[0])!["id"]!.GetValue<string>());
        Assert.Equal(2, JsonNode.Parse(lines[1])!["id"]!.GetValue<int>());
        Assert.True(JsonNode.Parse(lines[1])!["refused"]!.GetValue<bool>());
        Assert.Contains("invalid JSON", JsonNode.Parse(lines[2])!["error"]!.GetValue<string>());
        AssertFields(JsonNode.Parse(lines[2]), "id error");
    }

    [Fact]
    public async Task Kill_9_half_way_through_a_folder_then_a_rerun_ends_with_the_counts_of_an_uninterrupted_run()
    {
        // several passages an article, so the articles are written in several batches over seconds, not in two
        // commits a moment apart (between which the poll below could miss its chance to kill)
        var folder = ArticleFolder.Write(Path.Combine(_work, "articles"), 48, duplicates: 4, paragraphs: 12);
        var clean = Path.Combine(_work, "clean");
        var (exit, _, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "ingest", folder, "--data", clean);
        Assert.True(exit == 0, err);

        await using (var p = CliProcess.Start(_work, new Dictionary<string, string?>(), "ingest", folder, "--data", _data))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (DateTime.UtcNow < deadline && !p.HasExited)
            {
                if (File.Exists(Path.Combine(_data, "newsbot.db")) && SafeCount("SELECT COUNT(*) FROM articles") >= 8) break;
                await Task.Delay(20);
            }
            Assert.False(p.HasExited, "ingestion finished before it could be killed; the folder is too small");
            p.KillHard();
            await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        var partial = SafeCount("SELECT COUNT(*) FROM articles");
        Assert.InRange(partial, 8, 47);
        // no half article: every article row has all of its chunks
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM articles a WHERE a.chunk_count <> (SELECT COUNT(*) FROM chunks c WHERE c.article_id = a.id)"));

        (exit, _, err) = await Run("ingest", folder);
        Assert.True(exit == 0, err);
        var cleanCounts = await Counts(clean);
        var resumed = await Counts(_data);
        Assert.Equal(cleanCounts, resumed);
        Assert.Equal(44, cleanCounts.Articles);
        Assert.Equal(4, cleanCounts.Duplicates);

        long SafeCount(string sql)
        {
            try { return Scalar(sql); } catch (SqliteException) { return 0; }
        }
    }

    async Task<(long Articles, long Chunks, long Duplicates)> Counts(string data)
    {
        var (exit, stdout, err) = await CliProcess.RunAsync(_work, new Dictionary<string, string?>(), "sources", "--json", "--data", data);
        Assert.True(exit == 0, err);
        var j = Json(stdout);
        return (j["articles"]!.GetValue<long>(), j["chunks"]!.GetValue<long>(), j["duplicates"]!.GetValue<long>());
    }

    [Fact]
    public async Task Status_reports_what_the_store_holds_and_which_models_answer()
    {
        // an empty store first: zero counts and "never", not an error
        var (exit, stdout, stderr) = await Run("status", "--json");
        Assert.True(exit == 0, stderr);
        var empty = Json(stdout);
        Assert.Equal(0, empty["articles"]!.GetValue<long>());
        Assert.Null(empty["last_ingested"]);

        (exit, _, stderr) = await Run("ingest", Path.Combine(TestPaths.RepoRoot, "samples"), "--json");
        Assert.True(exit == 0, stderr);
        var samples = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "samples")).Length;

        (exit, stdout, stderr) = await Run("status", "--json");
        Assert.True(exit == 0, stderr);
        var s = Json(stdout);
        Assert.Equal(samples, s["articles"]!.GetValue<long>());
        Assert.Equal(Scalar("SELECT COUNT(*) FROM chunks"), s["chunks"]!.GetValue<long>());
        Assert.NotNull(s["last_ingested"]);
        Assert.Equal("extractive", s["answer_mode"]!.GetValue<string>());
        Assert.Contains("MiniLM", s["embedding_model"]!.GetValue<string>());
        Assert.Equal(0, s["feeds"]!.GetValue<int>());
        Assert.True(s["store_bytes"]!.GetValue<long>() > 0);

        (exit, stdout, _) = await Run("status");
        Assert.Equal(0, exit);
        Assert.StartsWith($"{samples} articles, ", stdout);
    }

    [Fact]
    public async Task An_unreachable_qdrant_is_one_clear_message_naming_qdrant_and_the_endpoint()
    {
        var (exit, stdout, stderr) = await Run(new Dictionary<string, string?>
        {
            ["Index__Provider"] = "Qdrant",
            ["Qdrant__Endpoint"] = "http://127.0.0.1:1",
            ["Qdrant__MaxRetries"] = "1",
        }, "search", "x");
        Assert.NotEqual(0, exit);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains("Qdrant", line);
        Assert.Contains("http://127.0.0.1:1", line);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("Index__RrfK", "0", "Index:RrfK")]
    [InlineData("Ingestion__MaxDocumentBytes", "ten megabytes", "Ingestion:MaxDocumentBytes")]
    [InlineData("Embeddings__Model", "GPT-9", "Embeddings:Model")]
    [InlineData("Llm__Provider", "OpenAI", "Llm:Model")]
    [InlineData("Answering__TimeZone", "Mars/Olympus", "Answering:TimeZone")]
    public async Task Invalid_configuration_stops_with_exit_code_2_and_names_the_setting(string variable, string value, string key)
    {
        var (exit, _, stderr) = await Run(new Dictionary<string, string?> { [variable] = value }, "sources");
        Assert.Equal(2, exit);
        Assert.Contains(key, stderr);
        Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
    }
}

/// <summary>Writes a folder of small, distinct news-like articles (and exact duplicates of some) for ingestion tests.</summary>
public static class ArticleFolder
{
    static readonly string[] Subjects = ["harbour commission", "city council", "school board", "water utility", "transit agency", "hospital trust", "port authority", "energy regulator"];
    static readonly string[] Verbs = ["approved", "rejected", "postponed", "debated", "funded", "cancelled", "reviewed", "announced"];
    static readonly string[] Objects = ["dredging of the north channel", "a new bus depot", "solar panels on schools", "a ban on night flights", "rent controls", "a bridge repair plan", "flood barriers", "a cycling network"];

    public static string Write(string folder, int articles, int duplicates, int paragraphs = 4)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(20261127);
        for (int i = 1; i <= articles - duplicates; i++)
        {
            var subject = Subjects[i % Subjects.Length];
            var lines = new List<string> { $"The {subject} {Verbs[i % Verbs.Length]} {Objects[(i * 3) % Objects.Length]} in article {i}", $"By Reporter {i}", "" };
            for (int p = 0; p < paragraphs; p++)
            {
                var words = Enumerable.Range(0, 40).Select(_ => Vocabulary[rng.Next(Vocabulary.Length)]);
                lines.Add($"In article {i} paragraph {p}, the {subject} {Verbs[(i + p) % Verbs.Length]} {Objects[(i + p) % Objects.Length]}: {string.Join(' ', words)}.");
                lines.Add("");
            }
            File.WriteAllLines(Path.Combine(folder, $"article-{i:D3}.txt"), lines);
        }
        for (int d = 1; d <= duplicates; d++)
            File.Copy(Path.Combine(folder, $"article-{d:D3}.txt"), Path.Combine(folder, $"zz-copy-of-{d:D3}.txt"));
        return folder;
    }

    static readonly string[] Vocabulary = "budget residents officials vote plan delay cost million report mayor council river road school park tax hospital storm repair contract tender union strike protest court ruling appeal minister agency station line service fares drivers workers safety inspection noise traffic harbour ships cargo jobs".Split(' ');
}
