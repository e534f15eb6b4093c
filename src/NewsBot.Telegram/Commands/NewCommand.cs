using NewsBot.Core.Answering;
using NewsBot.Telegram.Conversation;

namespace NewsBot.Telegram.Commands;

/// <summary>/new: forgets the conversation of this chat (or forum topic).</summary>
public sealed class NewCommand(IAnswerService answers, TelegramSender sender) : ITelegramCommand
{
    public string Name => "new";

    public string Description => "Start a new conversation (forget earlier questions)";

    public async Task HandleAsync(TelegramCommandContext context, CancellationToken ct)
    {
        await answers.ResetConversationAsync(context.Chat.ConversationId, ct).ConfigureAwait(false);
        await sender.ReplyTextAsync(context, "OK, new conversation: I've forgotten the earlier questions in this chat.", ct).ConfigureAwait(false);
    }
}
