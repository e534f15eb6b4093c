using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Answering;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Onnx;
using NewsBot.OpenAI;

namespace NewsBot.Hosting;

/// <summary>
/// The embedding model from <c>Embeddings</c>: local ONNX (MiniLM by default, ArcticXs) or an
/// OpenAI-compatible endpoint. Created on first use, so verbs that never embed load nothing.
/// </summary>
public static class EmbeddingRegistration
{
    public const string HttpClientName = "newsbot-embeddings";

    /// <summary>The configured generator with its profile and token counter.</summary>
    public sealed record EmbeddingSetup(IEmbeddingGenerator<string, Embedding<float>> Generator, EmbeddingProfile Profile, ITokenCounter TokenCounter);

    public static IServiceCollection AddNewsBotEmbeddings(this IServiceCollection services, IConfiguration config)
    {
        services.AddSection<EmbeddingsOptions>(config, EmbeddingsOptions.SectionName, Validate);
        services.AddHttpClient(HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(2)).RemoveAllLoggers();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<EmbeddingsOptions>>().Value;
            if (o.Provider == EmbeddingProvider.Local) return LocalSetup(sp, o, o.Model);
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            var provider = o.Provider == EmbeddingProvider.AzureOpenAI ? LlmProvider.AzureOpenAI : LlmProvider.OpenAI;
            var remote = OpenAIClients.CreateEmbeddingGenerator(provider, o.Endpoint, o.ApiKey, o.Model, o.Dimensions, http, TimeSpan.FromMinutes(2));
            var profile = new EmbeddingProfile(o.Model, o.Dimensions!.Value, o.QueryPrefix ?? "", o.PassagePrefix ?? "", o.BatchSize ?? EmbeddingsOptions.DefaultRemoteBatchSize);
            return new EmbeddingSetup(remote, profile, HeuristicTokenCounter.Instance);
        });
        services.AddSingleton(sp => sp.GetRequiredService<EmbeddingSetup>().Generator);
        services.AddSingleton(sp => sp.GetRequiredService<EmbeddingSetup>().Profile);
        services.AddSingleton(sp => sp.GetRequiredService<EmbeddingSetup>().TokenCounter);
        services.AddSingleton<Embedder>();
        return services;
    }

    /// <summary>A local ONNX model with the <c>Embeddings</c> section's local settings (threads, batch, tokens, int8, cache).</summary>
    static EmbeddingSetup LocalSetup(IServiceProvider sp, EmbeddingsOptions o, string model)
    {
        var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
        var ctx = sp.GetRequiredService<CliContext>();
        var cache = o.CacheDirectory is { Length: > 0 } c ? Path.GetFullPath(c, ctx.WorkingDirectory) : Path.Combine(Path.GetFullPath(storage.DataDirectory, ctx.WorkingDirectory), "cache");
        var onnx = new OnnxEmbeddingOptions { Model = model, Threads = o.Threads, BatchSize = o.BatchSize ?? new OnnxEmbeddingOptions().BatchSize, MaxTokens = o.MaxTokens, Quantize = o.Quantize, ParallelBatches = o.ParallelBatches, CacheDirectory = cache };
        var generator = new OnnxEmbeddingGenerator(onnx, cache);
        return new EmbeddingSetup(generator, OnnxEmbeddingProfiles.For(onnx), new WordPieceTokenCounter(onnx.GetModel()));
    }

    /// <summary>
    /// <c>Answering:SentenceEmbeddings</c>: the local model that scores the extractive answer's sentences, created on its
    /// first use with the same local settings as retrieval's; null when unset or when it is retrieval's local model
    /// (the answerer then uses retrieval's <see cref="Embedder"/>, as before).
    /// </summary>
    public static SentenceEmbedder? SentenceEmbedder(IServiceProvider sp, string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        var o = sp.GetRequiredService<IOptions<EmbeddingsOptions>>().Value;
        if (o.Provider == EmbeddingProvider.Local && SameLocalModel(model, o.Model)) return null;
        return new SentenceEmbedder(() =>
        {
            var setup = LocalSetup(sp, o, model);
            return new Embedder(setup.Generator, setup.Profile);
        }, CosineScale.For(model));
    }

    static bool SameLocalModel(string a, string b) =>
        Enum.TryParse<LocalEmbeddingModel>(a, ignoreCase: true, out var x) && Enum.TryParse<LocalEmbeddingModel>(b, ignoreCase: true, out var y) && x == y;

    /// <summary>Null when <paramref name="model"/> is unset or names a local model; else what to set instead.</summary>
    public static string? CheckSentenceModel(string? model) =>
        string.IsNullOrWhiteSpace(model) || (Enum.TryParse<LocalEmbeddingModel>(model, ignoreCase: true, out var m) && Enum.IsDefined(m) && !int.TryParse(model, out _))
            ? null
            : $"Answering:SentenceEmbeddings: '{model}' is not a local model. Use MiniLM or ArcticXs, or leave it unset for the retrieval model.";

    static IEnumerable<string> Validate(EmbeddingsOptions o)
    {
        if (o.Provider == EmbeddingProvider.Local)
        {
            if (!Enum.TryParse<LocalEmbeddingModel>(o.Model, ignoreCase: true, out _))
                yield return $"Embeddings:Model: '{o.Model}' is not a local model. Use MiniLM (default) or ArcticXs, or set Embeddings:Provider to OpenAI for a remote model.";
            yield break;
        }
        if (o.Dimensions is null)
            yield return $"Embeddings:Dimensions: is required for Embeddings:Provider={o.Provider} (the vector size of '{o.Model}', e.g. 1536 for text-embedding-3-small, 768 for nomic-embed-text). Set Embeddings__Dimensions.";
        if (o.Provider == EmbeddingProvider.AzureOpenAI && string.IsNullOrWhiteSpace(o.Endpoint))
            yield return "Embeddings:Endpoint: is required for AzureOpenAI (https://NAME.openai.azure.com/). Set Embeddings__Endpoint.";
        if (o.Endpoint is { Length: > 0 } e && !UrlCanonicalizer.IsHttpUrl(e, out _))
            yield return $"Embeddings:Endpoint: '{e}' is not an http(s) URL (e.g. http://localhost:11434/v1). Set Embeddings__Endpoint.";
        bool official = o.Provider == EmbeddingProvider.OpenAI && (string.IsNullOrWhiteSpace(o.Endpoint) || o.Endpoint.Contains("api.openai.com", StringComparison.OrdinalIgnoreCase));
        if ((official || o.Provider == EmbeddingProvider.AzureOpenAI) && string.IsNullOrWhiteSpace(o.ApiKey))
            yield return "Embeddings:ApiKey: is required for this endpoint. Set the environment variable Embeddings__ApiKey.";
    }
}
