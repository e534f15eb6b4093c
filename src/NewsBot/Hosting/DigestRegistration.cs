using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Digests;
using NewsBot.Core.Follows;
using NewsBot.Sqlite;

namespace NewsBot.Hosting;

/// <summary>Digests and follows: the <c>Digest</c> and <c>Follows</c> settings, their stores and services.</summary>
public static class DigestRegistration
{
    public const string DigestSection = "Digest";
    public const string FollowsSection = "Follows";

    public static IServiceCollection AddNewsBotDigests(this IServiceCollection services, IConfiguration config)
    {
        services.AddSection<DigestOptions>(config, DigestSection, ValidateDigest);
        services.AddSection<FollowOptions>(config, FollowsSection, ValidateFollows);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DigestOptions>>().Value);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FollowOptions>>().Value);
        services.AddSingleton<SqliteDigestStore>();
        services.AddSingleton<IDigestSubscriptionStore>(sp => sp.GetRequiredService<SqliteDigestStore>());
        services.AddSingleton<IFollowStore, SqliteFollowStore>();
        services.AddSingleton(sp => new DigestComposer(
            sp.GetRequiredService<NewsBot.Core.Stories.IStoryStore>(),
            sp.GetRequiredService<NewsBot.Core.Ports.IArticleStore>(),
            // with a language model its Digest prompt writes the summaries (citations checked by the composer)
            sp.GetService<IDigestWriter>() ?? sp.GetRequiredService<ILlmAnswererProvider>().Answerer as IDigestWriter));
        services.AddSingleton<IStoryMatcher, StoryMatcher>();
        // the services that push to chats need a channel (IChatNotifier, registered by Telegram)
        services.AddSingleton<DigestScheduler>();
        services.AddSingleton<FollowService>();
        return services;
    }

    static IEnumerable<string> ValidateDigest(DigestOptions o)
    {
        if (DailySchedule.TryParse(o.DefaultTime, "UTC", out _) is null)
            yield return Describe(DigestSection, nameof(o.DefaultTime), $"'{o.DefaultTime}' is not a time of day (HH:MM, e.g. 08:00)");
        if (DailySchedule.FindZone(o.DefaultTimeZone) is null)
            yield return Describe(DigestSection, nameof(o.DefaultTimeZone), $"'{o.DefaultTimeZone}' is not an IANA time zone (e.g. Europe/London)");
        if (o.Top is < 1 or > 20)
            yield return Describe(DigestSection, nameof(o.Top), "must be between 1 and 20");
        if (o.Window <= TimeSpan.Zero || o.Window > TimeSpan.FromDays(31))
            yield return Describe(DigestSection, nameof(o.Window), "must be a positive span of at most 31 days (e.g. 24:00:00 or 1.00:00:00)");
        if (o.CatchUpGrace < TimeSpan.Zero || o.CatchUpGrace >= TimeSpan.FromHours(24))
            yield return Describe(DigestSection, nameof(o.CatchUpGrace), "must be at least 0 and under 24 hours (e.g. 03:00:00)");
        if (o.CheckInterval < TimeSpan.FromSeconds(1) || o.CheckInterval > TimeSpan.FromMinutes(30))
            yield return Describe(DigestSection, nameof(o.CheckInterval), "must be between 00:00:01 and 00:30:00");
    }

    static IEnumerable<string> ValidateFollows(FollowOptions o)
    {
        if (o.MinUpdateInterval < TimeSpan.Zero)
            yield return Describe(FollowsSection, nameof(o.MinUpdateInterval), "must not be negative (e.g. 01:00:00)");
        if (o.ExpireAfter <= TimeSpan.Zero)
            yield return Describe(FollowsSection, nameof(o.ExpireAfter), "must be a positive span (e.g. 7.00:00:00)");
        if (o.MaxPerChat is < 1 or > 200)
            yield return Describe(FollowsSection, nameof(o.MaxPerChat), "must be between 1 and 200");
        if (o.MaxSentences is < 1 or > 10)
            yield return Describe(FollowsSection, nameof(o.MaxSentences), "must be between 1 and 10");
        if (o.CheckInterval < TimeSpan.FromSeconds(1) || o.CheckInterval > TimeSpan.FromHours(1))
            yield return Describe(FollowsSection, nameof(o.CheckInterval), "must be between 00:00:01 and 01:00:00");
    }

    static string Describe(string section, string key, string problem) => SectionValidator<object>.Describe(section, key, problem);
}
