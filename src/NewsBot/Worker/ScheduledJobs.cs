using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Registry;

namespace NewsBot.Worker;

/// <summary>
/// Work the worker runs on a schedule (feed polling now; daily digests and story follow-ups later).
/// The host runs each job in its own loop: wait until <see cref="NextRun"/>, run (retried a few times on failure), log.
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

/// <summary>
/// Hosts every registered <see cref="IScheduledJob"/>; a failing run is retried by the pipeline <see cref="PipelineKey"/>
/// (a few times, backing off; never a bug), then logged, and the job runs again at its next scheduled time: a failure
/// never stops the worker.
/// </summary>
public sealed class ScheduledJobsService(IEnumerable<IScheduledJob> jobs, ResiliencePipelineProvider<string> pipelines, TimeProvider time,
    ILogger<ScheduledJobsService> logger) : BackgroundService
{
    /// <summary>The pipeline a job's run goes through (configured in Hosting/ResilienceRegistration).</summary>
    public const string PipelineKey = "newsbot-scheduled-jobs";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(jobs.Select(j => RunLoopAsync(j, stoppingToken)));

    async Task RunLoopAsync(IScheduledJob job, CancellationToken ct)
    {
        var pipeline = pipelines.GetPipeline(PipelineKey);
        DateTimeOffset? last = null;
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var wait = job.NextRun(last, now) - now;
            // the job's name reaches the pipeline's retry log through the context
            var context = ResilienceContextPool.Shared.Get(job.Name, ct);
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
                await pipeline.ExecuteAsync(static async (c, j) => await j.RunAsync(c.CancellationToken).ConfigureAwait(false), context, job).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Scheduled job {Job} failed; it runs again at its next scheduled time", job.Name);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
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
