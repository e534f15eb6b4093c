using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Retrieval;
using Polly.Registry;
using Qdrant.Client;

namespace NewsBot.Qdrant;

public static class QdrantServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Qdrant index: <see cref="QdrantOptions"/> bound to section <c>Qdrant</c> with
    /// <see cref="QdrantOptionsValidator"/> (validated on start when <c>Index:Provider</c> is <c>Qdrant</c>, otherwise on
    /// first use), a singleton <see cref="QdrantConnection"/> and <see cref="IQdrantClient"/>, and a singleton
    /// <see cref="QdrantArticleIndex"/> whose RRF constant is <see cref="RetrievalOptions.RrfK"/> when the host
    /// registers <see cref="RetrievalOptions"/>, else <c>Index:RrfK</c> (default 10), running its calls through the
    /// pipeline <see cref="QdrantRetry.PipelineKey"/> that the host registers (Polly <c>AddResiliencePipeline</c>; without any
    /// pipeline registry the calls are not retried). It does not register
    /// <c>IArticleIndex</c>: the host picks the index by <c>Index:Provider</c>. Nothing connects until the first call.
    /// </summary>
    public static IServiceCollection AddNewsBotQdrant(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var builder = services.AddOptions<QdrantOptions>().Bind(configuration.GetSection(QdrantOptions.SectionName));
        if (string.Equals(configuration["Index:Provider"], "Qdrant", StringComparison.OrdinalIgnoreCase))
            builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QdrantOptions>, QdrantOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton(sp => new QdrantConnection(
            sp.GetRequiredService<IOptions<QdrantOptions>>().Value,
            sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton<IQdrantClient>(sp => sp.GetRequiredService<QdrantConnection>().Client);
        services.TryAddSingleton(sp => new QdrantArticleIndex(
            sp.GetRequiredService<IQdrantClient>(),
            sp.GetRequiredService<IOptions<QdrantOptions>>().Value,
            sp.GetService<RetrievalOptions>()?.RrfK ?? configuration.GetValue("Index:RrfK", ReciprocalRankFusion.DefaultK),
            sp.GetService<ILogger<QdrantArticleIndex>>(),
            // standalone (no pipeline registry at all): no retries; a registry without the key fails loudly
            sp.GetService<ResiliencePipelineProvider<string>>()?.GetPipeline(QdrantRetry.PipelineKey)));
        return services;
    }
}
