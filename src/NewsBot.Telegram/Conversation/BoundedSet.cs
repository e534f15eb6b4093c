namespace NewsBot.Telegram.Conversation;

/// <summary>A thread-safe set that forgets its oldest entries beyond a capacity.</summary>
public sealed class BoundedSet<T>(int capacity) where T : notnull
{
    private readonly HashSet<T> _set = [];
    private readonly Queue<T> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Adds the item; false when it was present already.</summary>
    public bool Add(T item)
    {
        lock (_lock)
        {
            if (!_set.Add(item))
                return false;
            _order.Enqueue(item);
            while (_order.Count > capacity)
                _set.Remove(_order.Dequeue());
            return true;
        }
    }

    public bool Contains(T item)
    {
        lock (_lock)
            return _set.Contains(item);
    }
}
