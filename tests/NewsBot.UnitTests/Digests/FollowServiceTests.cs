using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NewsBot.Core.Follows;
using NewsBot.Core.Stories;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Digests;

public class FollowServiceTests : IDisposable
{
    readonly StoryWorld _world = new();
    readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    readonly RecordingNotifier _notifier = new();
    readonly SqliteFollowStore _store;
    readonly FollowOptions _options = new();
    readonly TopicMatcher _matcher;

    public FollowServiceTests()
    {
        _store = new SqliteFollowStore(_world.Database);
        _matcher = new TopicMatcher(_world);
    }

    public void Dispose() => _world.Dispose();

    /// <summary>Matches a topic to the story whose title shares a word with it (the real matcher searches the index).</summary>
    sealed class TopicMatcher(IStoryStore stories) : IStoryMatcher
    {
        public async Task<Story?> MatchAsync(string topic, DateTimeOffset? firstSeenAfter = null, CancellationToken ct = default)
        {
            var words = topic.ToLowerInvariant().Split(' ');
            return (await stories.ListStoriesAsync(null, null, ct)).FirstOrDefault(s =>
                (firstSeenAfter is null || s.FirstSeen >= firstSeenAfter) && words.Any(w => s.Title.ToLowerInvariant().Split(' ').Contains(w)));
        }
    }

    /// <summary>A fresh service over the same database: what a restarted worker builds.</summary>
    FollowService Service() => new(_store, _world, _world.Articles, _matcher, _notifier, _options, _clock, TestLog.For<FollowService>());

    DateTimeOffset Now => _clock.GetUtcNow();

    async Task BridgeAsync()
    {
        await _world.AddAsync("bridge", "b1", "Valley Wire", Now.AddHours(-3), "Harbour bridge closed after cracks found",
            "The harbour bridge was closed to all traffic on Friday after engineers found cracks in two support beams.");
        await _world.AddAsync("bridge", "b2", "Coast Herald", Now.AddHours(-2), "Cracks shut harbour bridge",
            "The harbour bridge was closed to all traffic on Friday after engineers discovered cracks in two support beams.");
    }

    [Fact]
    public async Task A_new_article_in_a_followed_story_sends_one_update_naming_the_new_outlet_and_only_what_is_new()
    {
        await BridgeAsync();
        var followed = await Service().FollowTopicAsync(5, ["harbour", "bridge"]);
        Assert.Equal("bridge", followed.Story!.Id);
        Assert.Equal(0, await Service().RunAsync()); // nothing new yet

        _clock.Advance(TimeSpan.FromMinutes(10));
        await _world.AddAsync("bridge", "b3", "River Post", Now, "Bridge repairs to take months",
            "The harbour bridge was closed to all traffic on Friday after engineers found cracks in two support beams.",
            "Repairs to the harbour bridge will take at least four months, the city's transport office said on Saturday.");
        await _world.AddAsync("cup", "c1", "Sport Daily", Now, "Rovers reach cup final",
            "Rovers beat United 2-1 on Saturday to reach the cup final for the first time in a decade.");

        Assert.Equal(1, await Service().RunAsync());
        Assert.Equal(0, await Service().RunAsync()); // polling again sends nothing more
        var update = Assert.IsType<FollowUpdateNotification>(Assert.Single(_notifier.Sent).Notification).Update;
        Assert.Equal(["River Post"], update.Outlets);
        Assert.Equal(["b3"], update.Articles.Select(a => a.Id));
        // the lead the chat already knew (said by two outlets before) is not news; the new fact is
        var sentence = Assert.Single(update.NewSentences);
        Assert.StartsWith("Repairs to the harbour bridge will take at least four months", sentence);
        Assert.EndsWith("[1]", sentence);
    }

    [Fact]
    public async Task Updates_are_spaced_by_the_minimum_interval_and_articles_arriving_meanwhile_are_batched()
    {
        await BridgeAsync();
        await Service().FollowTopicAsync(5, ["bridge"]);
        await _world.AddAsync("bridge", "b3", "River Post", Now, "Bridge repairs to take months",
            "Repairs to the harbour bridge will take at least four months, the city's transport office said on Saturday.");
        Assert.Equal(1, await Service().RunAsync());

        _clock.Advance(TimeSpan.FromMinutes(20));
        await _world.AddAsync("bridge", "b4", "Valley Wire", Now, "Ferries added while bridge is shut",
            "Two extra ferries will cross the harbour every hour while the bridge stays closed, the operator announced.");
        _clock.Advance(TimeSpan.FromMinutes(5));
        await _world.AddAsync("bridge", "b5", "Coast Herald", Now, "Shops near bridge report losses",
            "Shop owners near the closed bridge reported a sharp fall in customers during the first weekend of the closure.");
        Assert.Equal(0, await Service().RunAsync()); // within the hour: held back

        _clock.Advance(TimeSpan.FromMinutes(36));
        Assert.Equal(1, await Service().RunAsync());
        var second = Assert.IsType<FollowUpdateNotification>(_notifier.Sent[^1].Notification).Update;
        Assert.Equal(["b4", "b5"], second.Articles.Select(a => a.Id));
        Assert.Equal(2, _notifier.Sent.Count);
    }

    [Fact]
    public async Task A_topic_with_no_story_yet_is_followed_and_updated_when_a_matching_story_appears()
    {
        var f = await Service().FollowTopicAsync(5, ["tram", "strike"]);
        Assert.Null(f.Story);
        Assert.Equal("tram strike", f.Follow!.Topic);
        _clock.Advance(TimeSpan.FromHours(2));
        await _world.AddAsync("tram", "t1", "Valley Wire", Now, "Tram drivers strike",
            "Tram drivers walked out on Monday morning over pay, leaving thousands of commuters without a service.");
        Assert.Equal(1, await Service().RunAsync());
        Assert.Equal("tram", (await _store.ListAsync(5)).Single().StoryId);
    }

    [Fact]
    public async Task A_merged_story_keeps_its_followers()
    {
        await BridgeAsync();
        await Service().FollowTopicAsync(5, ["bridge"]);
        await _world.AddAsync("repairs", "r1", "River Post", Now, "Repair crews start work",
            "Repair crews began replacing the cracked beams under the harbour bridge on Monday, the city said.");
        _world.Merge("bridge", "repairs");
        Assert.Equal(1, await Service().RunAsync());
        Assert.Equal(["r1"], Assert.IsType<FollowUpdateNotification>(_notifier.Sent.Single().Notification).Update.Articles.Select(a => a.Id));
    }

    [Fact]
    public async Task Excluded_words_keep_matching_articles_out_of_updates()
    {
        await BridgeAsync();
        await Service().FollowTopicAsync(5, ["bridge", "-ferry"]);
        await _world.AddAsync("bridge", "b4", "Valley Wire", Now, "Ferries added while bridge is shut",
            "Two extra ferry crossings every hour will run while the bridge stays closed, the operator announced.");
        Assert.Equal(0, await Service().RunAsync());
        Assert.Empty(_notifier.Sent);
    }

    [Fact]
    public async Task A_story_quiet_for_the_expiry_time_stops_being_followed_and_the_chat_is_told()
    {
        await BridgeAsync();
        await Service().FollowTopicAsync(5, ["bridge"]);
        _clock.Advance(_options.ExpireAfter + TimeSpan.FromMinutes(1));
        await Service().RunAsync();
        Assert.IsType<FollowEndedNotification>(Assert.Single(_notifier.Sent).Notification);
        Assert.Empty(await _store.ListAsync(5));
    }

    [Fact]
    public async Task Following_needs_a_topic_and_unfollow_takes_the_listed_number()
    {
        Assert.NotNull((await Service().FollowTopicAsync(5, ["-sport"])).Error);
        await BridgeAsync();
        await Service().FollowTopicAsync(5, ["bridge"]);
        await Service().FollowTopicAsync(5, ["bridge"]); // the same story twice: one follow
        Assert.Single(await Service().ListAsync(5));
        Assert.NotNull((await Service().UnfollowAsync(5, "3")).Error);
        Assert.Equal(1, (await Service().UnfollowAsync(5, "1")).Removed);
        Assert.Empty(await Service().ListAsync(5));
    }

    [Fact]
    public async Task A_failed_send_is_undone_so_the_next_run_sends_the_same_update()
    {
        await BridgeAsync();
        await Service().FollowTopicAsync(5, ["bridge"]);
        await _world.AddAsync("bridge", "b3", "River Post", Now, "Bridge repairs to take months",
            "Repairs to the harbour bridge will take at least four months, the city's transport office said on Saturday.");
        _notifier.FailWith = new HttpRequestException("Telegram is down");
        Assert.Equal(0, await Service().RunAsync());
        _notifier.FailWith = null;
        Assert.Equal(1, await Service().RunAsync());
        var update = Assert.IsType<FollowUpdateNotification>(Assert.Single(_notifier.Sent).Notification).Update;
        Assert.Single(update.NewSentences); // the sentence recorded by the failed try was forgotten with it
    }
}
