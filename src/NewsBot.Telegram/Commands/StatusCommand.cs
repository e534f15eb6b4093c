using System.Globalization;
using NewsBot.Core.Ports;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Commands;

/// <summary>/status (bot admins): the <see cref="ISystemStatusProvider"/> snapshot, as <c>newsbot status</c> prints it.</summary>
public sealed class StatusCommand(ISystemStatusProvider status, TelegramSender sender) : ITelegramCommand
{
    public string Name => "status";

    public string Description => "Index and ingestion status";

    public CommandAccess Access => CommandAccess.BotAdmins;

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        await sender.SendLongAsync(context, Text(await status.GetStatusAsync(ct).ConfigureAwait(false)), ct).ConfigureAwait(false);

    public static string Text(SystemStatus status)
    {
        var lines = new List<string>
        {
            "<b>Status</b>",
            // Without an index (IndexProvider null) there is no chunk count to show.
            $"Articles: {status.Articles}" + (status.IndexProvider is not null ? $", chunks: {status.Chunks}" : ""),
            $"Last ingest: {TelegramHtml.DateTime(status.LastIngestedAt)}",
            $"Feeds: {status.Feeds}, with errors: {status.FeedsWithErrors.Count}",
        };
        foreach (var f in status.FeedsWithErrors.Take(10))
            lines.Add($"  • {TelegramHtml.Escape(f.Url)}: <i>{TelegramHtml.Escape(TelegramHtml.Truncate(f.Error, 200))}</i>");
        void Add(string label, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
                lines.Add($"{label}: {TelegramHtml.Escape(value)}");
        }
        Add("Embedding model", status.EmbeddingModel);
        Add("Answer mode", status.AnswerMode);
        Add("Language model", status.LlmModel);
        Add("Index", status.IndexProvider);
        Add("Store", status.StorePath is null ? null : status.StorePath + (status.StoreSizeBytes is { } b ? $" ({FormatBytes(b)})" : ""));
        return string.Join("\n", lines);
    }

    private static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
