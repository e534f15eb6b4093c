namespace NewsBot.Hosting;

/// <summary>What the command line says about how to build the host.</summary>
public sealed record CliContext
{
    /// <summary>--data: overrides Storage:DataDirectory.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>--config: an extra JSON settings file.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>-v: log at Information (CLI verbs log warnings only by default, so output stays clean).</summary>
    public bool Verbose { get; init; }

    /// <summary>The long-running worker (`run`): logs at the configured level.</summary>
    public bool IsWorker { get; init; }

    /// <summary>Extra configuration values (tests and benchmarks).</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    /// <summary>Working directory used to resolve appsettings.json and relative paths.</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();
}
