using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;

namespace NewsBot.Hosting;

// Adapter registrations that the host selects by configuration.
internal static class IndexRegistration
{
    public static IArticleIndex CreateRemoteIndex(IServiceProvider sp, IndexProvider provider) => provider switch
    {
        IndexProvider.Qdrant => sp.GetRequiredService<NewsBot.Qdrant.QdrantArticleIndex>(),
        _ => throw new ConfigurationException($"Index:Provider: '{provider}' is not supported. Fix: set Index:Provider to Embedded or Qdrant."),
    };

    public static ITermStatistics CreateRemoteTermStatistics(IServiceProvider sp, IndexProvider provider) => provider switch
    {
        IndexProvider.Qdrant => sp.GetRequiredService<NewsBot.Qdrant.QdrantArticleIndex>(),
        _ => throw new ConfigurationException($"Index:Provider: '{provider}' is not supported. Fix: set Index:Provider to Embedded or Qdrant."),
    };
}

internal static class SourcesRegistration
{
    public static IServiceCollection AddNewsBotSourcesAdapter(this IServiceCollection services)
        => NewsBot.Sources.SourcesServiceCollectionExtensions.AddNewsBotSources(services);
}
