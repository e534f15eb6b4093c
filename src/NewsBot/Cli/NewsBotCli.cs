using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using NewsBot.Hosting;

namespace NewsBot.Cli;

/// <summary>
/// The product's command line: <c>newsbot &lt;verb&gt;</c>. Every verb takes --data DIR and --json;
/// with no verb the worker runs (as with <c>run</c>). Exit codes: 0 success, 1 the work failed,
/// 2 unusable arguments or configuration.
/// </summary>
public sealed class NewsBotCli
{
    public static readonly Option<string?> DataOption = new("--data") { Description = "Data directory (overrides Storage:DataDirectory)", Recursive = true, HelpName = "DIR" };
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print machine-readable JSON", Recursive = true };
    public static readonly Option<string?> ConfigOption = new("--config") { Description = "An extra JSON settings file", Recursive = true, HelpName = "FILE" };
    public static readonly Option<bool> VerboseOption = new("--verbose", "-v") { Description = "Log progress (to stderr)", Recursive = true };

    readonly TextWriter _stdout;
    readonly TextWriter _stderr;
    readonly string _workingDirectory;
    readonly IReadOnlyDictionary<string, string?> _overrides;

    public NewsBotCli(TextWriter? stdout = null, TextWriter? stderr = null, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        _stdout = stdout ?? Console.Out;
        _stderr = stderr ?? Console.Error;
        _workingDirectory = workingDirectory ?? Directory.GetCurrentDirectory();
        _overrides = overrides ?? new Dictionary<string, string?>();
    }

    public RootCommand BuildRoot()
    {
        var root = new RootCommand("NewsBot: ingest news, search it, and answer questions with cited sources.");
        root.Options.Add(DataOption);
        root.Options.Add(JsonOption);
        root.Options.Add(ConfigOption);
        root.Options.Add(VerboseOption);
        root.Subcommands.Add(IngestCommand.Create(this));
        root.Subcommands.Add(FeedsCommand.Create(this));
        root.Subcommands.Add(SearchCommand.Create(this));
        root.Subcommands.Add(SourcesCommand.Create(this));
        root.Subcommands.Add(AskCommand.Create(this));
        root.Subcommands.Add(ChatCommand.Create(this));
        root.Subcommands.Add(RunCommand.Create(this));
        root.Subcommands.Add(EvalCommand.Create(this));
        root.Subcommands.Add(BenchCommand.Create(this));
        root.Subcommands.Add(ReindexCommand.Create(this));
        root.Subcommands.Add(StatusCommand.Create(this));
        root.SetAction((parse, ct) => RunCommand.RunAsync(this, parse, ct));
        foreach (var extra in ExtraCommands) root.Subcommands.Add(extra(this));
        return root;
    }

    /// <summary>Commands contributed by later features (answering, worker, measurement).</summary>
    public static List<Func<NewsBotCli, Command>> ExtraCommands { get; } = [];

    public async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = _stdout, Error = _stderr, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _stderr.WriteLine("Cancelled.");
            return 130;
        }
    }

    public CliContext Context(ParseResult parse, bool worker = false) => new()
    {
        DataDirectory = parse.GetValue(DataOption),
        ConfigFile = parse.GetValue(ConfigOption),
        Verbose = parse.GetValue(VerboseOption),
        IsWorker = worker,
        Overrides = _overrides,
        WorkingDirectory = _workingDirectory,
    };

    public CliOutput Output(ParseResult parse) => new(_stdout, _stderr, parse.GetValue(JsonOption));

    /// <summary>
    /// Runs a verb inside a built host: validates configuration first, and turns the errors a user can
    /// fix (configuration, unreachable index, model mismatch) into one clear message and exit code.
    /// </summary>
    public async Task<int> RunVerbAsync(ParseResult parse, CancellationToken ct, Func<IServiceProvider, CliOutput, CancellationToken, Task<int>> body, Action<IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration>? configure = null, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var output = Output(parse);
        IHost? host = null;
        try
        {
            var context = Context(parse);
            if (overrides is not null) context = context with { Overrides = context.Overrides.Concat(overrides).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value) };
            host = AppHost.Build(context, configure);
            ValidateOptions(host.Services);
            return await body(host.Services, output, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (UserError(ex) is { } message)
        {
            output.EndProgress();
            output.Error(message);
            return IsUsageError(ex) ? 2 : 1;
        }
        finally
        {
            if (host is IAsyncDisposable ad) await ad.DisposeAsync().ConfigureAwait(false);
            else host?.Dispose();
        }
    }

    /// <summary>Resolves every options class so that invalid settings fail before any work.</summary>
    public static void ValidateOptions(IServiceProvider services)
    {
        foreach (var type in OptionsTypes)
        {
            var optionsType = typeof(IOptions<>).MakeGenericType(type);
            var o = services.GetService(optionsType);
            _ = o?.GetType().GetProperty("Value")?.GetValue(o);
        }
    }

    public static List<Type> OptionsTypes { get; } =
    [
        typeof(StorageOptions), typeof(IndexOptions), typeof(EmbeddingsOptions), typeof(NewsBot.Core.Ingestion.IngestionOptions),
        typeof(NewsBot.Core.Retrieval.RetrievalOptions), typeof(NewsBot.Core.Answering.AnsweringOptions), typeof(NewsBot.OpenAI.LlmOptions), typeof(NewsBot.Telegram.TelegramOptions), typeof(NewsBot.Qdrant.QdrantOptions),
    ];

    /// <summary>Errors in the arguments or configuration (exit code 2), as opposed to work that failed (1).</summary>
    public static bool IsUsageError(Exception ex)
    {
        ex = Unwrap(ex);
        return ex is ConfigurationException or OptionsValidationException or InvalidDataException
            || (ex is InvalidOperationException io && io.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal));
    }

    static Exception Unwrap(Exception ex)
    {
        while (ex is System.Reflection.TargetInvocationException { InnerException: { } inner }) ex = inner;
        return ex;
    }

    public static string? UserError(Exception ex)
    {
        ex = Unwrap(ex);
        return ex switch
        {
            OptionsValidationException ov => "Configuration error:\n  " + string.Join("\n  ", ov.Failures),
            ConfigurationException c => "Configuration error: " + c.Message,
            InvalidOperationException io when io.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)
                => "Configuration error: " + io.Message + (io.InnerException is { } e ? " " + e.Message : "") + " Fix the value in appsettings.json or the environment variable.",
            IndexUnavailableException u => u.Message,
            IndexModelMismatchException m => m.Message,
            InvalidDataException d => d.Message,
            _ => null,
        };
    }
}
