using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Microsoft.Extensions.AI;
using OpenAIClientSdk = OpenAI.OpenAIClient;
using OpenAIClientOptionsSdk = OpenAI.OpenAIClientOptions;

namespace NewsBot.OpenAI;

/// <summary>Creates OpenAI-compatible SDK clients over a given HttpClient, with the SDK's own retries off (NewsBot retries itself).</summary>
public static class OpenAIClients
{
    public static OpenAIClientSdk Create(LlmProvider provider, string? endpoint, string? apiKey, HttpClient http, TimeSpan timeout)
    {
        var key = new ApiKeyCredential(string.IsNullOrWhiteSpace(apiKey) ? "not-needed" : apiKey);
        var transport = new HttpClientPipelineTransport(http);
        if (provider == LlmProvider.AzureOpenAI)
        {
            var azureOptions = new AzureOpenAIClientOptions { Transport = transport, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = timeout };
            return new AzureOpenAIClient(new Uri(endpoint!), key, azureOptions);
        }
        var options = new OpenAIClientOptionsSdk { Transport = transport, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = timeout };
        if (!string.IsNullOrWhiteSpace(endpoint)) options.Endpoint = new Uri(endpoint);
        return new OpenAIClientSdk(key, options);
    }

    /// <summary>An OpenAI-compatible embeddings endpoint as an <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(LlmProvider provider, string? endpoint, string? apiKey, string model, int? dimensions, HttpClient http, TimeSpan timeout)
        => Create(provider, endpoint, apiKey, http, timeout).GetEmbeddingClient(model).AsIEmbeddingGenerator(dimensions);
}
