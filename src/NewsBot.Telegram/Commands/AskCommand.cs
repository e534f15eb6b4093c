using NewsBot.Telegram.Conversation;

namespace NewsBot.Telegram.Commands;

/// <summary>/ask QUESTION: how groups ask (private chats may just type the question).</summary>
public sealed class AskCommand(QuestionAnswerer questions) : ITelegramCommand
{
    public string Name => "ask";

    public string Description => "Ask a question about the news";

    public Task HandleAsync(TelegramCommandContext context, CancellationToken ct) =>
        questions.AnswerAsync(context.Message, context.Chat, context.Args, ct);
}
