using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Core.Ports;

namespace NewsBot.Core.Operations;

/// <summary>What became of a request to add a feed.</summary>
public enum AddFeedOutcome
{
    Added,
    AlreadyRegistered,
    /// <summary>The URL failed <see cref="FeedUrl.Check"/>; nothing was fetched.</summary>
    InvalidUrl,
    /// <summary>The URL could not be fetched or is not an RSS/Atom feed.</summary>
    NotAFeed,
}

/// <param name="Url">The URL as registered (trimmed).</param>
/// <param name="Error">Why it was not added (InvalidUrl, NotAFeed), in words for a person.</param>
public sealed record AddFeedResult(AddFeedOutcome Outcome, string Url, string? Title, string? Error)
{
    public bool Registered => Outcome is AddFeedOutcome.Added or AddFeedOutcome.AlreadyRegistered;
}

/// <summary>
/// The one check a feed URL passes before anything is fetched, for every channel (CLI, Telegram):
/// an absolute http(s) URL with a host, no white space or control characters (a second word in a chat
/// message is not part of the URL), no user name or password (they would be stored, listed by /feeds
/// and logged), at most 2048 characters.
/// </summary>
public static class FeedUrl
{
    public const int MaxLength = 2048;

    /// <summary>The reason <see cref="Check"/> gives for anything that is not an absolute http(s) URL.</summary>
    public const string NotHttp = "feeds must be http:// or https:// URLs";

    /// <summary>Null when <paramref name="url"/> (already trimmed) is acceptable, else why not.</summary>
    public static string? Check(string url)
    {
        if (url.Length == 0)
            return "the URL is empty";
        if (url.Length > MaxLength)
            return $"the URL is longer than {MaxLength} characters";
        if (url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return "the URL contains spaces or control characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return NotHttp;
        if (string.IsNullOrEmpty(uri.Host))
            return "the URL has no host name";
        if (uri.UserInfo.Length > 0)
            return "the URL must not contain a user name or password";
        return null;
    }
}

/// <summary>
/// Adds and removes feeds the same way for the CLI (<c>feeds add/remove</c>) and Telegram (/addfeed, /removefeed):
/// <see cref="FeedUrl.Check"/>, then a probe that it is a readable RSS/Atom feed, then the store.
/// </summary>
public sealed class FeedRegistration(IFeedStore feeds, IFeedPoller poller, TimeProvider time, ILogger<FeedRegistration>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<FeedRegistration>.Instance;

    /// <param name="addedBy">"cli" or "telegram:USERID" (see <see cref="FeedRecord.AddedBy"/>).</param>
    /// <param name="trusted">Operator feeds may point at private addresses; feeds from chats pass the SSRF guard.</param>
    public async Task<AddFeedResult> AddAsync(string url, string addedBy, bool trusted, CancellationToken ct = default)
    {
        url = url.Trim();
        if (FeedUrl.Check(url) is { } invalid)
            return new AddFeedResult(AddFeedOutcome.InvalidUrl, url, null, invalid);

        FeedProbe probe;
        try
        {
            probe = await poller.ProbeAsync(url, trusted, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _logger.LogWarning("Probing feed {Url} failed: {Error}", url, $"{ex.GetType().Name}: {ex.Message}");
            probe = new FeedProbe(false, null, "the feed could not be fetched");
        }
        if (!probe.Ok)
            return new AddFeedResult(AddFeedOutcome.NotAFeed, url, null, probe.Error ?? "it is not a readable RSS or Atom feed");

        var added = await feeds.AddFeedAsync(new FeedRecord
        {
            Url = url,
            Title = probe.Title,
            AddedAt = time.GetUtcNow(),
            AddedBy = addedBy,
            Trusted = trusted,
        }, ct).ConfigureAwait(false);
        _logger.LogInformation("{AddedBy} {Outcome} feed {Url}", addedBy, added ? "added" : "re-added (already registered)", url);
        return new AddFeedResult(added ? AddFeedOutcome.Added : AddFeedOutcome.AlreadyRegistered, url, probe.Title, null);
    }

    /// <summary>Unregisters the feed (its articles stay); false when no feed has that URL.</summary>
    public async Task<bool> RemoveAsync(string url, string removedBy, CancellationToken ct = default)
    {
        url = url.Trim();
        var removed = await feeds.RemoveFeedAsync(url, ct).ConfigureAwait(false);
        _logger.LogInformation("{RemovedBy} removed feed {Url}: {Removed}", removedBy, url, removed);
        return removed;
    }
}
