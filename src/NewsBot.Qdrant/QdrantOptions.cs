using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace NewsBot.Qdrant;

/// <summary>
/// Configuration section <c>Qdrant</c>: where the Qdrant index lives and how to talk to it (gRPC).
/// The API key is a secret: set it through the environment (<c>Qdrant__ApiKey</c>), never in appsettings.
/// <see cref="ToString"/> never shows it, and nothing logs this object.
/// </summary>
public sealed class QdrantOptions
{
    public const string SectionName = "Qdrant";

    /// <summary>Qdrant's gRPC endpoint (port 6334 by default; 6333 is the REST port, which this adapter does not use).</summary>
    public string Endpoint { get; set; } = "http://localhost:6334";

    /// <summary>Qdrant's API key (sent as the <c>api-key</c> header). Empty = none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The collection that holds the chunks.</summary>
    public string Collection { get; set; } = "newsbot";

    /// <summary>Use TLS even when <see cref="Endpoint"/> says http (an https endpoint always uses TLS).</summary>
    public bool UseTls { get; set; }

    /// <summary>SHA-256 thumbprint (hex) of a self-signed server certificate to trust; needs TLS.</summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>Shards of a newly created collection.</summary>
    public int ShardNumber { get; set; } = 1;

    /// <summary>Replicas of each shard of a newly created collection (distributed Qdrant only).</summary>
    public int ReplicationFactor { get; set; } = 1;

    /// <summary>
    /// A newly created collection keeps its full-precision dense vectors on disk (memory-mapped by Qdrant) and only the
    /// quantised copy in memory: at a million 384-d chunks that is about 0.4 GB resident instead of 1.5 GB (README, Qdrant).
    /// </summary>
    public bool OnDiskVectors { get; set; } = true;

    /// <summary>
    /// Quantisation of a newly created collection's dense vectors, kept in RAM and re-scored from the originals:
    /// Scalar (int8, the default: a quarter of the float size, near-exact order after re-scoring), Binary (1 bit per
    /// dimension, a thirty-second; Qdrant advises it for wide vectors, 384-d MiniLM loses more recall) or None.
    /// </summary>
    public QdrantQuantization Quantization { get; set; } = QdrantQuantization.Scalar;

    /// <summary>Deadline of one gRPC call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a call that failed transiently (Unavailable, DeadlineExceeded, ResourceExhausted, Aborted).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Points per upsert call.</summary>
    public int UpsertBatchSize { get; set; } = 64;

    /// <summary>The address the client connects to: <see cref="Endpoint"/>, switched to https when <see cref="UseTls"/> is set.</summary>
    public Uri GetAddress()
    {
        if (!Uri.TryCreate(Endpoint?.Trim(), UriKind.Absolute, out var uri))
            throw new InvalidOperationException(QdrantOptionsValidator.EndpointMessage);
        var builder = new UriBuilder(uri) { UserName = "", Password = "", Path = "/", Query = "", Fragment = "" };
        if (UseTls && uri.Scheme == Uri.UriSchemeHttp)
        {
            builder.Scheme = Uri.UriSchemeHttps;
            if (uri.IsDefaultPort) builder.Port = -1; // http://host → https://host, not https://host:80
        }
        return builder.Uri;
    }

    /// <summary>The endpoint as shown in messages (no user info, never the API key).</summary>
    public string DisplayEndpoint
    {
        get
        {
            try
            {
                return GetAddress().GetLeftPart(UriPartial.Authority);
            }
            catch (InvalidOperationException)
            {
                return Endpoint ?? "";
            }
        }
    }

    public bool UsesTls => Uri.TryCreate(Endpoint?.Trim(), UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || UseTls);

    /// <summary>A description safe to log: endpoint, collection, whether a key is set — never the key.</summary>
    public override string ToString()
        => $"Qdrant {DisplayEndpoint}, collection '{Collection}', api key {(string.IsNullOrEmpty(ApiKey) ? "not set" : "set")}";
}

/// <summary>How a new collection quantises its dense vectors (<see cref="QdrantOptions.Quantization"/>).</summary>
public enum QdrantQuantization
{
    None,
    Scalar,
    Binary,
}

/// <summary>Validates <see cref="QdrantOptions"/> with messages that name the key and the fix. Never echoes the API key.</summary>
public sealed partial class QdrantOptionsValidator : IValidateOptions<QdrantOptions>
{
    internal const string EndpointMessage =
        "Qdrant:Endpoint must be the absolute http(s) URL of Qdrant's gRPC port, e.g. http://localhost:6334 (6333 is the REST port); " +
        "set it in appsettings.json or with the environment variable Qdrant__Endpoint.";

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,255}$")]
    private static partial Regex CollectionShape();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex ThumbprintShape();

    public ValidateOptionsResult Validate(string? name, QdrantOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.Endpoint)
            || !Uri.TryCreate(o.Endpoint.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add(EndpointMessage);
        }
        else
        {
            if (uri.Port == 6333)
                errors.Add("Qdrant:Endpoint uses port 6333, Qdrant's REST port; NewsBot talks gRPC: use port 6334, e.g. http://localhost:6334 (environment variable Qdrant__Endpoint).");
            if (!string.IsNullOrEmpty(uri.UserInfo))
                errors.Add("Qdrant:Endpoint must not contain a user name or password; put the key in Qdrant:ApiKey (environment variable Qdrant__ApiKey).");
            if (uri.AbsolutePath.Length > 1)
                errors.Add("Qdrant:Endpoint must not have a path (gRPC uses the server root), e.g. http://localhost:6334.");
        }

        if (string.IsNullOrWhiteSpace(o.Collection) || !CollectionShape().IsMatch(o.Collection))
            errors.Add("Qdrant:Collection must be 1-255 characters of letters, digits, '_', '-' or '.' (default newsbot).");

        if (o.ApiKey is { } key && key.Length > 0 && key.Trim().Length == 0)
            errors.Add("Qdrant:ApiKey is only whitespace; set the environment variable Qdrant__ApiKey to the key, or remove it when Qdrant needs none.");

        if (!string.IsNullOrWhiteSpace(o.CertificateThumbprint))
        {
            if (!ThumbprintShape().IsMatch(NormalizeThumbprint(o.CertificateThumbprint)))
                errors.Add("Qdrant:CertificateThumbprint must be the certificate's SHA-256 thumbprint: 64 hex digits (colons, hyphens and spaces are ignored), e.g. from `openssl x509 -noout -fingerprint -sha256 -in cert.pem`.");
            if (!o.UsesTls)
                errors.Add("Qdrant:CertificateThumbprint needs TLS: use an https Qdrant:Endpoint or set Qdrant:UseTls to true.");
        }

        if (o.ShardNumber is < 1 or > 1024)
            errors.Add("Qdrant:ShardNumber must be between 1 and 1024 (default 1).");
        if (o.ReplicationFactor is < 1 or > 64)
            errors.Add("Qdrant:ReplicationFactor must be between 1 and 64 (default 1).");
        if (o.Timeout <= TimeSpan.Zero || o.Timeout > TimeSpan.FromMinutes(10))
            errors.Add("Qdrant:Timeout must be a positive time span of at most 10 minutes, e.g. 00:00:30 (default 30 seconds).");
        if (o.MaxRetries is < 0 or > 10)
            errors.Add("Qdrant:MaxRetries must be between 0 and 10 (default 3).");
        if (!Enum.IsDefined(o.Quantization))
            errors.Add("Qdrant:Quantization must be Scalar (default), Binary or None.");
        if (o.UpsertBatchSize is < 1 or > 1024)
            errors.Add("Qdrant:UpsertBatchSize must be between 1 and 1024 (default 64).");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static string NormalizeThumbprint(string thumbprint)
        => thumbprint.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).Trim();
}
