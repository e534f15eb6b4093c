using System.Collections.Concurrent;
using NewsBot.Core.Operations;
using NewsBot.Core.Ports;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Operations;

public sealed class FeedRegistrationTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly SqliteFeedStore _feeds;
    readonly ProbingPoller _poller = new();
    readonly FeedRegistration _registration;
    static readonly DateTimeOffset Now = new(2025, 3, 12, 9, 0, 0, TimeSpan.Zero);

    public FeedRegistrationTests()
    {
        _feeds = new SqliteFeedStore(new SqliteDatabase(_dir.Path));
        _registration = new FeedRegistration(_feeds, _poller, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    public static TheoryData<string> BadUrls => new()
    {
        "",
        "example.org/feed.xml",
        "ftp://example.org/feed.xml",
        "file:///etc/passwd",
        "/etc/passwd",
        "javascript:alert(1)",
        "https://",
        "https://user:secret@example.org/feed.xml",
        "https://example.org/feed.xml extra",
        "https://example.org/fe\ted.xml",
        "https://example.org/" + new string('a', FeedUrl.MaxLength),
    };

    [Theory]
    [MemberData(nameof(BadUrls))]
    public async Task Bad_urls_are_refused_before_anything_is_fetched_or_stored(string url)
    {
        Assert.NotNull(FeedUrl.Check(url.Trim()));
        var r = await _registration.AddAsync(url, "cli", trusted: true);
        Assert.Equal(AddFeedOutcome.InvalidUrl, r.Outcome);
        Assert.False(r.Registered);
        Assert.False(string.IsNullOrWhiteSpace(r.Error));
        Assert.Empty(_poller.Probes);
        Assert.Empty(await _feeds.ListFeedsAsync());
    }

    [Theory]
    [InlineData("https://example.org/feed.xml")]
    [InlineData("http://news.example.com:8080/rss?lang=en")]
    [InlineData("  https://example.org/atom  ")]
    public void Good_urls_pass_the_check(string url) => Assert.Null(FeedUrl.Check(url.Trim()));

    [Fact]
    public async Task A_readable_feed_is_added_once_with_its_title_who_added_it_and_trust()
    {
        var first = await _registration.AddAsync("  https://example.org/feed.xml ", "telegram:7", trusted: false);
        Assert.Equal(AddFeedOutcome.Added, first.Outcome);
        Assert.Equal("https://example.org/feed.xml", first.Url);
        Assert.Equal("Example feed", first.Title);
        Assert.Equal(("https://example.org/feed.xml", false), Assert.Single(_poller.Probes));

        var stored = Assert.Single(await _feeds.ListFeedsAsync());
        Assert.Equal("Example feed", stored.Title);
        Assert.Equal("telegram:7", stored.AddedBy);
        Assert.False(stored.Trusted);
        Assert.Equal(Now, stored.AddedAt);

        var again = await _registration.AddAsync("https://example.org/feed.xml", "cli", trusted: true);
        Assert.Equal(AddFeedOutcome.AlreadyRegistered, again.Outcome);
        Assert.True(again.Registered);
        Assert.Single(await _feeds.ListFeedsAsync());
    }

    [Fact]
    public async Task A_url_that_is_no_feed_or_cannot_be_fetched_is_not_stored_and_says_why()
    {
        var notFeed = await _registration.AddAsync("https://example.org/page.html", "cli", trusted: true);
        Assert.Equal(AddFeedOutcome.NotAFeed, notFeed.Outcome);
        Assert.Equal("it is an HTML page", notFeed.Error);

        var failing = await _registration.AddAsync("https://example.org/throws", "cli", trusted: true);
        Assert.Equal(AddFeedOutcome.NotAFeed, failing.Outcome);
        Assert.Equal("the feed could not be fetched", failing.Error);

        Assert.Empty(await _feeds.ListFeedsAsync());
    }

    [Fact]
    public async Task Removing_says_whether_the_feed_was_registered()
    {
        await _registration.AddAsync("https://example.org/feed.xml", "cli", trusted: true);
        Assert.True(await _registration.RemoveAsync(" https://example.org/feed.xml ", "cli"));
        Assert.False(await _registration.RemoveAsync("https://example.org/feed.xml", "cli"));
        Assert.Empty(await _feeds.ListFeedsAsync());
    }

    sealed class ProbingPoller : IFeedPoller
    {
        public ConcurrentQueue<(string Url, bool Trusted)> Probes { get; } = new();

        public Task<FeedProbe> ProbeAsync(string url, bool trusted, CancellationToken ct = default)
        {
            Probes.Enqueue((url, trusted));
            if (url.EndsWith("/throws", StringComparison.Ordinal))
                throw new HttpRequestException("connection refused");
            return Task.FromResult(url.EndsWith(".html", StringComparison.Ordinal)
                ? new FeedProbe(false, null, "it is an HTML page")
                : new FeedProbe(true, "Example feed", null));
        }

        public IAsyncEnumerable<SourceItem> PollAsync(FeedRecord feed, CancellationToken ct = default) => AsyncEnumerable.Empty<SourceItem>();
    }
}
