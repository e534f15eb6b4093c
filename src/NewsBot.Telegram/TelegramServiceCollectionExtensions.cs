using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NewsBot.Core.Operations;
using NewsBot.Core.Ports;
using NewsBot.Telegram.Callbacks;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Hosting;
using Telegram.Bot;

namespace NewsBot.Telegram;

public static class TelegramServiceCollectionExtensions
{
    /// <summary>The named HttpClient the bot client uses (its logging handlers are removed: the URL contains the token).</summary>
    public const string HttpClientName = "NewsBot.Telegram";

    /// <summary>
    /// Registers the Telegram channel: options (section <c>Telegram</c>, validated on start), the named HttpClient
    /// without loggers, <see cref="ITelegramBotClient"/>, the update handler and dispatcher, and — only when
    /// <c>Telegram:BotToken</c> is set — <see cref="TelegramPollingService"/> (no WebhookUrl) or
    /// <see cref="TelegramWebhookService"/> (WebhookUrl set; also call <c>app.MapTelegramWebhook()</c>).
    /// The host must register <c>IAnswerService</c>, <c>IInboxStore</c>, <c>IArticleStore</c>, <c>IFeedStore</c>
    /// and <c>IFeedPoller</c>; when it registers no <c>ISystemStatusProvider</c>, /status reports counts and feeds
    /// from <see cref="SystemStatusService"/> with whatever optional parts (index, embedder, answer mode, store) it has.
    /// </summary>
    public static IServiceCollection AddNewsBotTelegram(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(TelegramOptions.SectionName);
        var configured = section.Get<TelegramOptions>() ?? new TelegramOptions();
        var enabled = !string.IsNullOrWhiteSpace(configured.BotToken);

        var optionsBuilder = services.AddOptions<TelegramOptions>().Bind(section);
        if (enabled)
            optionsBuilder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelegramOptions>, TelegramOptionsValidator>());
        services.AddSingleton<IValidateOptions<TelegramOptions>>(new TelegramIdListValidator(configuration));
        services.TryAddSingleton(TimeProvider.System);

        services.AddHttpClient(HttpClientName, client =>
            {
                // Long polls last PollingTimeoutSeconds; leave room above it.
                client.Timeout = TimeSpan.FromSeconds(Math.Max(100, configured.PollingTimeoutSeconds + 30));
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(3) })
            .AddHttpMessageHandler(() => new SendCommitHandler()) // digests and follow updates are recorded right before they leave
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan) // the client is a singleton; the pool above recycles connections
            .RemoveAllLoggers();

        services.TryAddSingleton<ITelegramBotClient>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TelegramOptions>>().Value;
            if (string.IsNullOrWhiteSpace(o.BotToken))
                throw new InvalidOperationException("Telegram:BotToken is not set; set the environment variable Telegram__BotToken to the token from @BotFather.");
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            var clientOptions = new TelegramBotClientOptions(o.BotToken.Trim(), string.IsNullOrWhiteSpace(o.BaseUrl) ? null : o.BaseUrl.Trim())
            {
                RetryThreshold = 60, // the client itself waits out 429 "retry after N" when N <= 60 s …
                RetryCount = 3,      // … up to 3 attempts
            };
            return new TelegramBotClient(clientOptions, http);
        });

        services.TryAddSingleton<BotIdentity>();
        services.TryAddSingleton<LogRedaction>();
        services.TryAddSingleton<AccessPolicy>();
        services.TryAddSingleton<UserRateLimiter>();
        services.TryAddSingleton<SourcesCache>();
        services.TryAddSingleton<TelegramSendLimiter>();
        services.TryAddSingleton<TelegramSender>();
        services.TryAddSingleton<MessageClassifier>();
        services.TryAddSingleton<QuestionAnswerer>();
        services.TryAddSingleton<IChatAdmins, TelegramChatAdmins>();
        services.TryAddSingleton<TelegramCommandRouter>();
        services.TryAddSingleton<TelegramCallbackRouter>();
        services.TryAddSingleton<TelegramUpdateHandler>();
        services.TryAddSingleton<TelegramUpdateDispatcher>();
        services.TryAddSingleton<TelegramStartup>();
        services.TryAddSingleton<FeedRegistration>();
        services.TryAddSingleton<ISystemStatusProvider, SystemStatusService>();

        // Commands, in the order /help and the command menu list them (admin-only ones come last there anyway).
        services.AddTelegramCommand<AskCommand>();
        services.AddTelegramCommand<NewCommand>();
        services.AddTelegramCommand<SourcesCommand>();
        services.AddTelegramCommand<FeedsCommand>();
        services.AddTelegramCommand<HelpCommand>();
        services.AddTelegramCommand<StartCommand>();
        services.AddTelegramCommand<AddFeedCommand>();
        services.AddTelegramCommand<RemoveFeedCommand>();
        services.AddTelegramCommand<StatusCommand>();
        services.AddTelegramCommand<Digests.StoriesCommand>();
        services.AddTelegramCommand<Digests.DigestCommand>();
        services.AddTelegramCommand<Digests.SubscribeCommand>();
        services.AddTelegramCommand<Digests.UnsubscribeCommand>();
        services.AddTelegramCommand<Digests.SettingsCommand>();
        services.AddTelegramCommand<Digests.FollowCommand>();
        services.AddTelegramCommand<Digests.FollowingCommand>();
        services.AddTelegramCommand<Digests.UnfollowCommand>();

        // Inline-button handlers, one per callback-data prefix.
        services.AddTelegramCallback<SourcesCallbackHandler>();
        services.AddTelegramCallback<Digests.FollowCallbackHandler>();

        // digests and follow updates reach chats through the same sender as answers
        services.TryAddSingleton<Digests.TelegramNotifier>();
        services.TryAddSingleton<NewsBot.Core.Digests.IChatNotifier>(sp => sp.GetRequiredService<Digests.TelegramNotifier>());

        if (enabled)
        {
            if (string.IsNullOrWhiteSpace(configured.WebhookUrl))
                services.AddHostedService<TelegramPollingService>();
            else
                services.AddHostedService<TelegramWebhookService>();
        }
        return services;
    }

    /// <summary>Registers a slash command (see <see cref="ITelegramCommand"/>); registering the same class twice is a no-op.</summary>
    public static IServiceCollection AddTelegramCommand<TCommand>(this IServiceCollection services)
        where TCommand : class, ITelegramCommand
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITelegramCommand, TCommand>());
        return services;
    }

    /// <summary>Registers an inline-button handler (see <see cref="ITelegramCallbackHandler"/>).</summary>
    public static IServiceCollection AddTelegramCallback<THandler>(this IServiceCollection services)
        where THandler : class, ITelegramCallbackHandler
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITelegramCallbackHandler, THandler>());
        return services;
    }
}
