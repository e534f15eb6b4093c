using System.Diagnostics;
using System.Text;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>Where things are: the repository, ../shared beside it, and the built newsbot.dll.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Seeds => Path.Combine(Shared, "seeds");

    public static string SeedArticle => Path.Combine(Seeds, "kyiv-strikes-peace-talks.txt");

    /// <summary>A model cache shared by all tests so the ONNX model is extracted once.</summary>
    public static string ModelCache { get; } = Path.Combine(Path.GetTempPath(), "newsbot-test-model-cache");

    /// <summary>The CLI built with the solution, in the same configuration as the tests.</summary>
    public static string NewsBotDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Debug";
            var dll = Path.Combine(RepoRoot, "src", "NewsBot", "bin", configuration, "net10.0", "newsbot.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"Build the solution first: {dll} is missing.");
            return dll;
        }
    }

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NewsBot.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("NewsBot.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The newsbot CLI run as a real child process, as a user runs it.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _stdout = new();
    readonly StringBuilder _stderr = new();
    readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    CliProcess(Process process)
    {
        _process = process;
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(TestPaths.NewsBotDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["Embeddings__CacheDirectory"] = TestPaths.ModelCache;
        psi.Environment["Ingestion__SampleDirectory"] = "";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in env)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cli = new CliProcess(p);
        // every line the child writes (its console logs included) is scanned for tokens and API keys (LogSecretScanner)
        var name = "newsbot " + string.Join(' ', args.Take(1));
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { LogSecretScanner.Global.Scan(name + " (stdout)", e.Data); lock (cli._stdout) cli._stdout.AppendLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { LogSecretScanner.Global.Scan(name + " (stderr)", e.Data); lock (cli._stderr) cli._stderr.AppendLine(e.Data); } };
        p.Exited += (_, _) => cli._exited.TrySetResult();
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs to completion and returns (exit code, stdout, stderr).</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        await using var p = Start(workingDirectory, env, args);
        p._process.StandardInput.Close();
        await p.WaitForExitAsync(TimeSpan.FromMinutes(5));
        return (p.ExitCode, p.Stdout, p.Stderr);
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await Task.WhenAny(_exited.Task, Task.Delay(2000));
        _process.WaitForExit(); // flush redirected output
    }

    public void WriteLine(string line) => _process.StandardInput.WriteLine(line);

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>SIGKILL, as `kill -9`: no chance to clean up.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as a service manager stops a worker.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            try { await _process.WaitForExitAsync(new CancellationTokenSource(5000).Token); } catch (OperationCanceledException) { }
        }
        _process.Dispose();
    }
}
