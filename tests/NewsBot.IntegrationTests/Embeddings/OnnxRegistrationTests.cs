using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NewsBot.Core.Ports;
using NewsBot.Core.Retrieval;
using NewsBot.Hosting;
using NewsBot.Onnx;
using Xunit;

namespace NewsBot.IntegrationTests.Embeddings;

public sealed class OnnxRegistrationTests
{
    static ServiceProvider Host(Dictionary<string, string?> settings)
    {
        settings["Storage:DataDirectory"] = Path.Combine(Path.GetTempPath(), "newsbot-tests", "unused-data");
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(new CliContext());
        services.AddSection<StorageOptions>(config, StorageOptions.SectionName);
        services.AddNewsBotEmbeddings(config);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Registers_generator_counter_and_profile_without_loading_the_model()
    {
        using var provider = Host(new() { ["Embeddings:Model"] = "arcticxs", ["Embeddings:BatchSize"] = "4", ["Embeddings:Quantize"] = "false" });

        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var concrete = Assert.IsType<OnnxEmbeddingGenerator>(generator);
        Assert.False(concrete.IsLoaded);
        Assert.False(concrete.Quantized);
        Assert.Equal(LocalEmbeddingModel.ArcticXs, concrete.Model);
        Assert.Equal(256, concrete.MaxTokens);

        var counter = Assert.IsType<WordPieceTokenCounter>(provider.GetRequiredService<ITokenCounter>());
        Assert.Equal(LocalEmbeddingModel.ArcticXs, counter.Model);

        var profile = provider.GetRequiredService<EmbeddingProfile>();
        Assert.Equal(new EmbeddingProfile("snowflake-arctic-embed-xs", 384, "Represent this sentence for searching relevant passages: ", "", 16), profile);
    }

    [Fact]
    public void The_Embeddings_section_has_one_set_of_defaults()
    {
        var section = new EmbeddingsOptions();
        var local = new OnnxEmbeddingOptions();

        Assert.True(section.Quantize); // as README and appsettings.example.json document
        Assert.Equal(section.Quantize, local.Quantize);
        Assert.Equal(section.Model, local.Model);
        Assert.Equal(section.Threads, local.Threads);
        // BatchSize unset: the local model's own default (1), and the host passes exactly that on.
        Assert.Null(section.BatchSize);
        Assert.Equal(1, local.BatchSize);
        Assert.Equal(section.MaxTokens, local.MaxTokens);
        Assert.Equal(section.ParallelBatches, local.ParallelBatches);
        Assert.Equal(section.CacheDirectory, local.CacheDirectory);

        // With no Embeddings keys at all, the host runs the int8 MiniLM.
        using var provider = Host([]);
        Assert.Equal("all-MiniLM-L6-v2-int8", provider.GetRequiredService<EmbeddingProfile>().Model);
        var generator = Assert.IsType<OnnxEmbeddingGenerator>(provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.True(generator.Quantized);
        Assert.Equal(1, generator.BatchSize);
        Assert.Equal(16, provider.GetRequiredService<EmbeddingProfile>().MaxBatch);
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

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void The_hosts_Embeddings_Quantize_setting_reaches_the_local_generator(string setting, bool quantized)
    {
        using var provider = Host(new() { ["Embeddings:Quantize"] = setting });

        Assert.Equal(quantized ? "all-MiniLM-L6-v2-int8" : "all-MiniLM-L6-v2", provider.GetRequiredService<EmbeddingProfile>().Model); // the default model
        var generator = Assert.IsType<OnnxEmbeddingGenerator>(provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Equal(quantized, generator.Quantized);
        Assert.False(generator.IsLoaded);
    }

    [Theory]
    [InlineData("true", 3)]
    [InlineData("false", 1)]
    public void The_hosts_ParallelBatches_setting_reaches_the_local_generator(string setting, int lanes)
    {
        using var provider = Host(new() { ["Embeddings:ParallelBatches"] = setting, ["Embeddings:Threads"] = "3", ["Embeddings:BatchSize"] = "8" });

        var generator = Assert.IsType<OnnxEmbeddingGenerator>(provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Equal(lanes, generator.Lanes);
        Assert.Equal(3, generator.Threads);
        Assert.Equal(8, generator.BatchSize);
        Assert.Equal(32, provider.GetRequiredService<EmbeddingProfile>().MaxBatch);
    }

    [Fact]
    public void Options_are_validated()
    {
        static void Validate(OnnxEmbeddingOptions o) => Validator.ValidateObject(o, new ValidationContext(o), validateAllProperties: true);

        Validate(new OnnxEmbeddingOptions());
        Validate(new OnnxEmbeddingOptions { Model = "arcticxs", Quantize = false });

        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { Model = "text-embedding-3-small" }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { Model = "1" }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { BatchSize = 0 }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { Threads = -1 }));
        Assert.Throws<ValidationException>(() => Validate(new OnnxEmbeddingOptions { MaxTokens = 4 }));
        // The host validates the section: a remote provider's model name is fine there, a bad batch size is not.
        using (var remote = Host(new() { ["Embeddings:Provider"] = "OpenAI", ["Embeddings:Model"] = "text-embedding-3-small", ["Embeddings:Dimensions"] = "1536", ["Embeddings:Endpoint"] = "http://127.0.0.1:9/v1" }))
        {
            Assert.Equal("text-embedding-3-small", remote.GetRequiredService<EmbeddingProfile>().Model);
            Assert.Equal(8, remote.GetRequiredService<EmbeddingProfile>().MaxBatch); // BatchSize unset: 8 passages a request
        }
        using var bad = Host(new() { ["Embeddings:BatchSize"] = "0" });
        var error = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<EmbeddingProfile>());
        Assert.Contains("BatchSize", error.Message);
    }
}
