using NewsBot.Cli;

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the verb cleanly (even while it waits for a line of input);
    // a second one, if the first did not get through, ends the process at once.
    e.Cancel = !cts.IsCancellationRequested;
    cts.Cancel();
};
return await new NewsBotCli().RunAsync(args, cts.Token);
