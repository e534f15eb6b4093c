using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;

namespace NewsBot.Onnx;

public static class OnnxServiceCollectionExtensions
{
    /// <summary>
    /// Registers local ONNX embeddings as singletons: <see cref="OnnxEmbeddingGenerator"/> (also as
    /// <see cref="IEmbeddingGenerator{String, Embedding}"/>), a <see cref="WordPieceTokenCounter"/> as
    /// <see cref="ITokenCounter"/>, and the model's <see cref="EmbeddingProfile"/>. Nothing is loaded here or when
    /// they are resolved: the vocabulary loads on the first token count or embedding, the model on the first
    /// embedding. Later registrations of the same services win, as usual.
    /// </summary>
    /// <param name="options">The bound <c>Embeddings</c> section; validated here (DataAnnotations).</param>
    /// <param name="cacheDirectory">
    /// The host's cache folder (<c>{data dir}/cache</c>), used when <see cref="OnnxEmbeddingOptions.CacheDirectory"/> is null.
    /// </param>
    public static IServiceCollection AddNewsBotOnnxEmbeddings(this IServiceCollection services, OnnxEmbeddingOptions options, string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        var model = options.GetModel();
        var profile = OnnxEmbeddingProfiles.For(options);
        services.AddSingleton(_ => new OnnxEmbeddingGenerator(options, cacheDirectory));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<OnnxEmbeddingGenerator>());
        services.AddSingleton<ITokenCounter>(_ => new WordPieceTokenCounter(model));
        services.AddSingleton(profile);
        return services;
    }
}
