using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Hosting;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

public sealed class OnnxRegistrationTests
{
    [Fact]
    public void Registers_generator_counter_and_profile_without_loading_the_model()
    {
        var services = new ServiceCollection();
        services.AddNewsBotOnnxEmbeddings(new OnnxEmbeddingOptions { Model = "arcticxs", BatchSize = 4 }, OnnxGeneratorFixture.SharedCacheDirectory);
        using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var concrete = Assert.IsType<OnnxEmbeddingGenerator>(generator);
        Assert.Same(concrete, provider.GetRequiredService<OnnxEmbeddingGenerator>());
        Assert.False(concrete.IsLoaded);
        Assert.Equal(LocalEmbeddingModel.ArcticXs, concrete.Model);
        Assert.Equal(256, concrete.MaxTokens);

        var counter = Assert.IsType<WordPieceTokenCounter>(provider.GetRequiredService<ITokenCounter>());
        Assert.Equal(LocalEmbeddingModel.ArcticXs, counter.Model);

        var profile = provider.GetRequiredService<EmbeddingProfile>();
        Assert.Equal(new EmbeddingProfile("snowflake-arctic-embed-xs", 384, "Represent this sentence for searching relevant passages: ", "", 16), profile);
    }

    [Fact]
    public void MiniLM_profile_has_no_prefixes_and_MaxTokens_is_capped_at_the_models_window()
    {
        Assert.Equal(new EmbeddingProfile("all-MiniLM-L6-v2", 384, "", "", 32), OnnxEmbeddingProfiles.For(LocalEmbeddingModel.MiniLM));

        using var miniLM = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { MaxTokens = 512 });
        using var arctic = new OnnxEmbeddingGenerator(new OnnxEmbeddingOptions { Model = "ArcticXs", MaxTokens = 512 });
        Assert.Equal(256, miniLM.MaxTokens);
        Assert.Equal(512, arctic.MaxTokens);
        Assert.Equal(Environment.ProcessorCount, miniLM.Threads);
    }

    [Fact]
    public void Quantize_gives_the_int8_model_id_in_profile_and_generator()
    {
        var options = new OnnxEmbeddingOptions { Quantize = true, BatchSize = 4 };

        Assert.Equal(new EmbeddingProfile("all-MiniLM-L6-v2-int8", 384, "", "", 16), OnnxEmbeddingProfiles.For(options));
        Assert.Equal("snowflake-arctic-embed-xs-int8", OnnxEmbeddingProfiles.For(LocalEmbeddingModel.ArcticXs, quantized: true).Model);
        using var generator = new OnnxEmbeddingGenerator(options);
        Assert.True(generator.Quantized);
        Assert.Equal("all-MiniLM-L6-v2-int8", generator.ModelId);
        Assert.False(generator.IsLoaded);
    }

    [Fact]
    public void The_hosts_Embeddings_Quantize_setting_reaches_the_local_generator()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Embeddings:Quantize"] = "true",
            ["Storage:DataDirectory"] = Path.Combine(Path.GetTempPath(), "newsbot-tests", "unused-data"),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(new CliContext());
        services.AddSection<StorageOptions>(config, StorageOptions.SectionName);
        services.AddNewsBotEmbeddings(config);
        using var provider = services.BuildServiceProvider();

        Assert.Equal("all-MiniLM-L6-v2-int8", provider.GetRequiredService<EmbeddingProfile>().Model); // the default model
        var generator = Assert.IsType<OnnxEmbeddingGenerator>(provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.True(generator.Quantized);
        Assert.False(generator.IsLoaded);
    }

    [Fact]
    public void Options_are_validated()
    {
        static void Validate(OnnxEmbeddingOptions o) => Validator.ValidateObject(o, new ValidationContext(o), validateAllProperties: true);

        Validate(new OnnxEmbeddingOptions());
        // A remote provider's model name in the shared section is not this adapter's business.
        Validate(new OnnxEmbeddingOptions { Provider = "OpenAI", Model = "text-embedding-3-small" });

        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { Model = "text-embedding-3-small" }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { Model = "1" }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { BatchSize = 0 }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { Threads = -1 }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { MaxTokens = 4 }));
        Assert.Throws<ValidationException>(() =>
            new ServiceCollection().AddNewsBotOnnxEmbeddings(new OnnxEmbeddingOptions { BatchSize = 0 }, "/tmp"));
    }
}
