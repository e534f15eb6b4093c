using System.Net;
using NewsBot.Sources.Http;
using Xunit;

namespace NewsBot.UnitTests.Sources;

/// <summary>SSRF guard: which addresses chat URLs may not reach (checked after DNS and on every redirect hop).</summary>
public sealed class NetworkGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.10.3", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.254", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("100.64.0.1", "carrier-grade NAT")]
    [InlineData("100.127.255.254", "carrier-grade NAT")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd12:3456:789a::1", "private")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::ffff:127.0.0.1", "loopback")]        // IPv4-mapped IPv6
    [InlineData("::ffff:10.0.0.5", "private")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("64:ff9b::192.168.0.1", "private")]     // NAT64 embedding a private address
    [InlineData("2002:c0a8:0101::1", "private")]        // 6to4 of 192.168.1.1
    public void Non_public_addresses_are_classified(string address, string expectedKind)
    {
        var kind = NetworkGuard.Classify(IPAddress.Parse(address));

        Assert.NotNull(kind);
        Assert.Contains(expectedKind, kind);
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]    // just outside 172.16/12
    [InlineData("100.128.0.1")]   // just outside 100.64/10
    [InlineData("169.255.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.Null(NetworkGuard.Classify(IPAddress.Parse(address)));
    }

    [Fact]
    public void Refusal_message_names_the_address_its_kind_and_why()
    {
        var ip = IPAddress.Parse("127.0.0.1");

        Assert.Equal(
            "refused: 127.0.0.1 is a loopback address (URLs from chats may not point at private networks)",
            NetworkGuard.RefusalMessage(ip, NetworkGuard.Classify(ip)!));
        Assert.Equal(
            "refused: intranet.example resolves to 10.0.0.7, which is a private address (URLs from chats may not point at private networks)",
            NetworkGuard.RefusalMessage(IPAddress.Parse("10.0.0.7"), "a private", "intranet.example"));
    }

    [Theory]
    [InlineData("http://localhost:1/feed", "localhost resolves to", "loopback")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local (cloud metadata) address", "metadata")]
    [InlineData("http://[::ffff:10.0.0.1]:8080/", "10.0.0.1 is a private address", "private")]
    public async Task Guarded_handler_refuses_in_its_connect_callback_before_any_connection(string url, string expectedStart, string kind)
    {
        // The real primary handler of the untrusted client: the check runs in ConnectCallback, after DNS.
        using var client = new System.Net.Http.HttpClient(NewsBot.Sources.SourcesServiceCollectionExtensions.CreateHandler(guarded: true));

        var ex = await Assert.ThrowsAsync<System.Net.Http.HttpRequestException>(() => client.GetAsync(url));

        var blocked = Assert.IsType<BlockedAddressException>(ex.InnerException);
        Assert.Contains(expectedStart, blocked.Message);
        Assert.Contains(kind, blocked.Message);
    }
}
