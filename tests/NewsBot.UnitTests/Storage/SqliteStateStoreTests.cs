using NewsBot.Core.Ports;
using NewsBot.Sqlite;
using NewsBot.UnitTests.Fakes;

namespace NewsBot.UnitTests.Storage;

public class SqliteStateStoreTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly SqliteDatabase _db;

    public SqliteStateStoreTests() => _db = new SqliteDatabase(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Feeds_are_added_once_updated_listed_and_removed_with_their_seen_items()
    {
        var feeds = new SqliteFeedStore(_db);
        var f = new FeedRecord { Url = "https://x.test/rss", Title = "X", AddedAt = DateTimeOffset.UnixEpoch };
        Assert.True(await feeds.AddFeedAsync(f));
        Assert.False(await feeds.AddFeedAsync(f));
        await feeds.UpdateFeedAsync(f with { ETag = "\"abc\"", LastError = "HTTP 500", ConsecutiveFailures = 2 });
        var read = await feeds.GetFeedAsync(f.Url);
        Assert.Equal("\"abc\"", read!.ETag);
        Assert.Equal(2, read.ConsecutiveFailures);
        await feeds.MarkItemSeenAsync(f.Url, "item-1");
        await feeds.MarkItemSeenAsync(f.Url, "item-1");
        Assert.True(await feeds.IsItemSeenAsync(f.Url, "item-1"));
        Assert.False(await feeds.IsItemSeenAsync(f.Url, "item-2"));
        Assert.Equal(1, (await feeds.GetFeedAsync(f.Url))!.ItemsIngested);
        // an item seen under an older kind of id is carried over to its new id, counted once
        Assert.True(await feeds.MoveSeenItemAsync(f.Url, "item-1", "item-1#v=abc"));
        Assert.False(await feeds.IsItemSeenAsync(f.Url, "item-1"));
        Assert.True(await feeds.IsItemSeenAsync(f.Url, "item-1#v=abc"));
        Assert.False(await feeds.MoveSeenItemAsync(f.Url, "item-1", "item-1#v=def"));
        Assert.Equal(1, (await feeds.GetFeedAsync(f.Url))!.ItemsIngested);
        Assert.True(await feeds.RemoveFeedAsync(f.Url));
        Assert.Empty(await feeds.ListFeedsAsync());
        Assert.False(await feeds.IsItemSeenAsync(f.Url, "item-1#v=abc"));
    }

    [Fact]
    public async Task Conversations_keep_only_the_last_turns_and_survive_a_new_store_instance()
    {
        var store = new SqliteConversationStore(_db);
        for (int i = 0; i < 5; i++)
            await store.AppendAsync(new ConversationTurn { ConversationId = "c1", Question = "q" + i, StandaloneQuery = "s" + i, Answer = "a" + i, CitedArticleIds = ["x" + i], At = DateTimeOffset.UnixEpoch }, maxTurns: 3);
        var reopened = new SqliteConversationStore(new SqliteDatabase(_dir.Path));
        var turns = await reopened.GetRecentAsync("c1", 10);
        Assert.Equal(["q2", "q3", "q4"], turns.Select(t => t.Question));
        Assert.Equal(["x4"], turns[^1].CitedArticleIds);
        Assert.Empty(await reopened.GetRecentAsync("c2", 10));
        await reopened.ClearAsync("c1");
        Assert.Empty(await store.GetRecentAsync("c1", 10));
    }

    [Fact]
    public async Task Inbox_refuses_known_update_ids_and_returns_pending_ones_in_order()
    {
        var inbox = new SqliteInboxStore(_db, TimeProvider.System);
        Assert.True(await inbox.TryAddAsync("telegram", 11, "{b}"));
        Assert.True(await inbox.TryAddAsync("telegram", 10, "{a}"));
        Assert.False(await inbox.TryAddAsync("telegram", 10, "{a again}"));
        Assert.Equal([10L, 11L], (await inbox.GetPendingAsync("telegram")).Select(i => i.UpdateId));
        await inbox.MarkDoneAsync("telegram", 10);
        Assert.False(await inbox.TryAddAsync("telegram", 10, "{a redelivered}"));
        Assert.Equal([11L], (await inbox.GetPendingAsync("telegram")).Select(i => i.UpdateId));
        await inbox.RecordAttemptAsync("telegram", 11);
        Assert.Equal(1, (await inbox.GetPendingAsync("telegram"))[0].Attempts);
        Assert.Equal(11, await inbox.GetLastUpdateIdAsync("telegram"));
        Assert.Null(await inbox.GetLastUpdateIdAsync("other"));
    }

    [Fact]
    public async Task Inbox_forgets_only_the_done_update_ids_of_the_channel_so_a_renumbered_id_can_be_stored_again()
    {
        var inbox = new SqliteInboxStore(_db, TimeProvider.System);
        await inbox.TryAddAsync("telegram", 500, "{old}");
        await inbox.MarkDoneAsync("telegram", 500);
        await inbox.TryAddAsync("telegram", 900, "{old pending}");
        await inbox.TryAddAsync("other", 7, "{x}");
        await inbox.MarkDoneAsync("other", 7);

        Assert.Equal(1, await inbox.ForgetDoneAsync("telegram"));

        Assert.True(await inbox.TryAddAsync("telegram", 500, "{new numbering}"));
        Assert.Equal([500L, 900L], (await inbox.GetPendingAsync("telegram")).Select(i => i.UpdateId));
        Assert.False(await inbox.TryAddAsync("other", 7, "{x again}"));
    }
}
