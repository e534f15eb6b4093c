using System.Security.Cryptography;
using NewsBot.Core.Answering;
using Telegram.Bot.Types.ReplyMarkups;

namespace NewsBot.Telegram.Conversation;

/// <summary>What the "Sources" button of one answer needs: the message it sits on and the cited passages.</summary>
public sealed class SourcesEntry
{
    public required long ChatId { get; init; }
    public required string LastPartHtml { get; init; }
    public required IReadOnlyList<Citation> Citations { get; init; }
    /// <summary>The other buttons of the answer (extension point), kept when the Sources button is removed.</summary>
    public IReadOnlyList<InlineKeyboardButton> OtherButtons { get; init; } = [];
    public int MessageId { get; set; }
    public bool Expanded { get; set; }
}

/// <summary>
/// A small bounded in-memory table from short tokens (callback data "src:{token}", well under 64 bytes) to
/// <see cref="SourcesEntry"/>. After a restart old buttons answer "no longer available" — acceptable for a
/// convenience view, and it keeps answers' text out of any store.
/// </summary>
public sealed class SourcesCache
{
    public const int Capacity = 2_000;

    private readonly Dictionary<string, SourcesEntry> _entries = [];
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    public string Add(SourcesEntry entry)
    {
        var token = NewToken();
        lock (_lock)
        {
            _entries[token] = entry;
            _order.Enqueue(token);
            while (_order.Count > Capacity)
                _entries.Remove(_order.Dequeue());
        }
        return token;
    }

    public SourcesEntry? Get(string token)
    {
        lock (_lock)
            return _entries.GetValueOrDefault(token);
    }

    public void Remove(string token)
    {
        lock (_lock)
            _entries.Remove(token);
    }

    private static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}
