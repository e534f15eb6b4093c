using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Ports;
using NewsBot.IntegrationTests.Sources;
using NewsBot.Sources.Http;

namespace NewsBot.IntegrationTests.Security;

/// <summary>
/// The SSRF guard on URLs from chats, through the real sources adapter (AddNewsBotSources, the untrusted named client,
/// its SocketsHttpHandler and ConnectCallback) and real loopback servers. DNS is answered by the test
/// (<see cref="NetworkGuardPolicy"/>: the guard's resolver), so that names can resolve to private addresses and answers
/// can change between two lookups without a DNS server. Because the tests have no internet, the loopback address
/// 127.0.0.1 stands in for "a public server" in the policy of these tests only; every other address is judged by the
/// real <see cref="NetworkGuard.Classify"/> (127.0.0.2 and the rest of 127/8 stay loopback, 10/8 private, …).
/// </summary>
public sealed class SsrfGuardTests : IAsyncLifetime
{
    static readonly IPAddress PublicStandIn = IPAddress.Loopback;
    readonly ConcurrentDictionary<string, Func<IPAddress[]>> _dns = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentQueue<string> _lookups = new();
    LoopbackServer _site = null!;
    SourcesHost _host = null!;

    const string Page = "<html><head><title>Harbour dredging approved</title></head><body><article><h1>Harbour dredging approved</h1><p>The port board approved dredging of the old harbour basin on Tuesday for 3 million euros, its chair said.</p><p>Work starts in March and should take a year.</p></article></body></html>";

    public async Task InitializeAsync()
    {
        _site = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/page", (HttpContext c) => { c.Response.Headers.Connection = "close"; return Results.Content(Page, "text/html"); });
            app.MapGet("/to-private-name", () => Results.Redirect($"http://intranet.example:{_site!.BaseUrl.Port}/admin"));
            app.MapGet("/to-metadata", () => Results.Redirect("http://169.254.169.254/latest/meta-data/"));
            app.MapGet("/to-loopback-literal", () => Results.Redirect($"http://127.0.0.1:{_site!.BaseUrl.Port}/admin"));
            app.MapGet("/to-ipv6-mapped", () => Results.Redirect($"http://[::ffff:10.0.0.1]:{_site!.BaseUrl.Port}/admin"));
            app.MapGet("/admin", () => Results.Text("internal admin page"));
        });
        var policy = new NetworkGuardPolicy(
            (host, _) =>
            {
                _lookups.Enqueue(host);
                return ValueTask.FromResult(_dns.TryGetValue(host, out var answer) ? answer() : throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
            },
            address => address.Equals(PublicStandIn) ? null : NetworkGuard.Classify(address));
        _host = new SourcesHost(
            new IngestionOptions { HttpTimeout = TimeSpan.FromSeconds(10), MaxRedirects = 5, MaxDocumentBytes = 64 * 1024, UserAgent = "NewsBot-Tests/1.0" }, // as SourcesHost: room for a cold endpoint on a busy machine
            services => services.AddSingleton(policy));
        _dns["news.example"] = () => [PublicStandIn];
        _dns["intranet.example"] = () => [IPAddress.Parse("10.0.0.7")];
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _site.DisposeAsync();
    }

    string Url(string host, string path) => $"http://{host}:{_site.BaseUrl.Port}{path}";

    async Task<SourceItem> ReadUntrustedAsync(string url) => Assert.Single(await _host.ReadAsync(url, trusted: false));

    [Fact]
    public async Task A_public_name_is_read_through_the_guard()
    {
        // the control case: the guarded client works for a name whose address is public
        var item = await ReadUntrustedAsync(Url("news.example", "/page"));

        Assert.Equal("Harbour dredging approved", Assert.IsType<ExtractedItem>(item).Article.Title);
        Assert.Contains("news.example", _lookups);
    }

    [Theory]
    [InlineData("intranet.example", "10.0.0.7", "a private")]
    [InlineData("metadata.example", "169.254.169.254", "cloud metadata")]
    [InlineData("loopback.example", "127.0.0.2", "a loopback")]
    [InlineData("ula.example", "fd00::5", "unique local")]
    [InlineData("mapped.example", "::ffff:192.168.1.10", "a private")]
    public async Task A_name_that_resolves_to_a_private_address_is_refused_naming_both(string host, string address, string kind)
    {
        _dns[host] = () => [IPAddress.Parse(address)];

        var error = Assert.IsType<FailedItem>(await ReadUntrustedAsync(Url(host, "/page"))).Error;

        Assert.StartsWith($"refused: {host} resolves to", error);
        Assert.Contains(kind, error);
        Assert.Equal(0, _site.CountRequests("/page"));
    }

    [Fact]
    public async Task A_name_with_one_public_and_one_private_address_is_refused()
    {
        // a resolver answering both: connecting to "the public one" would leave the choice to the attacker's DNS
        _dns["mixed.example"] = () => [PublicStandIn, IPAddress.Parse("192.168.0.10")];

        var error = Assert.IsType<FailedItem>(await ReadUntrustedAsync(Url("mixed.example", "/page"))).Error;

        Assert.Contains("192.168.0.10", error);
        Assert.Equal(0, _site.CountRequests("/page"));
    }

    [Fact]
    public async Task A_DNS_answer_that_changes_between_check_and_connect_cannot_redirect_the_connection()
    {
        // DNS rebinding: the first lookup answers the public address, every later one a private address. The guard
        // resolves once per connection and connects to the very address it checked, so the page is read from the
        // checked address; a guard that checked one lookup and let the socket resolve again would land on 127.0.0.3,
        // where nothing listens.
        var lookups = 0;
        _dns["rebind.example"] = () => Interlocked.Increment(ref lookups) == 1 ? [PublicStandIn] : [IPAddress.Parse("127.0.0.3")];

        var first = await ReadUntrustedAsync(Url("rebind.example", "/page"));

        Assert.IsType<ExtractedItem>(first);
        Assert.Equal(1, lookups);

        // the next connection (the server closed the first) is checked again, against the new, private answer
        var second = await ReadUntrustedAsync(Url("rebind.example", "/page"));

        var error = Assert.IsType<FailedItem>(second).Error;
        Assert.StartsWith("refused: rebind.example resolves to 127.0.0.3", error);
        Assert.Equal(2, lookups);
        Assert.Equal(1, _site.CountRequests("/page"));
    }

    [Theory]
    [InlineData("/to-private-name", "intranet.example resolves to 10.0.0.7, which is a private address")]
    [InlineData("/to-metadata", "169.254.169.254 is a link-local (cloud metadata) address")]
    [InlineData("/to-loopback-literal", "127.0.0.1 is a loopback address")] // a literal is judged before connecting, whatever DNS says
    [InlineData("/to-ipv6-mapped", "10.0.0.1 is a private address")]
    public async Task A_redirect_from_a_public_page_to_a_private_address_is_refused(string path, string expected)
    {
        var error = Assert.IsType<FailedItem>(await ReadUntrustedAsync(Url("news.example", path))).Error;

        Assert.Contains(expected, error);
        Assert.Contains("URLs from chats may not point at private networks", error);
        Assert.Equal(0, _site.CountRequests("/admin"));
    }

    [Fact]
    public async Task The_same_redirect_from_an_operator_url_is_followed()
    {
        // the guard is for chat URLs only: the operator's own (trusted) URLs may reach private addresses
        var items = await _host.ReadAsync(_site.Url("/to-loopback-literal").ToString(), trusted: true);

        Assert.Equal(1, _site.CountRequests("/admin"));
        Assert.Single(items);
    }
}
