using System.ComponentModel.DataAnnotations;

namespace NewsBot.OpenAI;

public enum LlmProvider
{
    /// <summary>No language model: answers are extractive (quoted sentences, cited).</summary>
    None,
    /// <summary>Any OpenAI-compatible chat endpoint: OpenAI, Ollama, vLLM, LM Studio, …</summary>
    OpenAI,
    AzureOpenAI,
}

/// <summary>Configuration section <c>Llm</c>.</summary>
public sealed class LlmOptions
{
    public const string SectionName = "Llm";

    public LlmProvider Provider { get; set; } = LlmProvider.None;

    /// <summary>Base URL. OpenAI: https://api.openai.com/v1 (default); Ollama: http://localhost:11434/v1; Azure: https://NAME.openai.azure.com/</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model id (OpenAI-compatible) or deployment name (Azure), e.g. gpt-4o-mini, llama3.1.</summary>
    public string? Model { get; set; }

    /// <summary>API key. Set it through the environment (Llm__ApiKey); local servers such as Ollama accept any value.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Time one model call may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a 429, a 5xx, a timeout or an empty answer, before falling back to the extractive answer.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>First back-off delay (doubles each retry) when the server gives no Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A Retry-After longer than this is not waited for: the extractive answer is given at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Folder of the prompt files (Answer/, CondenseQuestion/); default: the prompts shipped with the app.</summary>
    public string? PromptsDirectory { get; set; }

    /// <summary>
    /// Also send the older <c>max_tokens</c> to servers other than OpenAI's (Ollama and LM Studio read only that one).
    /// Turn off for a proxy in front of OpenAI reasoning models, which refuse <c>max_tokens</c>.
    /// </summary>
    public bool SendMaxTokens { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        if (Provider == LlmProvider.None) yield break;
        if (string.IsNullOrWhiteSpace(Model))
            yield return $"Llm:Model: is required when Llm:Provider is {Provider} (the model or deployment name, e.g. gpt-4o-mini or llama3.1). Set Llm__Model.";
        if (Provider == LlmProvider.AzureOpenAI && string.IsNullOrWhiteSpace(Endpoint))
            yield return "Llm:Endpoint: is required for AzureOpenAI (https://NAME.openai.azure.com/). Set Llm__Endpoint.";
        if (Endpoint is { Length: > 0 } e && (!Uri.TryCreate(e, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
            yield return $"Llm:Endpoint: '{e}' is not an http(s) URL. Set Llm__Endpoint to e.g. http://localhost:11434/v1.";
        bool officialOpenAi = Provider == LlmProvider.OpenAI && (string.IsNullOrWhiteSpace(Endpoint) || Endpoint.Contains("api.openai.com", StringComparison.OrdinalIgnoreCase));
        if ((officialOpenAi || Provider == LlmProvider.AzureOpenAI) && string.IsNullOrWhiteSpace(ApiKey))
            yield return $"Llm:ApiKey: is required for {(officialOpenAi ? "api.openai.com" : "Azure OpenAI")}. Set the environment variable Llm__ApiKey.";
    }
}
