using System.Net;
using System.Net.Sockets;

namespace NewsBot.Sources.Http;

/// <summary>Thrown by the guarded connect callback when a host resolves to an address chats may not reach.</summary>
internal sealed class BlockedAddressException(string message) : IOException(message);

/// <summary>
/// The SSRF guard for URLs that arrive through a chat: classifies IP addresses (loopback, private,
/// link-local, carrier-grade NAT, multicast, …) and provides a <see cref="SocketsHttpHandler.ConnectCallback"/>
/// that resolves the host, checks every address and connects to the checked one, so that neither a
/// redirect nor DNS rebinding can lead the bot into its own network.
/// </summary>
internal static class NetworkGuard
{
    /// <summary>Appended to refusal messages so that chat users learn why.</summary>
    public const string ChatUrlNote = "URLs from chats may not point at private networks";

    static readonly (IPNetwork Network, string Kind)[] V4Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this network\")"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT (shared, private)"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol (reserved)"),
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation (reserved)"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking (reserved)"),
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation (reserved)"),
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation (reserved)"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved (or broadcast)"),
    ];

    static readonly (IPNetwork Network, string Kind)[] V6Ranges =
    [
        (IPNetwork.Parse("fc00::/7"), "a private (unique local)"),
        (IPNetwork.Parse("fe80::/10"), "a link-local"),
        (IPNetwork.Parse("fec0::/10"), "a private (site-local)"),
        (IPNetwork.Parse("ff00::/8"), "a multicast"),
        (IPNetwork.Parse("100::/64"), "a discard-only (reserved)"),
        (IPNetwork.Parse("2001:db8::/32"), "a documentation (reserved)"),
    ];

    static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>
    /// Why a chat URL may not connect to <paramref name="address"/>: a phrase such as "a loopback",
    /// "a private" or "a link-local" (to be followed by "address"), or null when the address is public.
    /// IPv4 addresses embedded in IPv6 (IPv4-mapped, NAT64, 6to4) are judged by their IPv4 part.
    /// </summary>
    public static string? Classify(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6) return Classify(address.MapToIPv4());
            if (address.Equals(IPAddress.IPv6Any)) return "an unspecified";
            if (address.Equals(IPAddress.IPv6Loopback)) return "a loopback";
            var bytes = address.GetAddressBytes();
            if (Nat64.Contains(address)) return Classify(new IPAddress(bytes.AsSpan(12, 4)));
            if (SixToFour.Contains(address)) return Classify(new IPAddress(bytes.AsSpan(2, 4)));
            if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return "an IPv4-compatible (deprecated)"; // ::a.b.c.d
            foreach (var (network, kind) in V6Ranges)
                if (network.Contains(address)) return kind;
            return null;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (address.Equals(IPAddress.Parse("169.254.169.254"))) return "a link-local (cloud metadata)";
            foreach (var (network, kind) in V4Ranges)
                if (network.Contains(address)) return kind;
            return null;
        }
        return "an unsupported";
    }

    /// <summary>The refusal message for a blocked address.</summary>
    public static string RefusalMessage(IPAddress address, string kind, string? host = null)
    {
        var shown = address.IsIPv4MappedToIPv6 ? address.MapToIPv4().ToString() : address.ToString();
        var via = host is not null && !string.Equals(host.Trim('[', ']'), shown, StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(host.Trim('[', ']'), out _)
            ? $"{host} resolves to {shown}, which"
            : shown;
        return $"refused: {via} is {kind} address ({ChatUrlNote})";
    }

    /// <summary>
    /// The connect callback of the untrusted handler: resolves the host once, refuses the connection when any
    /// of its addresses is not public (throwing <see cref="BlockedAddressException"/>), else connects to
    /// one of the checked addresses — never to the name, which a second DNS answer (rebinding) could change.
    /// </summary>
    public static ValueTask<Stream> GuardedConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        GuardedConnectAsync(context, NetworkGuardPolicy.Default, ct);

    /// <inheritdoc cref="GuardedConnectAsync(SocketsHttpConnectionContext, CancellationToken)"/>
    public static async ValueTask<Stream> GuardedConnectAsync(SocketsHttpConnectionContext context, NetworkGuardPolicy policy, CancellationToken ct)
    {
        var endPoint = context.DnsEndPoint;
        var host = endPoint.Host.Trim('[', ']');
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await policy.Resolve(host, ct).ConfigureAwait(false);
        if (addresses.Length == 0) throw new BlockedAddressException($"{host} did not resolve to any address");
        foreach (var address in addresses)
        {
            if (policy.Classify(address) is { } kind)
                throw new BlockedAddressException(RefusalMessage(address, kind, endPoint.Host));
        }
        return await ConnectAsync(addresses, endPoint.Port, ct).ConfigureAwait(false);
    }

    /// <summary>Connects to the first reachable of <paramref name="addresses"/> (already checked).</summary>
    public static async ValueTask<Stream> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken ct)
    {
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                if (ex is OperationCanceledException) throw;
                last = ex;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}

/// <summary>Resolves a host name to its addresses (the system's DNS; tests substitute answers).</summary>
internal delegate ValueTask<IPAddress[]> HostResolver(string host, CancellationToken ct);

/// <summary>
/// How the guard resolves names and judges addresses: by default the system's DNS and <see cref="NetworkGuard.Classify"/>.
/// Registered in the service collection so that tests can answer DNS themselves (a name that resolves to a private
/// address, an answer that changes between two lookups) without a DNS server.
/// </summary>
internal sealed record NetworkGuardPolicy(HostResolver Resolve, Func<IPAddress, string?> Classify)
{
    public static NetworkGuardPolicy Default { get; } = new(
        static (host, ct) => new ValueTask<IPAddress[]>(Dns.GetHostAddressesAsync(host, ct)),
        NetworkGuard.Classify);
}
