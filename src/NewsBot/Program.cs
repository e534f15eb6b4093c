using NewsBot.Cli;
using NewsBot.Hosting;

StartupTrace.Mark("main entered (runtime started, assemblies of Main loaded)");

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the verb cleanly (even while it waits for a line of input);
    // a second one, if the first did not get through, ends the process at once.
    e.Cancel = !cts.IsCancellationRequested;
    cts.Cancel();
};
var exitCode = await new NewsBotCli { OwnsProcess = true }.RunAsync(args, cts.Token);
StartupTrace.Mark("exit");
return exitCode;
