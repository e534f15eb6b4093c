using System.ComponentModel.DataAnnotations;

namespace NewsBot.Hosting;

/// <summary>Section <c>Storage</c>: where the embedded database and caches live.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Folder of the SQLite database (newsbot.db), model cache and logs. Relative paths are relative to the working directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Articles older than this many days (by published time, else ingestion time) are pruned once a day by the worker
    /// and by <c>prune</c> without <c>--older-than</c>; unset (the default) keeps everything.
    /// </summary>
    [Range(1, 36500)]
    public int? RetainDays { get; set; }

    /// <summary>Keep a pruned article's text (in its tombstone) although it leaves the index; default false (text deleted).</summary>
    public bool KeepArticleText { get; set; }

    /// <summary>
    /// SQLite's page cache per open connection, in MB (default 8). Each pooled connection keeps what it filled; the file's
    /// pages stay in the system's page cache either way (BENCHMARKS.md §2.1.3).
    /// </summary>
    [Range(1, 1024)]
    public int SqliteCacheMb { get; set; } = NewsBot.Sqlite.SqliteDatabase.DefaultCacheMb;
}

public enum IndexProvider
{
    Embedded,
    Qdrant,
}

/// <summary>Section <c>Index</c>: which index serves searches (retrieval settings bind from the same section).</summary>
public sealed class IndexOptions
{
    public const string SectionName = "Index";

    public IndexProvider Provider { get; set; } = IndexProvider.Embedded;
}

public enum EmbeddingProvider
{
    Local,
    OpenAI,
    AzureOpenAI,
}

/// <summary>Section <c>Embeddings</c>.</summary>
public sealed class EmbeddingsOptions
{
    public const string SectionName = "Embeddings";

    /// <summary>Local (ONNX, offline, default), OpenAI (any OpenAI-compatible endpoint, e.g. Ollama) or AzureOpenAI.</summary>
    public EmbeddingProvider Provider { get; set; } = EmbeddingProvider.Local;

    /// <summary>
    /// Local: MiniLM (all-MiniLM-L6-v2, default) or ArcticXs (snowflake-arctic-embed-xs: better answers on both
    /// eval sets at the same speed, see BENCHMARKS.md). Remote: the model (or Azure deployment) name, e.g.
    /// text-embedding-3-small or nomic-embed-text.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string Model { get; set; } = "MiniLM";

    /// <summary>Local: ONNX Runtime intra-op threads (0 = all cores).</summary>
    [Range(0, 256)]
    public int Threads { get; set; }

    /// <summary>
    /// Passages per model call; unset: the local model's own default (1: one passage per core at a time measured
    /// fastest, BENCHMARKS.md §3), 8 for a remote model.
    /// </summary>
    [Range(1, 256)]
    public int? BatchSize { get; set; }

    /// <summary>
    /// Local: run one batch per thread side by side, each on one core (default), or one batch at a time across all
    /// <see cref="Threads"/> (false: how releases before issue 18 ran; for comparing, BENCHMARKS.md §3).
    /// </summary>
    public bool ParallelBatches { get; set; } = true;

    /// <summary>Passages per request to a remote model when <see cref="BatchSize"/> is not set.</summary>
    public const int DefaultRemoteBatchSize = 8;

    /// <summary>Local: inputs are truncated to this many tokens (the model's window is 256 for MiniLM).</summary>
    [Range(16, 512)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>
    /// Local: run an int8 (dynamically quantized) copy of the model, made once and cached. Faster on CPUs with VNNI;
    /// its vectors differ slightly, so the index records e.g. all-MiniLM-L6-v2-int8 and must be rebuilt to switch.
    /// </summary>
    public bool Quantize { get; set; } = true;

    /// <summary>Local: where the extracted ONNX model is cached (default: {Storage:DataDirectory}/cache).</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Remote: base URL of the embeddings endpoint (OpenAI: https://api.openai.com/v1; Ollama: http://localhost:11434/v1).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Remote: API key (set it through the environment: Embeddings__ApiKey).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Remote: vector size the model returns (e.g. 1536 for text-embedding-3-small, 768 for nomic-embed-text).</summary>
    [Range(1, 8192)]
    public int? Dimensions { get; set; }

    /// <summary>Remote: query prefix some models expect (e.g. "search_query: " for nomic-embed-text).</summary>
    public string? QueryPrefix { get; set; }

    /// <summary>Remote: passage prefix some models expect (e.g. "search_document: ").</summary>
    public string? PassagePrefix { get; set; }
}
