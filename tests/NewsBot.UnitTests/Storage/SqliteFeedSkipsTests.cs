using NewsBot.Core.Ports;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

/// <summary>What the last poll of a feed skipped, kept in the meta table (no schema change), per feed.</summary>
public class SqliteFeedSkipsTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly SqliteDatabase _db;

    public SqliteFeedSkipsTests() => _db = new SqliteDatabase(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Skipped_items_of_the_last_poll_are_kept_per_feed_replaced_by_the_next_poll_and_removed_with_the_feed()
    {
        var feeds = new SqliteFeedStore(_db);
        var a = new FeedRecord { Url = "https://a.test/rss", AddedAt = DateTimeOffset.UnixEpoch };
        var b = new FeedRecord { Url = "https://b.test/rss", AddedAt = DateTimeOffset.UnixEpoch.AddSeconds(1) };
        await feeds.AddFeedAsync(a);
        await feeds.AddFeedAsync(b);

        await feeds.UpdateFeedAsync(a with { LastPollSkipped = 2, LastPollSkippedWhy = "2× item: malformed XML\nline two" });
        await feeds.UpdateFeedAsync(b with { LastPollSkippedWhy = "the feed has no items" });
        var listed = await feeds.ListFeedsAsync();
        Assert.Equal(2, listed[0].LastPollSkipped);
        Assert.Equal("2× item: malformed XML\nline two", listed[0].LastPollSkippedWhy);
        Assert.Equal(0, listed[1].LastPollSkipped);
        Assert.Equal("the feed has no items", listed[1].LastPollSkippedWhy);

        await feeds.UpdateFeedAsync(listed[0] with { LastPollSkipped = 0, LastPollSkippedWhy = null });
        var read = (await feeds.GetFeedAsync(a.Url))!;
        Assert.Equal(0, read.LastPollSkipped);
        Assert.Null(read.LastPollSkippedWhy);
        Assert.Null(await _db.GetMetaAsync("feed_skipped:" + a.Url));

        Assert.True(await feeds.RemoveFeedAsync(b.Url));
        Assert.Null(await _db.GetMetaAsync("feed_skipped:" + b.Url));
    }

    [Fact]
    public async Task Updating_a_feed_that_is_not_registered_stores_nothing()
    {
        var feeds = new SqliteFeedStore(_db);
        await feeds.UpdateFeedAsync(new FeedRecord { Url = "https://gone.test/rss", AddedAt = DateTimeOffset.UnixEpoch, LastPollSkipped = 1, LastPollSkippedWhy = "x" });
        Assert.Null(await _db.GetMetaAsync("feed_skipped:https://gone.test/rss"));
    }
}
