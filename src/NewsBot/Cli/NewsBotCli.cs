using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Configuration;
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
    readonly TextReader? _stdin;

    public NewsBotCli(TextWriter? stdout = null, TextWriter? stderr = null, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? overrides = null, TextReader? stdin = null)
    {
        _stdout = stdout ?? Console.Out;
        _stderr = stderr ?? Console.Error;
        _workingDirectory = workingDirectory ?? Directory.GetCurrentDirectory();
        _overrides = overrides ?? new Dictionary<string, string?>();
        _stdin = stdin;
    }

    /// <summary>
    /// True when this command line is the process (Program.cs), not one run inside a test or the bench: a verb that does
    /// one thing and ends may then set process-wide switches for it (<see cref="NewsBot.Sqlite.SqliteArticleIndex.BuildsScanCopies"/>).
    /// </summary>
    public bool OwnsProcess { get; init; }

    /// <summary>Services registered after NewsBot's own in every verb's host (tests swap in stand-ins, e.g. a story store).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Where <c>ask --stdin</c> and <c>chat</c> read lines from (the console unless a test gives a reader).</summary>
    public TextReader In => _stdin ?? Console.In;

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
        root.Subcommands.Add(StoriesCommand.Create(this));
        root.Subcommands.Add(DigestCommand.Create(this));
        root.Subcommands.Add(PruneCommand.Create(this));
        root.Subcommands.Add(SoakCommand.Create(this));
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
        StartupTrace.Mark("command line parsed");
        var errors = parse.Errors.Select(e => e.Message).ToList();
        // An option the verb does not know would otherwise become the question (ask --stdn answered "--stdn").
        var unknown = UnknownOptions(parse);
        // (the words after it are then "unrecognized" only because the unknown option took the argument's place)
        if (unknown.Count > 0) errors = [.. unknown.Select(u => $"Unknown option '{u}'; see the options below."), .. errors.Where(e => !unknown.Any(e.Contains) && !e.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))];
        if (errors.Count > 0)
            return await UsageErrorAsync(root, parse, errors, ct).ConfigureAwait(false);
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
        catch (Exception ex)
        {
            // The last resort: a verb failed in a way nobody planned for; still one line, not a stack trace.
            return ReportUnexpected(ex, new CliOutput(_stdout, _stderr, false), parse.GetValue(VerboseOption), null);
        }
    }

    /// <summary>Tokens that look like options (--name) but that no command took as one, up to a "--" separator.</summary>
    static List<string> UnknownOptions(ParseResult parse)
    {
        var unknown = new List<string>();
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) break;
            if (token.Type == TokenType.Argument && token.Value.Length > 2 && token.Value.StartsWith("--", StringComparison.Ordinal) && !unknown.Contains(token.Value))
                unknown.Add(token.Value);
        }
        return unknown;
    }

    /// <summary>Unusable arguments: the errors and the verb's usage on stderr, nothing on stdout, exit 2.</summary>
    async Task<int> UsageErrorAsync(RootCommand root, ParseResult parse, List<string> errors, CancellationToken ct)
    {
        foreach (var e in errors) _stderr.WriteLine(e);
        _stderr.WriteLine();
        var path = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Command != root; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            path.Insert(0, r.Command.Name);
        var help = root.Parse([.. path, "--help"]);
        await help.InvokeAsync(new InvocationConfiguration { Output = _stderr, Error = _stderr }, ct).ConfigureAwait(false);
        return 2;
    }

    /// <summary>
    /// Reads one line from <see cref="In"/>, returning as soon as <paramref name="ct"/> is cancelled even when the
    /// console read is still blocked (Console.In ignores the token, so Ctrl+C would otherwise wait for Enter).
    /// </summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var reader = In;
        if (reader is StringReader) return await reader.ReadLineAsync(ct).ConfigureAwait(false);
        return await Task.Run(reader.ReadLine, CancellationToken.None).WaitAsync(ct).ConfigureAwait(false);
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
            host = AppHost.Build(context, ConfigureServices is null ? configure : (services, config) => { configure?.Invoke(services, config); ConfigureServices(services); });
            StartupTrace.Mark("host built");
            ValidateOptions(host.Services);
            StartupTrace.Mark("options validated");
            // Opening a database at the current schema takes no write lock (a cold `ask` must not wait for one), so a
            // verb that writes takes it here: a database another process keeps locked fails at the start, with one
            // message, rather than half-way through the verb's work.
            if (!ReadMostlyVerbs.Contains(parse.CommandResult.Command.Name) && host.Services.GetService<NewsBot.Sqlite.SqliteDatabase>() is { } db)
                await db.EnsureWritableAsync(ct).ConfigureAwait(false);
            var code = await body(host.Services, output, ct).ConfigureAwait(false);
            StartupTrace.Mark("verb done");
            return code;
        }
        catch (Exception ex) when (UserError(ex) is { } message)
        {
            output.EndProgress();
            output.Error(Redact(message, host));
            return IsUsageError(ex) ? 2 : 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            output.EndProgress();
            return ReportUnexpected(ex, output, parse.GetValue(VerboseOption), host);
        }
        finally
        {
            if (host is IAsyncDisposable ad) await ad.DisposeAsync().ConfigureAwait(false);
            else host?.Dispose();
            StartupTrace.Mark("host disposed");
        }
    }

    /// <summary>Verbs that only read the store, or write a conversation row at most: they skip the up-front write lock.</summary>
    static readonly HashSet<string> ReadMostlyVerbs = new(StringComparer.Ordinal) { "ask", "search", "status", "sources" };

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
        typeof(NewsBot.Core.Retrieval.RetrievalOptions), typeof(NewsBot.Core.Answering.AnsweringOptions), typeof(NewsBot.OpenAI.LlmOptions), typeof(NewsBot.Telegram.TelegramOptions), typeof(NewsBot.Qdrant.QdrantOptions), typeof(NewsBot.Core.Stories.StoryOptions),
        typeof(NewsBot.Core.Digests.DigestOptions), typeof(NewsBot.Core.Follows.FollowOptions),
    ];

    /// <summary>Errors in the arguments or configuration (exit code 2), as opposed to work that failed (1).</summary>
    public static bool IsUsageError(Exception ex)
    {
        ex = Unwrap(ex);
        return ex is ConfigurationException or OptionsValidationException or InvalidDataException
            || (ex is InvalidOperationException io && io.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
            || IsSerilogSettingsError(ex);
    }

    /// <summary>Serilog reads its own section (levels, sinks) and throws plain exceptions; its frames say where it came from.</summary>
    static bool IsSerilogSettingsError(Exception ex)
        => (ex.StackTrace ?? "").Contains("Serilog.Settings.Configuration", StringComparison.Ordinal);

    /// <summary>
    /// Any other failure of a verb: one line naming what failed and why (the messages of the exception and its
    /// inner exceptions), the stack only with --verbose; secrets from the configuration are masked. Exit 1, or 2
    /// when the configuration is at fault.
    /// </summary>
    public int ReportUnexpected(Exception ex, CliOutput output, bool verbose, IHost? host)
    {
        ex = Unwrap(ex);
        string text;
        if (IsSerilogSettingsError(ex))
            text = "Configuration error in the Serilog section (e.g. Serilog:MinimumLevel must be Verbose, Debug, Information, Warning, Error or Fatal): " + Messages(ex);
        else
            text = $"Error ({ex.GetType().Name}): {Messages(ex)}" + (verbose ? "" : " Run with -v for details.");
        output.Error(Redact(text, host));
        if (verbose) output.Error(Redact(ex.ToString(), host));
        return IsUsageError(ex) ? 2 : 1;
    }

    /// <summary>The exception's message followed by those of its inner exceptions that add something.</summary>
    public static string Messages(Exception ex)
    {
        var parts = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            var m = e.Message.Trim();
            if (m.Length > 0 && !parts.Any(p => p.Contains(m, StringComparison.Ordinal))) parts.Add(m);
        }
        return string.Join(" ", parts.Select(p => p.EndsWith('.') ? p : p + "."));
    }

    static readonly System.Text.RegularExpressions.Regex BotTokenShape = new("[0-9]{5,16}:[A-Za-z0-9_-]{20,}", System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>Masks configured secrets (tokens, API keys, passwords) and anything shaped like a bot token.</summary>
    static string Redact(string text, IHost? host)
    {
        if (host?.Services.GetService<Microsoft.Extensions.Configuration.IConfiguration>() is { } config)
        {
            foreach (var kv in config.AsEnumerable())
            {
                if (string.IsNullOrEmpty(kv.Value) || kv.Value.Length < 6) continue;
                var key = kv.Key;
                if (key.EndsWith("Token", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Key", StringComparison.OrdinalIgnoreCase)
                    || key.EndsWith("Secret", StringComparison.OrdinalIgnoreCase) || key.EndsWith("Password", StringComparison.OrdinalIgnoreCase))
                    text = text.Replace(kv.Value, "***", StringComparison.Ordinal);
            }
        }
        return BotTokenShape.Replace(text, "***");
    }

    static Exception Unwrap(Exception ex)
    {
        while (ex is System.Reflection.TargetInvocationException { InnerException: { } inner }) ex = inner;
        return ex;
    }

    /// <summary>
    /// What a value of the setting should look like and where to fix it: "Use one of: Embedded, Qdrant. Fix it in
    /// appsettings.json or with the environment variable Index__Provider."
    /// </summary>
    static string ConversionHint(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"at '(?<key>[^']+)' to type '(?<type>[^']+)'");
        if (!m.Success) return " Fix the value in appsettings.json or the environment variable.";
        var key = m.Groups["key"].Value;
        var typeName = m.Groups["type"].Value;
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        if (type is not null && Nullable.GetUnderlyingType(type) is { } underlying) type = underlying;
        var shape = type switch
        {
            { IsEnum: true } => $" Use one of: {string.Join(", ", Enum.GetNames(type))}.",
            _ when type == typeof(TimeSpan) => " Use a duration as [d.]hh:mm:ss, e.g. 00:01:30 for 90 seconds.",
            _ when type == typeof(bool) => " Use true or false.",
            _ when type == typeof(int) || type == typeof(long) => " Use a whole number.",
            _ when type == typeof(double) || type == typeof(float) => " Use a number such as 0.5 (with a dot).",
            _ => "",
        };
        return $"{shape} Fix it in appsettings.json or with the environment variable {key.Replace(":", "__", StringComparison.Ordinal)}.";
    }

    public static string? UserError(Exception ex)
    {
        ex = Unwrap(ex);
        return ex switch
        {
            OptionsValidationException ov => "Configuration error:\n  " + string.Join("\n  ", ov.Failures),
            ConfigurationException c => "Configuration error: " + c.Message,
            InvalidOperationException io when io.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)
                => "Configuration error: " + io.Message + (io.InnerException is { } e ? " " + e.Message : "") + ConversionHint(io.Message),
            IndexUnavailableException u => u.Message,
            IndexModelMismatchException m => m.Message,
            InvalidDataException d => Messages(d), // a malformed settings file: the inner JsonException says line and position
            _ => null,
        };
    }
}
