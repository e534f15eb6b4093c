using System.ComponentModel.DataAnnotations;

namespace NewsBot.Core.Retrieval;

/// <summary>Retrieval settings (configuration section <c>Index</c>).</summary>
public sealed class RetrievalOptions
{
    /// <summary>Hybrid (default), Dense or Lexical.</summary>
    public NewsBot.Core.Model.RetrievalMode Mode { get; set; } = NewsBot.Core.Model.RetrievalMode.Hybrid;

    /// <summary>The k of reciprocal-rank fusion.</summary>
    [Range(1, 1000)]
    public int RrfK { get; set; } = 10;

    /// <summary>Weight of the dense (embedding) leg in the fusion: each leg adds weight / (k + rank).</summary>
    [Range(0.0, 10.0)]
    public double DenseWeight { get; set; } = 1.0;

    /// <summary>Weight of the lexical (BM25) leg in the fusion.</summary>
    [Range(0.0, 10.0)]
    public double LexicalWeight { get; set; } = 0.7;

    /// <summary>Candidates each leg contributes before fusion.</summary>
    [Range(1, 1000)]
    public int CandidatesPerLeg { get; set; } = 40;

    /// <summary>Recency boost weight (0 = off): score × (1 + weight × 2^(−age/half-life)).</summary>
    [Range(0.0, 10.0)]
    public double RecencyWeight { get; set; } = 1.0;

    /// <summary>Recency boost half-life in days.</summary>
    [Range(0.01, 3650.0)]
    public double RecencyHalfLifeDays { get; set; } = 14;

    /// <summary>Recency weight used when a question asks for the latest news.</summary>
    [Range(0.0, 10.0)]
    public double LatestRecencyWeight { get; set; } = 2.0;
}
