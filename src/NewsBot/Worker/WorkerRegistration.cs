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
        services.AddSingleton<IngestionSignal>();
        services.AddScheduledJob<FeedPollingJob>();
        // retention: only with a window (by default every article is kept)
        if (!string.IsNullOrWhiteSpace(config[$"{NewsBot.Hosting.StorageOptions.SectionName}:{nameof(NewsBot.Hosting.StorageOptions.RetainDays)}"]))
            services.AddScheduledJob<RetentionJob>();
        // digests and follow updates are pushed to chats: only with a channel to push them through
        if (NewsBot.Hosting.ChannelRegistration.TelegramEnabled(config))
        {
            services.AddScheduledJob<DailyDigestJob>();
            services.AddScheduledJob<FollowUpdatesJob>();
        }
        services.AddHostedService<ScheduledJobsService>();
        return services;
    }
}
