using System.Text.Json;
using System.Text.Json.Serialization;

namespace NewsBot.Evaluation;

/// <summary>One line of a QA file (the format of the public QA set and of the project's own BBC questions under eval/).</summary>
public sealed record QaItem
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("question")] public string Question { get; init; } = "";
    [JsonPropertyName("answers")] public List<string> Answers { get; init; } = [];
    [JsonPropertyName("evidence_doc_ids")] public List<string> EvidenceDocIds { get; init; } = [];
    /// <summary>The day the question was asked (relative time words are relative to it).</summary>
    [JsonPropertyName("date")] public string? Date { get; init; }
    /// <summary>Questions sharing a chat id are one conversation, in file order.</summary>
    [JsonPropertyName("chat")] public string? Chat { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }

    public static List<QaItem> Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"eval: the QA file '{path}' does not exist.");
        var list = new List<QaItem>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var item = JsonSerializer.Deserialize<QaItem>(line) ?? throw new JsonException("empty");
                if (string.IsNullOrWhiteSpace(item.Question)) throw new JsonException("no question");
                list.Add(item with { Id = string.IsNullOrEmpty(item.Id) ? $"line{n}" : item.Id });
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"eval: line {n} of {path} is not a QA item ({ex.Message}).");
            }
        }
        return list;
    }
}
