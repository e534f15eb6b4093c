using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Answering;
using NewsBot.Hosting;

namespace NewsBot.IntegrationTests.EndToEnd;

/// <summary>
/// Answering:MinRelevance left unset takes the threshold calibrated for the local embedding model (their
/// similarities run on different scales); a value set in configuration always wins.
/// </summary>
public sealed class RelevanceThresholdTests
{
    static double Threshold(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddNewsBotAnswering(config);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AnsweringOptions>>().Value.RelevanceThreshold;
    }

    [Fact]
    public void Unset_MinRelevance_follows_the_embedding_model_and_a_configured_value_wins()
    {
        Assert.Equal(0.42, Threshold([]));                                          // default model: MiniLM
        Assert.Equal(0.5, Threshold(new() { ["Embeddings:Model"] = "arcticxs" }));
        Assert.Equal(0.42, Threshold(new() { ["Embeddings:Model"] = "MiniLM" }));
        Assert.Equal(0.42, Threshold(new() { ["Embeddings:Provider"] = "OpenAI", ["Embeddings:Model"] = "ArcticXs" })); // a remote model of that name is not ours
        Assert.Equal(0.35, Threshold(new() { ["Embeddings:Model"] = "ArcticXs", ["Answering:MinRelevance"] = "0.35" }));
    }
}
