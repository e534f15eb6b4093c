using Microsoft.Extensions.Options;

namespace NewsBot.Telegram.Conversation;

/// <summary>What to do with a message from someone.</summary>
public enum AccessDecision
{
    Allowed,
    /// <summary>Not allowed, and not told yet: send one polite refusal.</summary>
    RefuseOnce,
    /// <summary>Not allowed and already told: stay silent.</summary>
    Ignore,
}

/// <summary>
/// <c>AllowedUserIds</c>/<c>AllowedChatIds</c> (both empty = open) and <c>AdminUserIds</c>. Someone refused is
/// remembered (bounded) so they get one refusal and silence afterwards.
/// </summary>
public sealed class AccessPolicy(IOptions<TelegramOptions> options)
{
    private readonly BoundedSet<string> _refused = new(10_000);

    public bool IsAdmin(long userId) => options.Value.AdminUserIds.Contains(userId);

    public bool IsAllowed(long userId, long chatId)
    {
        var o = options.Value;
        if (o.AllowedUserIds.Count == 0 && o.AllowedChatIds.Count == 0)
            return true;
        return o.AllowedUserIds.Contains(userId) || o.AllowedChatIds.Contains(chatId) || o.AdminUserIds.Contains(userId);
    }

    public AccessDecision Check(long userId, long chatId)
    {
        if (IsAllowed(userId, chatId))
            return AccessDecision.Allowed;
        return _refused.Add($"{chatId}:{userId}") ? AccessDecision.RefuseOnce : AccessDecision.Ignore;
    }
}
