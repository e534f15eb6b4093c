using Microsoft.Extensions.Logging;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace NewsBot.Qdrant;

/// <summary>
/// The gRPC channel and <see cref="QdrantClient"/> built from <see cref="QdrantOptions"/>: the endpoint (https when
/// <see cref="QdrantOptions.UseTls"/>), the API key as the <c>api-key</c> header, an optional pinned certificate
/// thumbprint, and the per-call deadline. Disposing it closes the channel.
/// </summary>
public sealed class QdrantConnection : IDisposable
{
    readonly QdrantChannel _channel;
    readonly QdrantGrpcClient _grpc;

    public QdrantConnection(QdrantOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = new ClientConfiguration
        {
            ApiKey = string.IsNullOrWhiteSpace(options.ApiKey) ? null : options.ApiKey.Trim(),
            CertificateThumbprint = string.IsNullOrWhiteSpace(options.CertificateThumbprint)
                ? null
                : QdrantOptionsValidator.NormalizeThumbprint(options.CertificateThumbprint),
        };
        Address = options.GetAddress();
        _channel = QdrantChannel.ForAddress(Address, configuration);
        _grpc = new QdrantGrpcClient(_channel);
        Client = new QdrantClient(_grpc, options.Timeout, loggerFactory);
    }

    /// <summary>Where the channel connects (never carries the key).</summary>
    public Uri Address { get; }

    public QdrantClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        _grpc.Dispose();
        _channel.Dispose();
    }
}
