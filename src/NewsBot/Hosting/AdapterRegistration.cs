using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;

namespace NewsBot.Hosting;

// Seams for the adapters built on their own branches (ONNX embeddings, sources, Qdrant);
// each is replaced by the real registration when that adapter lands.
internal static class IndexRegistration
{
    public static IArticleIndex CreateRemoteIndex(IServiceProvider sp, IndexProvider provider)
        => throw new ConfigurationException($"Index:Provider: '{provider}' is not available in this build. Fix: set Index:Provider to Embedded.");
}

internal static class SourcesRegistration
{
    public static IServiceCollection AddNewsBotSourcesAdapter(this IServiceCollection services)
        => NewsBot.Sources.SourcesServiceCollectionExtensions.AddNewsBotSources(services);
}
