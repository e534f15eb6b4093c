using NewsBot.Core.Answering;
using NewsBot.Core.Ingestion;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;

namespace NewsBot.Cli;

// The JSON documents the commands write. Their property names become snake_case through CliOutput.JsonOptions'
// naming policy (ArticleId → article_id), in declaration order. The field names are a contract (README "JSON
// output", CliEndToEndTests pin them): rename a property here only with the documented field. The article reference
// (ArticleRef) is flattened here into the record's own fields (article_id, title, outlet, …), as the contract has them.

/// <summary><c>ingest --json</c>.</summary>
internal sealed record IngestJson(IEnumerable<IngestItemJson> Items, IngestSummaryJson Summary)
{
    public static IngestJson From(IEnumerable<IngestItemResult> results, IngestSummary s) => new(
        results.Select(r => new IngestItemJson(r.Input, r.Status.ToString().ToLowerInvariant(), r.Article?.Id, r.Article?.Title, r.Article?.Author,
            r.Article?.Outlet, CliOutput.IsoDate(r.Article?.Published), r.Article?.Url, r.Chunks, r.DuplicateOf, r.Error)),
        new IngestSummaryJson(s.Added, s.Updated, s.Unchanged, s.Duplicate, s.Failed));
}

internal sealed record IngestItemJson(
    string Input, string Status, string? ArticleId, string? Title, string? Author, string? Outlet, string? Published, string? Url,
    int Chunks, string? DuplicateOf, string? Error);

internal sealed record IngestSummaryJson(int Added, int Updated, int Unchanged, int Duplicate, int Failed);

/// <summary><c>search --json</c>.</summary>
internal sealed record SearchJson(string Query, IEnumerable<SearchHitJson> Results, SearchTimingsJson TimingsMs)
{
    public static SearchJson From(string query, RetrievalResult result) => new(
        query,
        result.Hits.Select((h, i) => new SearchHitJson(i + 1, Math.Round(h.Score, 6), h.Article.Id, h.Article.Title, h.Article.Outlet,
            CliOutput.IsoDate(h.Article.Published), h.Article.Url, h.Text, h.DenseScore is { } d ? Math.Round(d, 4) : null, h.LexicalScore is { } l ? Math.Round(l, 4) : null, h.Position)),
        new SearchTimingsJson(Math.Round(result.EmbeddingMs, 2), Math.Round(result.SearchMs, 2)));
}

internal sealed record SearchHitJson(
    int Rank, double Score, string ArticleId, string Title, string? Outlet, string? Published, string Url, string Text,
    double? DenseScore, double? LexicalScore, int Position);

internal sealed record SearchTimingsJson(double QueryEmbedding, double Search);

/// <summary><c>sources --json</c>.</summary>
internal sealed record SourcesJson(long Articles, long Chunks, long Duplicates, IEnumerable<OutletJson> Outlets);

internal sealed record OutletJson(string? Outlet, long Articles, string? Newest);

/// <summary><c>ask --json</c>, and each line of <c>ask --stdin</c> and <c>chat --json</c>.</summary>
internal sealed record AnswerJson(
    object? Id, string Question, string StandaloneQuery, string Answer, bool Refused, string Mode, IEnumerable<CitationJson> Citations,
    IReadOnlyList<string> ClosestHeadlines, string? Note, double? Relevance, Dictionary<string, double> TimingsMs)
{
    /// <summary>Coverage answers only: the story they are about. Other answers keep their documented shape (no field).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public AnswerStoryJson? Story { get; init; }

    public static AnswerJson From(AnswerResult r, object? id) => new(
        id, r.Question, r.StandaloneQuery, r.Answer, r.Refused, r.Mode == AnswerMode.Llm ? "llm" : "extractive",
        r.Citations.Select(c => new CitationJson(c.N, c.Article.Id, c.Article.Title, c.Article.Outlet, c.Article.Author,
            CliOutput.IsoDate(c.Article.Published), c.Article.Url, c.Snippet)),
        r.ClosestHeadlines, r.Note, r.Relevance, r.TimingsMs.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 1)))
    {
        Story = r.Story is { } s ? new AnswerStoryJson(s.StoryId, s.Title, s.Kind.ToString().ToLowerInvariant(), s.Outlets) : null,
    };
}

/// <summary><c>"story": {"id","title","kind","outlets"}</c> of a coverage answer.</summary>
internal sealed record AnswerStoryJson(string Id, string Title, string Kind, IReadOnlyList<string> Outlets);

internal sealed record CitationJson(int N, string ArticleId, string Title, string? Outlet, string? Author, string? Published, string Url, string Snippet);

/// <summary>A line of <c>ask --stdin</c> that could not be answered.</summary>
internal sealed record AnswerErrorJson(object? Id, string Error);

/// <summary><c>bench --embeddings --json</c> (the embedding model's own throughput).</summary>
internal sealed record EmbeddingBenchJson(
    string Model, int Threads, double? LoadMs, IEnumerable<PassageRunJson> Passages, QueryRunJson QueryEmbeddingMs, Benchmarking.MachineInfo Machine);

internal sealed record PassageRunJson(int Tokens, int Batch, double PerS, double TokensPerS, int Lanes, double TokensPerCpuS);

internal sealed record QueryRunJson(int Tokens, double P50, double P95);
