using NewsBot.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NewsBot.Core.Answering;
using NewsBot.Core.Ports;
using NewsBot.Telegram;
using NewsBot.Telegram.Hosting;

namespace NewsBot.IntegrationTests.Telegram;

/// <summary>
/// The Telegram channel as the host wires it (AddNewsBotTelegram + hosted services), talking through the real
/// TelegramBotClient to a <see cref="FakeBotApiServer"/>, with fake ports and every log line captured.
/// </summary>
public sealed class TelegramBotHarness : IAsyncDisposable
{
    public const string Token = "7000001:AAHsecretTOKENvalue_0123456789-abcdef";
    public const long UserId = 42;
    public const long AdminId = 1;

    public required FakeBotApiServer Server { get; init; }
    public ServiceProvider Services { get; private set; } = null!;
    public required ScriptedAnswerService Answers { get; init; }
    public required InMemoryInboxStore Inbox { get; init; }
    public InMemoryFeedStore Feeds { get; } = new();
    public FakeFeedPoller Poller { get; } = new();
    public InMemoryArticleStore Articles { get; } = new();
    public CapturingLoggerProvider Logs { get; } = new();
    private bool _ownsServer;
    private IHostedService[] _hosted = [];

    public static async Task<TelegramBotHarness> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? services = null,
        FakeBotApiServer? server = null,
        InMemoryInboxStore? inbox = null,
        ScriptedAnswerService? answers = null,
        TimeProvider? clock = null)
    {
        var ownsServer = server is null;
        server ??= await FakeBotApiServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Telegram:BotToken"] = Token,
            ["Telegram:BaseUrl"] = server.BaseUrl,
            ["Telegram:PollingTimeoutSeconds"] = "1",
            ["Telegram:AdminUserIds:0"] = AdminId.ToString(),
        };
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        var harness = new TelegramBotHarness
        {
            Server = server,
            Answers = answers ?? new ScriptedAnswerService(),
            Inbox = inbox ?? new InMemoryInboxStore(),
            Clock = clock ?? TimeProvider.System,
            _ownsServer = ownsServer,
        };
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(harness.Logs).AddProvider(LogSecretScanner.Provider));
        collection.AddSingleton<IAnswerService>(harness.Answers);
        collection.AddSingleton<IInboxStore>(harness.Inbox);
        collection.AddSingleton<IFeedStore>(harness.Feeds);
        collection.AddSingleton<IFeedPoller>(harness.Poller);
        collection.AddSingleton<IArticleStore>(harness.Articles);
        AddDigestServices(collection, harness.DataDirectory, harness.Clock);
        collection.AddNewsBotTelegram(configuration);
        collection.AddNewsBotResilience(configuration); // the host's retry pipelines (Telegram sends, reconnects, updates)
        services?.Invoke(collection);

        harness.Services = collection.BuildServiceProvider();
        harness._hosted = [.. harness.Services.GetServices<IHostedService>()];
        foreach (var hosted in harness._hosted)
            await hosted.StartAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>A real SQLite file for stories, digest subscriptions and follows (the Telegram commands need them).</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("newsbot-tg-").FullName;

    /// <summary>The clock of the digest and follow services (a test may replace it before starting).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public static void AddDigestServices(IServiceCollection c, string dataDirectory, TimeProvider clock)
    {
        var Clock = clock;
        c.AddSingleton(new NewsBot.Sqlite.SqliteDatabase(dataDirectory));
        c.AddSingleton<NewsBot.Core.Stories.IStoryStore>(sp => new NewsBot.Sqlite.SqliteStoryStore(sp.GetRequiredService<NewsBot.Sqlite.SqliteDatabase>(), Clock));
        c.AddSingleton<NewsBot.Core.Digests.IDigestSubscriptionStore>(sp => new NewsBot.Sqlite.SqliteDigestStore(sp.GetRequiredService<NewsBot.Sqlite.SqliteDatabase>()));
        c.AddSingleton<NewsBot.Core.Follows.IFollowStore>(sp => new NewsBot.Sqlite.SqliteFollowStore(sp.GetRequiredService<NewsBot.Sqlite.SqliteDatabase>()));
        c.AddSingleton(new NewsBot.Core.Digests.DigestOptions());
        c.AddSingleton(new NewsBot.Core.Follows.FollowOptions());
        c.AddSingleton(sp => new NewsBot.Core.Digests.DigestComposer(sp.GetRequiredService<NewsBot.Core.Stories.IStoryStore>(), sp.GetRequiredService<IArticleStore>()));
        c.AddSingleton<NewsBot.Core.Follows.IStoryMatcher, NoStoryMatcher>();
        c.AddSingleton(sp => new NewsBot.Core.Follows.FollowService(
            sp.GetRequiredService<NewsBot.Core.Follows.IFollowStore>(), sp.GetRequiredService<NewsBot.Core.Stories.IStoryStore>(), sp.GetRequiredService<IArticleStore>(),
            sp.GetRequiredService<NewsBot.Core.Follows.IStoryMatcher>(), sp.GetRequiredService<NewsBot.Core.Digests.IChatNotifier>(),
            sp.GetRequiredService<NewsBot.Core.Follows.FollowOptions>(), Clock, sp.GetRequiredService<ILogger<NewsBot.Core.Follows.FollowService>>()));
        c.AddSingleton(sp => new NewsBot.Core.Digests.DigestScheduler(
            sp.GetRequiredService<NewsBot.Core.Digests.IDigestSubscriptionStore>(), sp.GetRequiredService<NewsBot.Core.Digests.DigestComposer>(),
            sp.GetRequiredService<NewsBot.Core.Digests.IChatNotifier>(), sp.GetRequiredService<NewsBot.Core.Digests.DigestOptions>(), Clock,
            sp.GetRequiredService<ILogger<NewsBot.Core.Digests.DigestScheduler>>()));
    }

    /// <summary>Topics match no story (the real matcher searches the index, which this harness has none of).</summary>
    sealed class NoStoryMatcher : NewsBot.Core.Follows.IStoryMatcher
    {
        public Task<NewsBot.Core.Stories.Story?> MatchAsync(string topic, DateTimeOffset? firstSeenAfter = null, CancellationToken ct = default)
            => Task.FromResult<NewsBot.Core.Stories.Story?>(null);
    }

    /// <summary>Stops the hosted services like the host does, with the given shutdown timeout.</summary>
    public async Task StopAsync(TimeSpan? shutdownTimeout = null)
    {
        using var cts = new CancellationTokenSource(shutdownTimeout ?? TimeSpan.FromSeconds(5));
        foreach (var hosted in _hosted.Reverse())
            await hosted.StopAsync(cts.Token);
        _hosted = [];
    }

    public string AllLogs => string.Join("\n", Logs.Lines);

    /// <summary>Completes when the polling service has returned on its own (e.g. after Telegram rejected the token).</summary>
    public Task PollingStopped => _hosted.OfType<TelegramPollingService>().Single().ExecuteTask ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Services.DisposeAsync();
        if (_ownsServer)
            await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
    }
}
