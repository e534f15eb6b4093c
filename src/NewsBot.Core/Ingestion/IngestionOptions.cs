using System.ComponentModel.DataAnnotations;

namespace NewsBot.Core.Ingestion;

/// <summary>Configuration section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    public const string SectionName = "Ingestion";

    /// <summary>Largest file or download accepted, in bytes (default 10 MB).</summary>
    [Range(1024, 1L << 34)]
    public long MaxDocumentBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Timeout of one HTTP request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many redirects a download may follow.</summary>
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;

    /// <summary>How often the worker polls registered feeds.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "7.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Feeds registered from configuration (added at start-up of the worker).</summary>
    public List<string> Feeds { get; set; } = [];

    /// <summary>Articles whose estimated similarity to an indexed one is at least this are duplicates.</summary>
    [Range(0.5, 1.0)]
    public double NearDuplicateThreshold { get; set; } = 0.9;

    /// <summary>
    /// Whether URLs that arrive through a chat (for example Telegram <c>/addfeed</c>) may point at
    /// loopback, private, link-local, carrier-grade NAT or other non-public addresses
    /// (key <c>Ingestion:AllowPrivateNetworkForChatUrls</c>, default false). Leave it off unless every
    /// chat user is trusted: with it on, a chat user can make the bot fetch from the bot's own network
    /// (routers, admin pages, cloud metadata at 169.254.169.254). URLs given by the operator on the
    /// command line or in configuration are always allowed to reach private addresses.
    /// </summary>
    public bool AllowPrivateNetworkForChatUrls { get; set; }

    /// <summary>User-Agent sent with downloads.</summary>
    [Required]
    public string UserAgent { get; set; } = "NewsBot/1.0 (+https://github.com/newsbot)";

    /// <summary>File extensions read from folders.</summary>
    public List<string> FileExtensions { get; set; } = [".txt", ".md", ".markdown", ".html", ".htm"];

    /// <summary>Target chunk size in model tokens.</summary>
    [Range(32, 2048)]
    public int ChunkTargetTokens { get; set; } = 220;

    /// <summary>Maximum chunk size in model tokens (the embedding window less room for the title).</summary>
    [Range(32, 8192)]
    public int ChunkMaxTokens { get; set; } = 240;

    /// <summary>Overlap carried from one chunk into the next (one short sentence at most this long).</summary>
    [Range(0, 512)]
    public int ChunkOverlapTokens { get; set; } = 40;

    /// <summary>Folder ingested into an empty store by the quickstart (`ask` on a fresh clone).</summary>
    public string? SampleDirectory { get; set; } = "samples";
}
