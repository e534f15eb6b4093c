using System.Text.Json.Nodes;
using NewsBot.Cli;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// The bounded soak CI runs: <c>soak --chats 20 --questions 5 --json</c> drives the real worker in-process (Telegram.Bot
/// client polling a loopback Bot API server, inbox, dispatcher, extractive answers from the samples, the sender and its
/// limiter). Every question gets exactly one reply, in order per chat, within Telegram's limits.
/// </summary>
public sealed class SoakCommandTests
{
    static readonly string[] ContractFields =
        ["chats", "questions", "replies", "lost", "duplicated", "out_of_order", "latency_ms", "peak_rss_mb", "max_sends_per_s", "max_sends_per_chat_per_s"];

    static async Task<(int Exit, string Stdout, string Stderr)> Soak(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var overrides = new Dictionary<string, string?> { ["Embeddings:CacheDirectory"] = TestPaths.ModelCache };
        var exit = await new NewsBotCli(stdout, stderr, TestPaths.RepoRoot, overrides).RunAsync(["soak", .. args]);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Twenty_chats_asking_five_questions_each_get_a_hundred_replies_none_lost_duplicated_or_out_of_order_within_the_limits()
    {
        var (exit, stdout, stderr) = await Soak("--chats", "20", "--questions", "5", "--json", "--timeout", "600");
        Assert.True(exit == 0, stdout + stderr);
        var report = JsonNode.Parse(stdout)!.AsObject();
        foreach (var field in ContractFields)
            Assert.True(report.ContainsKey(field), $"missing {field}: {stdout}");

        Assert.Equal(20, report["chats"]!.GetValue<int>());
        Assert.Equal(100, report["questions"]!.GetValue<int>());
        Assert.Equal(100, report["replies"]!.GetValue<int>());
        Assert.Equal(0, report["lost"]!.GetValue<int>());
        Assert.Equal(0, report["duplicated"]!.GetValue<int>());
        Assert.Equal(0, report["out_of_order"]!.GetValue<int>());
        Assert.Equal(10, report["group_chats"]!.GetValue<int>());
        Assert.Equal(6, report["articles"]!.GetValue<int>());

        var latency = report["latency_ms"]!;
        var (p50, p95, max) = (latency["p50"]!.GetValue<double>(), latency["p95"]!.GetValue<double>(), latency["max"]!.GetValue<double>());
        Assert.True(0 < p50 && p50 <= p95 && p95 <= max, latency.ToJsonString());
        Assert.True(report["peak_rss_mb"]!.GetValue<double>() > 50);

        // Telegram's limits (the defaults): 30 a second overall, bursts of 3 in a chat, 20 a minute in a group
        Assert.InRange(report["max_sends_per_s"]!.GetValue<int>(), 1, 30);
        Assert.InRange(report["max_sends_per_chat_per_s"]!.GetValue<int>(), 1, 3);
        Assert.InRange(report["max_sends_per_group_per_min"]!.GetValue<int>(), 1, 20);
        Assert.True(report["within_limits"]!.GetValue<bool>());
        Assert.True(report["passed"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("--chats", "0")]
    [InlineData("--questions", "0")]
    [InlineData("--corpus", "no-such-folder")]
    public async Task Unusable_arguments_are_a_usage_error_before_anything_starts(string option, string value)
    {
        var (exit, stdout, stderr) = await Soak(option, value);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains("soak:", stderr);
    }
}
