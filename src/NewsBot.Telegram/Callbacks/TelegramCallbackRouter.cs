using NewsBot.Telegram.Conversation;
using Telegram.Bot.Types;

namespace NewsBot.Telegram.Callbacks;

/// <summary>Routes an inline-button press to the <see cref="ITelegramCallbackHandler"/> whose prefix its data starts with.</summary>
public sealed class TelegramCallbackRouter
{
    private readonly Dictionary<string, ITelegramCallbackHandler> _byPrefix = new(StringComparer.Ordinal);
    private readonly AccessPolicy _access;
    private readonly TelegramSender _sender;

    public TelegramCallbackRouter(IEnumerable<ITelegramCallbackHandler> handlers, AccessPolicy access, TelegramSender sender)
    {
        foreach (var h in handlers)
        {
            if (h.Prefix.Length == 0 || h.Prefix.Contains(':', StringComparison.Ordinal))
                throw new InvalidOperationException($"The callback prefix of {h.GetType().Name} must be non-empty and without ':'.");
            if (!_byPrefix.TryAdd(h.Prefix, h))
                throw new InvalidOperationException($"Two callback handlers use the prefix '{h.Prefix}': {_byPrefix[h.Prefix].GetType().Name} and {h.GetType().Name}.");
        }
        _access = access;
        _sender = sender;
    }

    public async Task RouteAsync(CallbackQuery query, CancellationToken ct)
    {
        var chatId = query.Message?.Chat.Id ?? query.From.Id;
        if (!_access.IsAllowed(query.From.Id, chatId))
        {
            await _sender.AnswerCallbackAsync(query.Id, "Sorry, this is a private news bot.", ct).ConfigureAwait(false);
            return;
        }

        var data = query.Data ?? "";
        var colon = data.IndexOf(':');
        var prefix = colon < 0 ? data : data[..colon];
        var argument = colon < 0 ? "" : data[(colon + 1)..];
        var handler = _byPrefix.GetValueOrDefault(prefix);

        var answered = false;
        try
        {
            if (handler is not null)
                answered = await handler.HandleAsync(query, argument, ct).ConfigureAwait(false);
        }
        finally
        {
            if (!answered)
                await _sender.AnswerCallbackAsync(query.Id, handler is null ? "This button no longer works." : null, ct).ConfigureAwait(false);
        }
    }
}
