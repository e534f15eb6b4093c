using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Answering;
using NewsBot.Core.Coverage;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.OpenAI;
using Polly.Registry;

namespace NewsBot.Hosting;

/// <summary>
/// Which language model answers, if any (<c>Llm:Provider</c>). The model is optional, and a container cannot register
/// "no service" for <see cref="ILlmAnswerer"/>: a null-object answerer would pass for a model (status would say "llm"),
/// and a factory returning null hides the choice in the container's corner cases. So the host answers this one
/// question through a small interface whose <see cref="Answerer"/> is null when answers are extractive.
/// </summary>
public interface ILlmAnswererProvider
{
    /// <summary>The configured language model; null when <c>Llm:Provider</c> is None (answers are extractive).</summary>
    ILlmAnswerer? Answerer { get; }
}

/// <summary>Answering: the extractive answerer always, the language model when <c>Llm:Provider</c> is set.</summary>
public static class AnsweringRegistration
{
    public const string LlmHttpClient = "newsbot-llm";

    public static IServiceCollection AddNewsBotAnswering(this IServiceCollection services, IConfiguration config)
    {
        services.AddSection<AnsweringOptions>(config, AnsweringOptions.SectionName, o =>
        {
            try
            {
                o.ResolveTimeZone();
                return EmbeddingRegistration.CheckSentenceModel(o.SentenceEmbeddings) is { } error ? [error] : [];
            }
            catch (ArgumentException ex)
            {
                return [ex.Message];
            }
        });
        // unset MinRelevance: the threshold calibrated for the local embedding model in use
        services.PostConfigure<AnsweringOptions>(o =>
        {
            if (o.MinRelevance is not null) return;
            var embeddings = config.GetSection(EmbeddingsOptions.SectionName);
            bool local = !Enum.TryParse<EmbeddingProvider>(embeddings["Provider"], ignoreCase: true, out var provider) || provider == EmbeddingProvider.Local;
            o.MinRelevance = local ? AnsweringOptions.ForModel(embeddings["Model"] ?? new EmbeddingsOptions().Model) : AnsweringOptions.DefaultMinRelevance;
        });
        services.AddSection<LlmOptions>(config, LlmOptions.SectionName, o => o.Validate());
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AnsweringOptions>>().Value);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<LlmOptions>>().Value);
        services.AddHttpClient(LlmHttpClient, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddSingleton(sp => new SentenceModelSlot(EmbeddingRegistration.SentenceEmbedder(sp, sp.GetRequiredService<AnsweringOptions>().SentenceEmbeddings)));
        services.AddSingleton(sp => new ExtractiveAnswerer(sp.GetRequiredService<Embedder>(), sp.GetRequiredService<SentenceModelSlot>().Embedder));
        services.AddSingleton<ILlmAnswererProvider>(sp =>
        {
            var o = sp.GetRequiredService<LlmOptions>();
            if (o.Provider == LlmProvider.None) return new ConfiguredLlm(null);
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(LlmHttpClient);
            var prompts = ResolvePromptsDirectory(o, sp.GetRequiredService<CliContext>());
            var pipeline = sp.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline(LlmRetry.PipelineKey);
            return new ConfiguredLlm(new SemanticKernelAnswerer(SemanticKernelAnswerer.CreateKernel(o, http), prompts, o, pipeline, sp.GetRequiredService<TimeProvider>()));
        });
        services.AddSingleton(sp => new AnswerService(
            sp.GetRequiredService<Retriever>(),
            sp.GetRequiredService<ExtractiveAnswerer>(),
            sp.GetRequiredService<IConversationStore>(),
            sp.GetRequiredService<AnsweringOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AnswerService>>(),
            sp.GetRequiredService<ILlmAnswererProvider>().Answerer,
            sp.GetRequiredService<IArticleStore>(),
            CoverageAnswerer(sp)));
        services.AddSingleton<IAnswerService>(sp => sp.GetRequiredService<AnswerService>());
        return services;
    }

    /// <summary>
    /// Holds <c>Answering:SentenceEmbeddings</c>'s model, if any, so that the container disposes its ONNX session when
    /// the host stops (a container cannot register "no service", as for <see cref="ILlmAnswererProvider"/>).
    /// </summary>
    sealed class SentenceModelSlot(SentenceEmbedder? embedder) : IDisposable
    {
        public SentenceEmbedder? Embedder => embedder;

        public void Dispose()
        {
            if (embedder is { IsCreated: true }) (embedder.Model.Generator as IDisposable)?.Dispose();
        }
    }

    sealed class ConfiguredLlm(ILlmAnswerer? answerer) : ILlmAnswererProvider
    {
        public ILlmAnswerer? Answerer => answerer;
    }

    /// <summary>Coverage answers ("which outlets reported it?") where a story store is registered; none without one.</summary>
    static CoverageAnswerer? CoverageAnswerer(IServiceProvider sp) => sp.GetService<NewsBot.Core.Stories.IStoryStore>() is { } stories
        ? new CoverageAnswerer(sp.GetRequiredService<Retriever>(), stories, sp.GetRequiredService<IArticleStore>(), sp.GetRequiredService<AnsweringOptions>(),
            sp.GetRequiredService<ILogger<CoverageAnswerer>>(), sp.GetRequiredService<ILlmAnswererProvider>().Answerer as ICoverageComparer)
        : null;

    /// <summary>Llm:PromptsDirectory, else ./prompts (a checkout), else the prompts copied next to the app.</summary>
    public static string ResolvePromptsDirectory(LlmOptions o, CliContext ctx)
    {
        if (!string.IsNullOrWhiteSpace(o.PromptsDirectory)) return Path.GetFullPath(o.PromptsDirectory, ctx.WorkingDirectory);
        var local = Path.Combine(ctx.WorkingDirectory, "prompts");
        if (Directory.Exists(Path.Combine(local, "Answer"))) return local;
        return Path.Combine(AppContext.BaseDirectory, "prompts");
    }
}
