using Microsoft.Data.Sqlite;
using NewsBot.Cli;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// The Serilog section keeps working now that the host names the Serilog assemblies itself instead of letting Serilog
/// scan the app's dependency file: a File sink with the compact JSON formatter (the example in appsettings.example.json)
/// is still found by name and writes its file.
/// </summary>
public sealed class SerilogSinkSettingsTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("newsbot-serilog-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_work, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task A_file_sink_named_in_the_Serilog_section_writes_its_log()
    {
        var log = Path.Combine(_work, "logs", "newsbot.log");
        var config = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = Path.Combine(_work, "data"),
            ["Ingestion:SampleDirectory"] = "",
            ["Serilog:WriteTo:1:Name"] = "File",
            ["Serilog:WriteTo:1:Args:path"] = log,
            ["Serilog:WriteTo:1:Args:formatter"] = "Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact",
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await new NewsBotCli(stdout, stderr, _work, config).RunAsync(["sources", "-v"]);
        Assert.Equal(0, exit);
        Assert.True(File.Exists(log), "the File sink was not created: " + stderr);
    }
}
