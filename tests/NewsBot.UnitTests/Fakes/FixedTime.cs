namespace NewsBot.UnitTests.Fakes;

/// <summary>A clock stopped at one instant.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
