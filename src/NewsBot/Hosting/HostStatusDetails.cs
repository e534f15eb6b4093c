using NewsBot.Core.Answering;
using NewsBot.Core.Operations;
using NewsBot.Sqlite;

namespace NewsBot.Hosting;

/// <summary>The answer mode for status: the configured language model, or extractive when there is none.</summary>
public sealed class HostAnswerModeInfo(ILlmAnswerer? llm) : IAnswerModeInfo
{
    public string AnswerMode => llm is null ? "extractive" : "llm";

    public string? LlmModel => llm?.Description;
}

/// <summary>The SQLite file and its size on disk, for status.</summary>
public sealed class HostStoreInfo(SqliteDatabase db) : IStoreInfo
{
    public string? StorePath => db.FilePath;

    public long? StoreSizeBytes() => db.DiskBytes();
}
