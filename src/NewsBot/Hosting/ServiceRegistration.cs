using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Operations;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Text;
using NewsBot.Sqlite;

namespace NewsBot.Hosting;

/// <summary>Wires the adapters to the domain. The only place that knows every project.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddNewsBot(this IServiceCollection services, IConfiguration config, CliContext ctx)
    {
        services.AddSingleton(ctx);
        services.AddSingleton(TimeProvider.System);
        services.AddNewsBotResilience(config);

        services.AddSection<StorageOptions>(config, StorageOptions.SectionName);
        services.AddSection<IndexOptions>(config, IndexOptions.SectionName);
        services.AddSection<RetrievalOptions>(config, IndexOptions.SectionName);
        services.AddSection<IngestionOptions>(config, IngestionOptions.SectionName, o =>
            o.ChunkTargetTokens > o.ChunkMaxTokens
                ? [SectionValidator<IngestionOptions>.Describe(IngestionOptions.SectionName, nameof(o.ChunkTargetTokens), $"must not exceed Ingestion:ChunkMaxTokens ({o.ChunkMaxTokens})")]
                : []);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<IngestionOptions>>().Value);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RetrievalOptions>>().Value);

        // the embedded SQLite database: registry, feeds, conversations, inbox (in every mode), chunks (embedded index)
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new SqliteDatabase(Path.GetFullPath(storage.DataDirectory, ctx.WorkingDirectory), storage.SqliteCacheMb);
        });
        services.AddSingleton<IArticleStore, SqliteArticleStore>();
        services.AddSingleton<IFeedStore, SqliteFeedStore>();
        services.AddSingleton<IConversationStore, SqliteConversationStore>();
        services.AddSingleton<IInboxStore, SqliteInboxStore>();
        services.AddSingleton(sp => new SqliteArticleIndex(
            sp.GetRequiredService<SqliteDatabase>(),
            sp.GetRequiredService<RetrievalOptions>().RrfK,
            sp.GetRequiredService<ILogger<SqliteArticleIndex>>()));
        services.AddSingleton<IArticleIndex>(sp =>
        {
            var provider = sp.GetRequiredService<IOptions<IndexOptions>>().Value.Provider;
            return provider switch
            {
                IndexProvider.Embedded => sp.GetRequiredService<SqliteArticleIndex>(),
                _ => IndexRegistration.CreateRemoteIndex(sp, provider),
            };
        });
        // the term statistics of the same index, through their own port (the relevance checks judge alike on every index)
        services.AddSingleton<ITermStatistics>(sp =>
        {
            var provider = sp.GetRequiredService<IOptions<IndexOptions>>().Value.Provider;
            return provider switch
            {
                IndexProvider.Embedded => sp.GetRequiredService<SqliteArticleIndex>(),
                _ => IndexRegistration.CreateRemoteTermStatistics(sp, provider),
            };
        });

        NewsBot.Qdrant.QdrantServiceCollectionExtensions.AddNewsBotQdrant(services, config);
        services.AddNewsBotEmbeddings(config);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IngestionOptions>();
            return new Chunker(sp.GetRequiredService<ITokenCounter>(), new ChunkerOptions
            {
                TargetTokens = o.ChunkTargetTokens,
                MaxTokens = o.ChunkMaxTokens,
                OverlapTokens = o.ChunkOverlapTokens,
            });
        });
        services.AddSingleton(LexicalEncoder.Default);
        services.AddSingleton<Retriever>();
        services.AddSingleton<IngestionPipeline>();
        services.AddNewsBotStories(config);
        services.AddNewsBotSourcesAdapter();
        services.AddNewsBotAnswering(config);
        services.AddNewsBotDigests(config);
        services.AddNewsBotRetention();
        services.AddSingleton<FeedRegistration>();
        // The status service asks "which answer mode" through IAnswerModeInfo, so only this line knows where the model is held.
        services.AddSingleton<IAnswerModeInfo>(sp => new HostAnswerModeInfo(sp.GetRequiredService<ILlmAnswererProvider>().Answerer));
        services.AddSingleton<IStoreInfo, HostStoreInfo>();
        services.AddSingleton<ISystemStatusProvider, SystemStatusService>();
        return services;
    }
}
