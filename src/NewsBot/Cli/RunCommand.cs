using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NewsBot.Hosting;
using NewsBot.Worker;

namespace NewsBot.Cli;

/// <summary>
/// <c>run</c> (also what NewsBot does with no verb): the worker. It polls the registered feeds on
/// schedule and, when <c>Telegram:BotToken</c> is set, serves the Telegram bot (long polling, or a
/// webhook endpoint when <c>Telegram:WebhookUrl</c> is set). Stops gracefully on Ctrl+C / SIGTERM.
/// </summary>
public static class RunCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var cmd = new Command("run", "Run the worker: poll feeds on schedule and serve the Telegram bot");
        cmd.SetAction((parse, ct) => RunAsync(cli, parse, ct));
        return cmd;
    }

    public static async Task<int> RunAsync(NewsBotCli cli, ParseResult parse, CancellationToken ct)
    {
        var output = cli.Output(parse);
        var ctx = cli.Context(parse, worker: true);
        IHost host;
        try
        {
            host = WorkerHost.Build(ctx);
            NewsBotCli.ValidateOptions(host.Services);
        }
        catch (Exception ex) when (NewsBotCli.UserError(ex) is { } message)
        {
            output.Error(message);
            return NewsBotCli.IsUsageError(ex) ? 2 : 1;
        }
        try
        {
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NewsBot");
            await host.StartAsync(ct).ConfigureAwait(false);
            WorkerHost.LogStartup(host.Services, logger);
            await host.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex) when (NewsBotCli.UserError(ex) is { } message)
        {
            output.Error(message);
            return 1;
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await host.StopAsync(stop.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            if (host is IAsyncDisposable ad) await ad.DisposeAsync().ConfigureAwait(false);
            else host.Dispose();
        }
    }
}
