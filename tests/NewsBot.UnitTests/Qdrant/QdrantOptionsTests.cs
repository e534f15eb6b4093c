using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Retrieval;
using NewsBot.Qdrant;
using Qdrant.Client;

namespace NewsBot.UnitTests.Qdrant;

public class QdrantOptionsTests
{
    static IReadOnlyList<string> Errors(QdrantOptions o)
        => new QdrantOptionsValidator().Validate(null, o) is { Failed: true } r ? r.Failures.ToList() : [];

    [Fact]
    public void Defaults_are_valid()
    {
        var o = new QdrantOptions();
        Assert.Empty(Errors(o));
        Assert.Equal("http://localhost:6334", o.Endpoint);
        Assert.Equal("newsbot", o.Collection);
        Assert.Equal(new Uri("http://localhost:6334"), o.GetAddress());
    }

    [Theory]
    [InlineData("", "Qdrant:Endpoint must be the absolute http(s) URL")]
    [InlineData("localhost:6334", "Qdrant:Endpoint must be the absolute http(s) URL")]
    [InlineData("ftp://qdrant:6334", "Qdrant:Endpoint must be the absolute http(s) URL")]
    [InlineData("http://localhost:6333", "port 6333, Qdrant's REST port")]
    [InlineData("http://user:pw@localhost:6334", "Qdrant:Endpoint must not contain a user name or password")]
    [InlineData("http://localhost:6334/qdrant", "Qdrant:Endpoint must not have a path")]
    public void A_bad_endpoint_is_named_with_the_fix(string endpoint, string expected)
    {
        var errors = Errors(new QdrantOptions { Endpoint = endpoint });
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_bad_value_names_its_key()
    {
        var errors = Errors(new QdrantOptions
        {
            Collection = "my collection/1", ShardNumber = 0, ReplicationFactor = 0, Timeout = TimeSpan.Zero, MaxRetries = 11, UpsertBatchSize = 0,
            ApiKey = "   ",
        });
        foreach (var key in new[] { "Qdrant:Collection", "Qdrant:ShardNumber", "Qdrant:ReplicationFactor", "Qdrant:Timeout", "Qdrant:MaxRetries", "Qdrant:UpsertBatchSize", "Qdrant:ApiKey" })
            Assert.Contains(errors, e => e.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void A_certificate_thumbprint_needs_tls_and_64_hex_digits()
    {
        var thumb = string.Join(":", Enumerable.Repeat("AB", 32));
        Assert.Contains(Errors(new QdrantOptions { CertificateThumbprint = thumb }), e => e.Contains("needs TLS", StringComparison.Ordinal));
        Assert.Empty(Errors(new QdrantOptions { CertificateThumbprint = thumb, UseTls = true }));
        Assert.Empty(Errors(new QdrantOptions { CertificateThumbprint = thumb, Endpoint = "https://qdrant.example:6334" }));
        Assert.Contains(Errors(new QdrantOptions { CertificateThumbprint = "abc", UseTls = true }), e => e.StartsWith("Qdrant:CertificateThumbprint must be", StringComparison.Ordinal));
    }

    [Fact]
    public void UseTls_switches_the_address_to_https()
    {
        Assert.Equal(new Uri("https://qdrant.example:6334"), new QdrantOptions { Endpoint = "http://qdrant.example:6334", UseTls = true }.GetAddress());
        Assert.Equal("https://qdrant.example", new QdrantOptions { Endpoint = "http://qdrant.example", UseTls = true }.DisplayEndpoint);
        Assert.Equal(new Uri("https://q.example:6334"), new QdrantOptions { Endpoint = "https://q.example:6334" }.GetAddress());
    }

    [Fact]
    public void ToString_never_shows_the_api_key()
    {
        var o = new QdrantOptions { ApiKey = "s3cr3t-key-value" };
        Assert.DoesNotContain("s3cr3t", o.ToString());
        Assert.Contains("api key set", o.ToString());
        Assert.DoesNotContain("s3cr3t", new QdrantArticleIndex(new FakeQdrantClient().Client, o).ToString());
    }

    static ServiceProvider Provider(Dictionary<string, string?> settings, Action<IServiceCollection>? more = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(LogSecretScanner.AddTo);
        more?.Invoke(services);
        services.AddNewsBotQdrant(config);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddNewsBotQdrant_binds_the_section_and_builds_the_index_without_connecting()
    {
        using var sp = Provider(new()
        {
            ["Qdrant:Endpoint"] = "http://127.0.0.1:1",
            ["Qdrant:Collection"] = "news_test",
            ["Qdrant:ApiKey"] = "k",
            ["Qdrant:Timeout"] = "00:00:05",
            ["Index:RrfK"] = "20",
        });

        var options = sp.GetRequiredService<IOptions<QdrantOptions>>().Value;
        Assert.Equal("news_test", options.Collection);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        var index = sp.GetRequiredService<QdrantArticleIndex>();
        Assert.Equal("qdrant", index.Provider);
        Assert.Equal("news_test", index.Collection);
        Assert.Contains("rrf k 20", index.ToString());
        Assert.IsType<QdrantClient>(sp.GetRequiredService<IQdrantClient>());
        Assert.Equal(new Uri("http://127.0.0.1:1"), sp.GetRequiredService<QdrantConnection>().Address);
    }

    [Fact]
    public void AddNewsBotQdrant_prefers_the_hosts_retrieval_options_for_rrf_k()
    {
        using var sp = Provider(new() { ["Index:RrfK"] = "20" }, s => s.AddSingleton(new RetrievalOptions { RrfK = 33 }));
        Assert.Contains("rrf k 33", sp.GetRequiredService<QdrantArticleIndex>().ToString());
    }

    [Fact]
    public void Invalid_options_fail_with_the_validators_messages()
    {
        using var sp = Provider(new() { ["Qdrant:Endpoint"] = "http://localhost:6333", ["Index:Provider"] = "Qdrant" });
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<QdrantOptions>>().Value);
        Assert.Contains("Qdrant:Endpoint uses port 6333", e.Message);
    }
}
