namespace NewsBot.Evaluation;

/// <summary>A clock that evaluation sets to each question's date ("this week" means the quiz's week).</summary>
public sealed class AdjustableTimeProvider : TimeProvider
{
    DateTimeOffset? _now;

    public void Set(DateTimeOffset? now) => _now = now;

    public override DateTimeOffset GetUtcNow() => _now ?? System.GetUtcNow();
}
