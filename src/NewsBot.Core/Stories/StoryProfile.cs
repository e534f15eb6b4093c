using NewsBot.Core.Retrieval;

namespace NewsBot.Core.Stories;

/// <summary>
/// The features of a story that the clusterer compares an article with: the sum of its articles' title+lead
/// vectors (the centroid, once normalised), how many of its articles name each entity and number, and its time
/// span. Kept per story in the store, and updated as articles join, leave or stories merge.
/// </summary>
public sealed class StoryProfile
{
    public StoryProfile(string id, int dimensions)
    {
        Id = id;
        Sum = new float[dimensions];
    }

    public string Id { get; }
    public float[] Sum { get; private set; }
    public int Count { get; private set; }
    Dictionary<string, int>? _entities, _numbers;
    Func<Dictionary<string, int>>? _readEntities, _readNumbers;

    /// <summary>How many of the story's articles name each entity (read from the store only when first needed).</summary>
    public Dictionary<string, int> Entities => _entities ??= _readEntities?.Invoke() ?? new(StringComparer.Ordinal);

    public Dictionary<string, int> Numbers => _numbers ??= _readNumbers?.Invoke() ?? new(StringComparer.Ordinal);
    public DateTimeOffset First { get; set; } = DateTimeOffset.MaxValue;
    public DateTimeOffset Last { get; set; } = DateTimeOffset.MinValue;

    /// <summary>
    /// A profile as stored (sum, count, span); its name and number counts are parsed only if the clusterer gets
    /// that far (most candidates are ruled out by their vector alone).
    /// </summary>
    public static StoryProfile Restore(string id, float[] sum, int count, Func<Dictionary<string, int>> entities, Func<Dictionary<string, int>> numbers, DateTimeOffset first, DateTimeOffset last)
        => new(id, 0) { Sum = sum, Count = count, First = first, Last = last, _readEntities = entities, _readNumbers = numbers };

    public static StoryProfile FromMembers(string id, IReadOnlyList<ArticleFeatures> members)
    {
        var p = new StoryProfile(id, members.Count > 0 ? members[0].Vector.Length : 0);
        foreach (var m in members) p.Add(m);
        return p;
    }

    /// <summary>A copy to change without changing this one (profiles held in memory are shared).</summary>
    public StoryProfile Clone() => new(Id, 0)
    {
        Sum = (float[])Sum.Clone(),
        Count = Count,
        First = First,
        Last = Last,
        _entities = new Dictionary<string, int>(Entities, StringComparer.Ordinal),
        _numbers = new Dictionary<string, int>(Numbers, StringComparer.Ordinal),
    };

    /// <summary>The normalised centroid of the articles' vectors.</summary>
    public float[] Centroid()
    {
        var c = (float[])Sum.Clone();
        VectorMath.NormalizeInPlace(c);
        return c;
    }

    public void Add(ArticleFeatures f)
    {
        if (Sum.Length == 0) Sum = new float[f.Vector.Length];
        if (f.Vector.Length == Sum.Length)
            for (int i = 0; i < Sum.Length; i++) Sum[i] += f.Vector[i];
        AddCounts(f);
    }

    /// <summary>
    /// Adds articles that go among the last members in order: the sum becomes <paramref name="sumBefore"/> (that of
    /// the members before <paramref name="tail"/>) plus the tail's vectors in order, the added ones among them, so
    /// that it is bit for bit the sum of all the members added in order.
    /// </summary>
    public void Add(IReadOnlyList<ArticleFeatures> added, float[] sumBefore, IEnumerable<ArticleFeatures> tail)
    {
        var sum = (float[])sumBefore.Clone();
        foreach (var m in tail)
            if (m.Vector.Length == sum.Length)
                for (int i = 0; i < sum.Length; i++) sum[i] += m.Vector[i];
        Sum = sum;
        foreach (var f in added) AddCounts(f);
    }

    void AddCounts(ArticleFeatures f)
    {
        Count++;
        foreach (var e in f.Entities) Entities[e] = Entities.GetValueOrDefault(e) + 1;
        foreach (var n in f.Numbers) Numbers[n] = Numbers.GetValueOrDefault(n) + 1;
        if (f.Time < First) First = f.Time;
        if (f.Time > Last) Last = f.Time;
    }

    /// <summary>Takes an article's contribution back out (its span is kept: it only serves as a time hint).</summary>
    public void Remove(ArticleFeatures f)
    {
        if (f.Vector.Length == Sum.Length)
            for (int i = 0; i < Sum.Length; i++) Sum[i] -= f.Vector[i];
        Count--;
        foreach (var e in f.Entities) Decrement(Entities, e);
        foreach (var n in f.Numbers) Decrement(Numbers, n);
    }

    static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (!counts.TryGetValue(key, out var c)) return;
        if (c <= 1) counts.Remove(key);
        else counts[key] = c - 1;
    }
}
