using System.Text.Json;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>The runtime settings the built CLI starts with (its newsbot.runtimeconfig.json, as the host reads it).</summary>
public sealed class RuntimeSettingsTests
{
    static JsonElement ConfigProperties()
    {
        var path = Path.ChangeExtension(TestPaths.NewsBotDll, ".runtimeconfig.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    /// <summary>
    /// Dynamic PGO stays off: its instrumented tier re-compiled every hot method once more, ~4 % of the CPU of a
    /// 300-article ingest (BENCHMARKS.md §3.1.3). Turned back on, this fails and the ingest figures must be re-measured.
    /// </summary>
    [Fact]
    public void Dynamic_pgo_is_off_so_hot_methods_are_compiled_once_more_not_twice()
    {
        Assert.True(ConfigProperties().TryGetProperty("System.Runtime.TieredPGO", out var pgo), "TieredPGO is not set in newsbot.runtimeconfig.json");
        Assert.Equal(JsonValueKind.False, pgo.ValueKind);
    }

    /// <summary>Tiered compilation itself stays on: without it a cold `ask` compiled every non-ReadyToRun method fully optimised (+0.1 s of CPU).</summary>
    [Fact]
    public void Tiered_compilation_stays_on()
    {
        Assert.False(ConfigProperties().TryGetProperty("System.Runtime.TieredCompilation", out var tc) && tc.ValueKind == JsonValueKind.False);
    }
}
