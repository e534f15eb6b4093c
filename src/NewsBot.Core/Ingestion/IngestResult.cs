using NewsBot.Core.Model;

namespace NewsBot.Core.Ingestion;

public enum IngestStatus
{
    Added,
    Updated,
    Unchanged,
    Duplicate,
    Failed,
    /// <summary>Older than the retention window (Storage:RetainDays), or pruned before: not ingested again (counted with the unchanged).</summary>
    Expired,
}

/// <summary>The outcome of ingesting one article (or of one input that failed).</summary>
public sealed record IngestItemResult
{
    public required string Input { get; init; }
    public required IngestStatus Status { get; init; }
    /// <summary>The article ingested (or, for a duplicate, the input as read, under the id of the article it duplicates); null when it failed.</summary>
    public ArticleRef? Article { get; init; }
    public int Chunks { get; init; }
    public string? DuplicateOf { get; init; }
    public string? Error { get; init; }

    public static IngestItemResult Failed(string input, string error) => new() { Input = input, Status = IngestStatus.Failed, Error = error };
}

public sealed class IngestSummary
{
    public int Added { get; set; }
    public int Updated { get; set; }
    public int Unchanged { get; set; }
    public int Duplicate { get; set; }
    public int Failed { get; set; }
    public int Chunks { get; set; }

    public int Total => Added + Updated + Unchanged + Duplicate + Failed;

    public void Count(IngestItemResult r)
    {
        switch (r.Status)
        {
            case IngestStatus.Added: Added++; Chunks += r.Chunks; break;
            case IngestStatus.Updated: Updated++; Chunks += r.Chunks; break;
            case IngestStatus.Unchanged or IngestStatus.Expired: Unchanged++; break;
            case IngestStatus.Duplicate: Duplicate++; break;
            default: Failed++; break;
        }
    }
}
