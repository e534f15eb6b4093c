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
    public static OpenAIClientSdk Create(LlmProvider provider, string? endpoint, string? apiKey, HttpClient http, TimeSpan timeout, bool sendMaxTokens = true)
    {
        var key = new ApiKeyCredential(string.IsNullOrWhiteSpace(apiKey) ? "not-needed" : apiKey);
        var transport = new HttpClientPipelineTransport(http);
        if (provider == LlmProvider.AzureOpenAI)
        {
            var azureOptions = new AzureOpenAIClientOptions { Transport = transport, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = timeout };
            return new AzureOpenAIClient(new Uri(endpoint!), key, azureOptions);
        }
        var options = new OpenAIClientOptionsSdk { Transport = transport, RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = timeout };
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            var uri = WithApiPath(new Uri(endpoint));
            options.Endpoint = uri;
            // servers other than OpenAI's (Ollama, LM Studio, older vLLM) read max_tokens, not the newer
            // max_completion_tokens the SDK sends: without it their replies are unbounded
            if (sendMaxTokens && !uri.Host.EndsWith("openai.com", StringComparison.OrdinalIgnoreCase))
                options.AddPolicy(new MaxTokensPolicy(), PipelinePosition.PerCall);
        }
        return new OpenAIClientSdk(key, options);
    }

    /// <summary>
    /// "http://localhost:11434" → "http://localhost:11434/v1": OpenAI-compatible servers serve the API under /v1,
    /// and a base URL without a path would send every request to a 404.
    /// </summary>
    public static Uri WithApiPath(Uri endpoint)
        => endpoint.AbsolutePath is "" or "/" ? new Uri(endpoint, "/v1") : endpoint;

    /// <summary>Copies <c>max_completion_tokens</c> into <c>max_tokens</c> in chat requests that lack it.</summary>
    sealed class MaxTokensPolicy : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            AddMaxTokens(message);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            AddMaxTokens(message);
            await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        }

        static void AddMaxTokens(PipelineMessage message)
        {
            if (message.Request.Content is not { } content || message.Request.Uri?.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) != true) return;
            using var buffer = new MemoryStream();
            content.WriteTo(buffer);
            if (System.Text.Json.Nodes.JsonNode.Parse(buffer.ToArray()) is not System.Text.Json.Nodes.JsonObject body
                || !body.TryGetPropertyValue("max_completion_tokens", out var limit) || limit is null || body.ContainsKey("max_tokens")) return;
            body["max_tokens"] = limit.DeepClone();
            message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
        }
    }

    /// <summary>An OpenAI-compatible embeddings endpoint as an <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>.</summary>
    public static IEmbeddingGenerator<string, Embedding<float>> CreateEmbeddingGenerator(LlmProvider provider, string? endpoint, string? apiKey, string model, int? dimensions, HttpClient http, TimeSpan timeout)
        => Create(provider, endpoint, apiKey, http, timeout).GetEmbeddingClient(model).AsIEmbeddingGenerator(dimensions);
}
