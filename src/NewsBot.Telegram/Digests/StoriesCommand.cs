using NewsBot.Core.Stories;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using NewsBot.Telegram.Formatting;

namespace NewsBot.Telegram.Digests;

/// <summary>/stories: the top stories of the last 24 hours, each with its outlets and a link per article.</summary>
public sealed class StoriesCommand(IStoryStore stories, TimeProvider time, TelegramSender sender) : ITelegramCommand
{
    /// <summary>Stories listed (the most covered first).</summary>
    public const int Top = 10;

    public string Name => "stories";

    public string Description => "Top stories of the last 24 hours and who covered them";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        var list = await stories.ListStoriesAsync(time.GetUtcNow() - StoriesFormatter.Window, Top, ct).ConfigureAwait(false);
        await sender.SendPartsAsync(context.Chat, StoriesFormatter.Format(list), context.MessageId, null, ct).ConfigureAwait(false);
    }
}
