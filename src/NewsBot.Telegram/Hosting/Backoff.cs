namespace NewsBot.Telegram.Hosting;

/// <summary>Exponential backoff with ±20 % jitter, capped: 1 s, 2 s, 4 s … up to the cap.</summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int _failures;

    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures++, 20);
        var seconds = Math.Min(max.TotalSeconds, initial.TotalSeconds * Math.Pow(2, exponent));
        var jitter = 0.8 + Random.Shared.NextDouble() * 0.4;
        return TimeSpan.FromSeconds(Math.Min(max.TotalSeconds, seconds * jitter));
    }

    public void Reset() => _failures = 0;
}
