using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.SemanticKernel;
using NewsBot.Core.Answering;
using NewsBot.Core.Coverage;
using NewsBot.Core.Ports;
using NewsBot.Core.Text;
using Polly;

namespace NewsBot.OpenAI;

/// <summary>
/// The language-model answerer: Semantic Kernel prompt functions loaded from the prompt directory
/// (<c>Answer</c>, <c>CondenseQuestion</c>) on an OpenAI-compatible chat model. Sources are passed as
/// template variables, which Semantic Kernel encodes, so text inside an article cannot open a new
/// message or role. Each model call runs through the host's pipeline <see cref="LlmRetry.PipelineKey"/>, which
/// retries transient failures (429 — honouring Retry-After —, 5xx, timeouts, empty or malformed output) a bounded
/// number of times; then the caller falls back to the extractive answer.
/// </summary>
public sealed partial class SemanticKernelAnswerer : ILlmAnswerer, ICoverageComparer, NewsBot.Core.Digests.IDigestWriter
{
    readonly Kernel _kernel;
    readonly KernelFunction _answer;
    readonly KernelFunction _condense;
    readonly KernelFunction? _compare;
    readonly KernelFunction? _digest;
    readonly LlmOptions _options;
    readonly ResiliencePipeline _pipeline;
    readonly TimeProvider _time;

    /// <param name="pipeline">The host's pipeline <see cref="LlmRetry.PipelineKey"/> (retries of failed model calls).</param>
    public SemanticKernelAnswerer(Kernel kernel, string promptsDirectory, LlmOptions options, ResiliencePipeline pipeline, TimeProvider time)
    {
        _kernel = kernel;
        _options = options;
        _pipeline = pipeline;
        _time = time;
        if (!Directory.Exists(Path.Combine(promptsDirectory, "Answer")) || !Directory.Exists(Path.Combine(promptsDirectory, "CondenseQuestion")))
            throw new InvalidOperationException($"Llm:PromptsDirectory: '{promptsDirectory}' must contain the prompt folders Answer/ and CondenseQuestion/ (each with skprompt.txt and config.json).");
        var plugin = kernel.CreatePluginFromPromptDirectory(promptsDirectory, "NewsBot");
        _answer = plugin["Answer"];
        _condense = plugin["CondenseQuestion"];
        // optional, so that a prompt directory customised before coverage questions existed keeps working (compared offline then)
        _compare = plugin.TryGetFunction("CompareCoverage", out var compare) ? compare : null;
        _digest = plugin.TryGetFunction("Digest", out var digest) ? digest : null;
        Description = $"{options.Provider}/{options.Model}";
    }

    public string Description { get; }

    /// <summary>Builds the kernel for the configured provider on the given HttpClient.</summary>
    public static Kernel CreateKernel(LlmOptions options, HttpClient http)
    {
        var client = OpenAIClients.Create(options.Provider, options.Endpoint, options.ApiKey, http, options.Timeout, options.SendMaxTokens);
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(options.Model!, client);
        return builder.Build();
    }

    public async Task<string> AnswerAsync(string question, IReadOnlyList<PromptSource> sources, DateTimeOffset now, CancellationToken ct = default)
    {
        var args = new KernelArguments
        {
            ["question"] = question,
            ["sources"] = FormatSources(sources),
            ["today"] = now.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture),
        };
        return await InvokeWithRetriesAsync(_answer, args, "answer", ct).ConfigureAwait(false);
    }

    public async Task<string> CompareCoverageAsync(string question, IReadOnlyList<PromptSource> sources, DateTimeOffset now, CancellationToken ct = default)
    {
        if (_compare is null) throw new LlmException("The prompt directory has no CompareCoverage/ prompt.");
        var sb = new StringBuilder();
        foreach (var outlet in sources.GroupBy(s => s.Article.Outlet ?? "unknown outlet"))
            sb.Append("## Outlet: ").AppendLine(TextNormalizer.CleanInline(outlet.Key)).AppendLine().AppendLine(FormatSources(outlet.ToList())).AppendLine();
        var args = new KernelArguments
        {
            ["question"] = question,
            ["outlets"] = sb.ToString().TrimEnd(),
            ["today"] = now.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture),
        };
        return await InvokeWithRetriesAsync(_compare, args, "coverage comparison", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A digest item's summary from the story's numbered sources (the <c>Digest</c> prompt); null when the prompt
    /// directory has none or the model refuses (NO_ANSWER), so the digest quotes the leads instead.
    /// </summary>
    public async Task<string?> SummarizeAsync(string storyTitle, IReadOnlyList<NewsBot.Core.Digests.DigestSource> sources, CancellationToken ct = default)
    {
        if (_digest is null) return null;
        var args = new KernelArguments
        {
            ["title"] = TextNormalizer.CleanInline(storyTitle),
            ["sources"] = FormatSources(sources.Select(s => new PromptSource(s.N, s.Article, s.Lead)).ToList()),
        };
        var text = await InvokeWithRetriesAsync(_digest, args, "digest summary", ct).ConfigureAwait(false);
        return text.Contains(ILlmAnswerer.NoAnswerPrefix.TrimEnd(':'), StringComparison.Ordinal) ? null : text;
    }

    public async Task<string> CondenseAsync(string question, IReadOnlyList<ConversationTurn> history, CancellationToken ct = default)
    {
        var sb = new StringBuilder();
        foreach (var t in history)
        {
            sb.Append("User: ").AppendLine(t.Question);
            sb.Append("NewsBot: ").AppendLine(t.Answer.Length > 600 ? t.Answer[..600] + "…" : t.Answer);
        }
        var args = new KernelArguments { ["history"] = sb.ToString(), ["question"] = question };
        var text = await InvokeWithRetriesAsync(_condense, args, "condense", ct).ConfigureAwait(false);
        return CleanQuestion(text);
    }

    /// <summary>Numbered sources as the prompt shows them.</summary>
    public static string FormatSources(IReadOnlyList<PromptSource> sources)
    {
        var sb = new StringBuilder();
        foreach (var s in sources)
        {
            sb.Append('[').Append(s.N).Append("] ").Append(TextNormalizer.CleanInline(s.Article.Title));
            var meta = new List<string>();
            if (!string.IsNullOrWhiteSpace(s.Article.Outlet)) meta.Add(s.Article.Outlet);
            meta.Add(s.Article.Published is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "date unknown");
            sb.Append(" (").Append(string.Join(", ", meta)).Append(')').AppendLine();
            sb.Append("URL: ").AppendLine(TextNormalizer.CleanInline(s.Article.Url));
            // the article's own lines are quoted, so none of them can pass for a source's header ("[4] …", "URL: …")
            foreach (var line in s.Text.Trim().Split('\n'))
                sb.Append("> ").AppendLine(line.TrimEnd('\r'));
            sb.AppendLine();
        }
        return sb.ToString().TrimEnd();
    }

    async Task<string> InvokeWithRetriesAsync(KernelFunction function, KernelArguments args, string what, CancellationToken ct)
    {
        int attempts = 0;
        try
        {
            return await _pipeline.ExecuteAsync(async c =>
            {
                attempts++;
                return await InvokeOnceAsync(function, args, what, c).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (LlmAttemptFailure f) when (!f.Transient)
        {
            throw new LlmException($"The language model refused the {what} request: {f.Reason}", f.InnerException);
        }
        catch (LlmAttemptFailure f) when (attempts <= _options.MaxRetries && f.RetryAfter is { } ra && ra > _options.MaxRetryAfter)
        {
            throw new LlmException($"The language model asked to wait {ra.TotalSeconds:0}s ({f.Reason}), longer than Llm:MaxRetryAfter.");
        }
        catch (LlmAttemptFailure f)
        {
            throw new LlmException($"The language model failed the {what} request {attempts} times (last: {f.Reason}).");
        }
    }

    /// <summary>One model call within Llm:Timeout; a failure worth telling apart is thrown as <see cref="LlmAttemptFailure"/>.</summary>
    async Task<string> InvokeOnceAsync(KernelFunction function, KernelArguments args, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            var result = await _kernel.InvokeAsync(function, args, timeout.Token).ConfigureAwait(false);
            // a reply cut off at the token limit is not an answer; the same request would be cut off again
            if (result.Metadata?.TryGetValue("FinishReason", out var finish) == true && string.Equals(finish?.ToString(), "length", StringComparison.OrdinalIgnoreCase))
                throw new LlmException($"The language model's {what} reply was cut off at its token limit (raise max_tokens in prompts/{function.Name}/config.json).");
            var text = WithoutThinking(result.GetValue<string>() ?? "").Trim();
            if (!string.IsNullOrEmpty(text)) return text;
            throw new LlmAttemptFailure(true, "empty answer", null);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new LlmAttemptFailure(true, $"timed out after {_options.Timeout.TotalSeconds:0}s", null, e);
        }
        catch (Exception ex) when (ex is not LlmException and not LlmAttemptFailure && Classify(ex, _time.GetUtcNow(), _options.ApiKey) is { } c)
        {
            throw new LlmAttemptFailure(c.Transient, c.Reason, c.RetryAfter, ex);
        }
    }

    sealed record Failure(bool Transient, string Reason, TimeSpan? RetryAfter);

    static Failure? Classify(Exception ex, DateTimeOffset now, string? apiKey)
    {
        var status = ex switch
        {
            HttpOperationException h => h.StatusCode,
            ClientResultException c => (HttpStatusCode?)c.Status,
            HttpRequestException r => r.StatusCode,
            _ => null,
        };
        var clientError = ex as ClientResultException ?? ex.InnerException as ClientResultException;
        TimeSpan? retryAfter = null;
        if (clientError?.GetRawResponse() is { } response)
        {
            // retry-after-ms (OpenAI, Azure) is the precise one; Retry-After is seconds or an HTTP date, which may
            // already have passed by the time it is read
            if (response.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis))
                retryAfter = TimeSpan.FromMilliseconds(millis);
            else if (response.Headers.TryGetValue("Retry-After", out var ra) && ra is not null)
            {
                if (double.TryParse(ra, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)) retryAfter = TimeSpan.FromSeconds(seconds);
                else if (DateTimeOffset.TryParse(ra, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)) retryAfter = when - now;
            }
            if (retryAfter < TimeSpan.Zero) retryAfter = TimeSpan.Zero;
        }
        if (status is null && clientError is not null && clientError.Status > 0) status = (HttpStatusCode)clientError.Status;
        if (status is { } s)
        {
            int code = (int)s;
            bool transient = code is 408 or 429 or >= 500;
            // a refusal says why ("Unsupported value: 'temperature'…", "model not found"): keep the server's first
            // line, without the key should a server echo it
            var detail = transient || clientError is null ? "" : ServerDetail(clientError.Message, apiKey);
            return new Failure(transient, $"HTTP {code}{detail}", retryAfter);
        }
        if (ex is HttpRequestException or IOException || ex.InnerException is HttpRequestException or IOException)
            return new Failure(true, "network error: " + ex.Message, null);
        if (ex is KernelException or System.Text.Json.JsonException || ex.InnerException is System.Text.Json.JsonException)
            return new Failure(true, "malformed response: " + ex.Message, null);
        // a 200 without choices ({"choices":[]}, or only {"error":…} from some proxies) fails inside the client;
        // a NullReferenceException is a bug, never a server's fault: it is not retried
        if (ex is ArgumentOutOfRangeException or InvalidOperationException)
            return new Failure(true, "malformed response: " + ex.GetType().Name, null);
        return null;
    }

    static string ServerDetail(string message, string? apiKey)
    {
        var first = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => !l.StartsWith("HTTP ", StringComparison.Ordinal) && !l.StartsWith("Status:", StringComparison.Ordinal)) ?? "";
        if (!string.IsNullOrEmpty(apiKey)) first = first.Replace(apiKey, "***", StringComparison.Ordinal);
        if (first.Length > 200) first = first[..200] + "…";
        return first.Length == 0 ? "" : $" ({first})";
    }

    /// <summary>The reply without a reasoning model's thinking (<c>&lt;think&gt;…&lt;/think&gt;</c>, or an unclosed one to the end).</summary>
    public static string WithoutThinking(string text) => Thinking().Replace(text, "");

    /// <summary>
    /// The standalone question out of a condense reply: without thinking, lead-in lines ("Here is the rewritten
    /// question:"), prefixes ("Standalone question:"), quotes or bold; the first line that asks something.
    /// Empty when nothing usable is left (the offline rewrite is used then).
    /// </summary>
    public static string CleanQuestion(string reply)
    {
        var lines = WithoutThinking(reply).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.EndsWith(':'))
            .Select(l => QuestionPrefix().Replace(l, "").Trim().Trim('*', '_', '"', '\'', '“', '”', '«', '»', '`').Trim())
            .Where(l => l.Length > 0)
            .ToList();
        return lines.FirstOrDefault(l => l.EndsWith('?') || l.EndsWith('？')) ?? lines.FirstOrDefault() ?? "";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"<(think|thinking|reasoning)>.*?(?:</\1>|$)", System.Text.RegularExpressions.RegexOptions.Singleline | System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Thinking();

    [System.Text.RegularExpressions.GeneratedRegex(@"^[*_]*(?:(?:standalone|rewritten|reformulated|rephrased|new)\s+)?question\s*[:：]\s*[*_]*\s*", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex QuestionPrefix();
}

/// <summary>What the answerer retries, and the key of the pipeline the host registers for model calls.</summary>
public static class LlmRetry
{
    public const string PipelineKey = "newsbot-llm";

    /// <summary>A failed model call worth another try: 408/429/5xx, network errors, timeouts, empty or malformed output.</summary>
    public static bool IsTransient(Exception e) => e is LlmAttemptFailure { Transient: true };

    /// <summary>The wait the server asked for (retry-after-ms, else Retry-After in seconds or as an HTTP date), if any.</summary>
    public static TimeSpan? RetryAfter(Exception e) => (e as LlmAttemptFailure)?.RetryAfter;
}

/// <summary>One model call failed; <see cref="Transient"/> says whether another try may help.</summary>
public sealed class LlmAttemptFailure(bool transient, string reason, TimeSpan? retryAfter, Exception? inner = null)
    : Exception($"The language model call failed: {reason}", inner)
{
    public bool Transient { get; } = transient;
    public string Reason { get; } = reason;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The language model could not give an answer (after retries, or refused the request).</summary>
public sealed class LlmException(string message, Exception? inner = null) : Exception(message, inner);
