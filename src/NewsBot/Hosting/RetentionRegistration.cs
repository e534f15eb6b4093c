using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Retention;
using NewsBot.Indexing;
using NewsBot.Sqlite;

namespace NewsBot.Hosting;

/// <summary>Retention: Storage:RetainDays / Storage:KeepArticleText, tombstones in the embedded database, the pruner.</summary>
public static class RetentionRegistration
{
    public static IServiceCollection AddNewsBotRetention(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new RetentionPolicy(storage.RetainDays, storage.KeepArticleText);
        });
        services.AddSingleton<IRetentionStore, SqliteRetentionStore>();
        services.AddSingleton<RetentionService>();
        services.AddSingleton<IndexPruner>();
        return services;
    }
}
