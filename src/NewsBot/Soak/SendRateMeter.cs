using System.Diagnostics;

namespace NewsBot.Soak;

/// <summary>
/// What a Bot API server sees of a bot's pace: the time each message arrived and its chat. Reports the most messages
/// that arrived within any one second overall and in one chat, and within any one minute in one group (a negative
/// chat id), i.e. the figures Telegram's flood limits are stated in. Thread-safe.
/// </summary>
public sealed class SendRateMeter
{
    private readonly Lock _lock = new();
    private readonly List<(long At, long ChatId)> _sends = [];

    public void Record(long chatId)
    {
        var at = Stopwatch.GetTimestamp();
        lock (_lock)
            _sends.Add((at, chatId));
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _sends.Count;
        }
    }

    /// <summary>From the first message to the last.</summary>
    public TimeSpan Span
    {
        get
        {
            lock (_lock)
                return _sends.Count < 2 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_sends.Min(s => s.At), _sends.Max(s => s.At));
        }
    }

    /// <summary>The most messages within any one second, all chats together.</summary>
    public int MaxPerSecond => MaxIn(Snapshot(), TimeSpan.FromSeconds(1));

    /// <summary>The most messages within any one second in a single chat.</summary>
    public int MaxPerChatPerSecond => Snapshot().GroupBy(s => s.ChatId).Select(g => MaxIn([.. g], TimeSpan.FromSeconds(1))).DefaultIfEmpty(0).Max();

    /// <summary>The most messages within any one minute in a single group.</summary>
    public int MaxPerGroupPerMinute => Snapshot().Where(s => s.ChatId < 0).GroupBy(s => s.ChatId)
        .Select(g => MaxIn([.. g], TimeSpan.FromMinutes(1))).DefaultIfEmpty(0).Max();

    private List<(long At, long ChatId)> Snapshot()
    {
        lock (_lock)
            return [.. _sends.OrderBy(s => s.At)];
    }

    /// <summary>Two pointers over the arrival times (sorted): the largest count within [t, t + window) for any t.</summary>
    private static int MaxIn(List<(long At, long ChatId)> sends, TimeSpan window)
    {
        var span = (long)(window.TotalSeconds * Stopwatch.Frequency);
        var best = 0;
        var start = 0;
        for (var end = 0; end < sends.Count; end++)
        {
            while (sends[end].At - sends[start].At >= span)
                start++;
            best = Math.Max(best, end - start + 1);
        }
        return best;
    }
}
