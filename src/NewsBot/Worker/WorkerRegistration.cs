using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NewsBot.Worker;

/// <summary>The long-running worker: scheduled jobs (feed polling, later digests) and the channels.</summary>
public static class WorkerRegistration
{
    public static IServiceCollection AddNewsBotWorker(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });
        services.AddScheduledJob<FeedPollingJob>();
        services.AddHostedService<ScheduledJobsService>();
        return services;
    }
}
