using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Stories;
using NewsBot.Sqlite;

namespace NewsBot.Hosting;

/// <summary>Stories: the clusterer (section <c>Stories</c>), its SQLite store, and the assigner ingestion calls.</summary>
internal static class StoryRegistration
{
    public static IServiceCollection AddNewsBotStories(this IServiceCollection services, IConfiguration config)
    {
        services.AddSection<StoryOptions>(config, StoryOptions.SectionName);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<StoryOptions>>().Value);
        services.AddSingleton<StoryClusterer>();
        services.AddSingleton<SqliteStoryStore>();
        services.AddSingleton<IStoryStore>(sp => sp.GetRequiredService<SqliteStoryStore>());
        services.AddSingleton<IStoryRepository>(sp => sp.GetRequiredService<SqliteStoryStore>());
        services.AddSingleton<IStoryAssigner, StoryAssigner>();
        return services;
    }
}
