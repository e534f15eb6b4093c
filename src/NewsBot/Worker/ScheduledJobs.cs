using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace NewsBot.Worker;

/// <summary>
/// Work the worker runs on a schedule (feed polling now; daily digests and story follow-ups later).
/// The host runs each job in its own loop: wait until <see cref="NextRun"/>, run, log and back off on failure.
/// </summary>
public interface IScheduledJob
{
    string Name { get; }

    /// <summary>When to run next, given the previous run's end (null on the first run) and now.</summary>
    DateTimeOffset NextRun(DateTimeOffset? lastRun, DateTimeOffset now);

    Task RunAsync(CancellationToken ct);

    /// <summary>Cancelled when the job should run before <see cref="NextRun"/> (e.g. new articles for follow updates).</summary>
    CancellationToken WakeUp => CancellationToken.None;
}

/// <summary>Hosts every registered <see cref="IScheduledJob"/>; a failing job is logged and retried with back-off, never stopping the worker.</summary>
public sealed class ScheduledJobsService(IEnumerable<IScheduledJob> jobs, TimeProvider time, ILogger<ScheduledJobsService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(jobs.Select(j => RunLoopAsync(j, stoppingToken)));

    async Task RunLoopAsync(IScheduledJob job, CancellationToken ct)
    {
        DateTimeOffset? last = null;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = job.NextRun(last, now);
            if (failures > 0)
            {
                var backoff = TimeSpan.FromSeconds(Math.Min(900, 15 * Math.Pow(2, failures - 1)));
                if (now + backoff < next) next = now + backoff;
            }
            var wait = next - now;
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    using var early = CancellationTokenSource.CreateLinkedTokenSource(ct, job.WakeUp);
                    try
                    {
                        await Task.Delay(wait, time, early.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // woken early: run now
                    }
                }
                logger.LogDebug("Running scheduled job {Job}", job.Name);
                await job.RunAsync(ct).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                logger.LogError(ex, "Scheduled job {Job} failed ({Failures} in a row); retrying with back-off", job.Name, failures);
            }
            last = time.GetUtcNow();
        }
    }
}

public static class ScheduledJobRegistration
{
    public static IServiceCollection AddScheduledJob<T>(this IServiceCollection services) where T : class, IScheduledJob
    {
        services.AddSingleton<IScheduledJob, T>();
        return services;
    }
}
