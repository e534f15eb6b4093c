using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using NewsBot.Cli;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// How the command line fails: bad input lines in `ask --stdin`, mistyped arguments, broken configuration and
/// unexpected errors. Run in-process (stdin from a reader) so each case is quick; every case is one clear message and
/// the documented exit code, never a stack trace.
/// </summary>
public sealed class CliErrorTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-clierr-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    async Task<(int Exit, string Out, string Err)> CliWith(Dictionary<string, string?> config, string? stdin, params string[] args)
    {
        config.TryAdd("Storage:DataDirectory", Path.Combine(_work, "data"));
        config["Embeddings:CacheDirectory"] = TestPaths.ModelCache;
        config["Ingestion:SampleDirectory"] = "";
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await new NewsBotCli(stdout, stderr, _work, config, stdin is null ? null : new StringReader(stdin)).RunAsync(args);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    Task<(int Exit, string Out, string Err)> Cli(params string[] args) => CliWith([], null, args);

    static JsonNode[] Lines(string stdout) => [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)];

    [Fact]
    public async Task Stdin_lines_that_are_not_usable_each_get_an_error_and_the_batch_carries_on()
    {
        var input = string.Join("\n",
            "\uFEFF{\"id\": \"bom\", \"question\": \"What is the weather on Mars?\"}", // a BOM before the first line
            """{"id":"x","question":"tram \ud800"}""",                                    // a lone surrogate escape
            """{"id":"q","question":42}""",
            """{"id":"c","question":"hello","chat":{"a":1}}""",
            """{"id":[1],"question":"hello"}""",
            """{"id":17,"question":"What is the weather on Mars?"}""");
        var (exit, stdout, stderr) = await CliWith([], input, "ask", "--stdin");
        Assert.True(exit == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal(6, lines.Length);
        Assert.Equal("bom", lines[0]["id"]!.GetValue<string>());
        Assert.True(lines[0]["refused"]!.GetValue<bool>());
        Assert.Equal("x", lines[1]["id"]!.GetValue<string>());
        Assert.Contains("invalid JSON", lines[1]["error"]!.GetValue<string>());
        Assert.Contains("\"question\" must be a string", lines[2]["error"]!.GetValue<string>());
        Assert.Contains("\"chat\" must be a string", lines[3]["error"]!.GetValue<string>());
        Assert.Equal(5, lines[4]["id"]!.GetValue<int>()); // an unusable id: the line number instead
        Assert.Contains("\"id\" must be a string or a number", lines[4]["error"]!.GetValue<string>());
        Assert.Equal(17, lines[5]["id"]!.GetValue<int>()); // a numeric id is echoed as a number
        Assert.True(lines[5]["refused"]!.GetValue<bool>());
    }

    static Dictionary<string, string?> UnreachableEmbeddings() => new()
    {
        ["Embeddings:Provider"] = "OpenAI",
        ["Embeddings:Endpoint"] = "http://127.0.0.1:1/v1",
        ["Embeddings:ApiKey"] = "sk-test-SECRETKEY-123456",
        ["Embeddings:Model"] = "text-embedding-3-small",
        ["Embeddings:Dimensions"] = "384",
    };

    [Fact]
    public async Task A_question_that_fails_in_stdin_mode_is_that_lines_error_and_the_next_line_is_still_answered()
    {
        var (exit, stdout, stderr) = await CliWith(UnreachableEmbeddings(), "first?\n{\"id\":\"b\",\"question\":\"second?\"}\n", "ask", "--stdin");
        Assert.True(exit == 0, stderr);
        var lines = Lines(stdout);
        Assert.Equal(2, lines.Length);
        Assert.Equal(1, lines[0]["id"]!.GetValue<int>());
        Assert.StartsWith("failed: ", lines[0]["error"]!.GetValue<string>());
        Assert.Equal("b", lines[1]["id"]!.GetValue<string>());
        Assert.DoesNotContain("SECRETKEY", stdout);
    }

    [Fact]
    public async Task An_unexpected_failure_is_one_line_on_stderr_with_exit_1_and_no_secret_or_stack()
    {
        var (exit, stdout, stderr) = await CliWith(UnreachableEmbeddings(), null, "ask", "tram");
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Error (", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("SECRETKEY", stderr);
    }

    [Fact]
    public async Task A_data_directory_that_is_a_file_and_a_corrupt_database_are_clear_messages_with_exit_1()
    {
        var file = Path.Combine(_work, "a-file");
        await File.WriteAllTextAsync(file, "x");
        var (exit, _, stderr) = await CliWith(new Dictionary<string, string?> { ["Storage:DataDirectory"] = file }, null, "ask", "tram");
        Assert.Equal(1, exit);
        Assert.Contains("Storage:DataDirectory", stderr);
        Assert.DoesNotContain("   at ", stderr);

        var data = Directory.CreateDirectory(Path.Combine(_work, "corrupt")).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "newsbot.db"), new string('x', 4096));
        (exit, _, stderr) = await CliWith(new Dictionary<string, string?> { ["Storage:DataDirectory"] = data }, null, "sources");
        Assert.Equal(1, exit);
        Assert.Contains("not a database", stderr);
        Assert.DoesNotContain("   at ", stderr);

        // -v adds the details
        (exit, _, stderr) = await CliWith(new Dictionary<string, string?> { ["Storage:DataDirectory"] = data }, null, "sources", "-v");
        Assert.Equal(1, exit);
        Assert.Contains("   at ", stderr);
    }

    [Fact]
    public async Task A_bad_serilog_level_is_a_configuration_error_naming_the_section()
    {
        var (exit, stdout, stderr) = await CliWith(new Dictionary<string, string?> { ["Serilog:MinimumLevel"] = "Loud" }, null, "sources");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("Serilog", stderr);
        Assert.Contains("Loud", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("Index:Provider", "Pinecone", "Use one of: Embedded, Qdrant.", "Index__Provider")]
    [InlineData("Llm:Timeout", "abc", "hh:mm:ss", "Llm__Timeout")]
    public async Task A_value_of_the_wrong_kind_says_what_the_setting_takes_and_where_to_fix_it(string key, string value, string shape, string env)
    {
        var (exit, stdout, stderr) = await CliWith(new Dictionary<string, string?> { [key] = value }, null, "search", "tram");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains(shape, stderr);
        Assert.Contains(env, stderr);
    }

    [Fact]
    public async Task Chat_with_json_writes_only_json_results_to_stdout()
    {
        var (exit, stdout, stderr) = await CliWith([], "/new\n/foo\n/help\nWhat did the council decide?\n/exit\n", "chat", "--json");
        Assert.Equal(0, exit);
        var result = Assert.Single(Lines(stdout)); // every stdout line is JSON, and there is one answer
        Assert.Equal("What did the council decide?", result["question"]!.GetValue<string>());
        Assert.Contains("Started a new conversation.", stderr);
        Assert.Contains("Unknown command /foo", stderr);
    }

    [Fact]
    public async Task A_malformed_config_file_says_where_the_json_is_broken()
    {
        var file = Path.Combine(_work, "broken.json");
        await File.WriteAllTextAsync(file, "{ \"Index\": {\n  \"RrfK\": 60,, }\n}");
        var (exit, _, stderr) = await CliWith([], null, "sources", "--config", file);
        Assert.Equal(2, exit);
        Assert.Contains("broken.json", stderr);
        Assert.Contains("LineNumber", stderr);
    }

    [Theory]
    [InlineData("ask", "--stdn")]
    [InlineData("ask", "--bogus", "tram")]
    [InlineData("search", "--limt", "5", "harbour")]
    public async Task An_unknown_option_is_an_error_naming_it_with_exit_2(params string[] args)
    {
        var (exit, stdout, stderr) = await CliWith([], "", args);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"Unknown option '{args[1]}'", stderr);
        Assert.DoesNotContain("'tram'", stderr);
        Assert.Contains("Usage:", stderr);
    }

    [Fact]
    public async Task Parse_errors_exit_2_with_the_usage_on_stderr_and_nothing_on_stdout()
    {
        var (exit, stdout, stderr) = await Cli("no-such-verb");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("no-such-verb", stderr);
        Assert.Contains("Usage:", stderr);

        (exit, stdout, _) = await Cli("ask", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
    }

    [Fact]
    public async Task Ask_with_both_stdin_and_a_question_is_an_error()
    {
        var (exit, stdout, stderr) = await CliWith([], "other question\n", "ask", "--stdin", "tram");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("not both", stderr);
    }
}
