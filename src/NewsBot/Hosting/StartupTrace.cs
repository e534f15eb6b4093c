using System.Diagnostics;

namespace NewsBot.Hosting;

/// <summary>
/// A phase-by-phase timeline of one CLI invocation on stderr, for finding where a cold start goes
/// (<c>NEWSBOT_TRACE_STARTUP=1 newsbot ask "…"</c>): each line gives the milliseconds since the process started
/// (the kernel's start time, so the runtime's own start-up is counted) and since the previous mark, and the process's
/// CPU time so far. Off by default: then every call is one static bool test. Hand-written rather than an EventSource
/// or OpenTelemetry trace because it must work on a bare install with no listener and cost nothing when off.
/// </summary>
public static class StartupTrace
{
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("NEWSBOT_TRACE_STARTUP") is "1" or "true";

    static readonly Stopwatch Clock = Stopwatch.StartNew();
    static double _sinceStartAtClock = -1;
    static double _last;
    static readonly Lock Gate = new();

    /// <summary>Writes "[startup] +total ms (+delta) cpu … phase" when the trace is on.</summary>
    public static void Mark(string phase)
    {
        if (!Enabled) return;
        lock (Gate)
        {
            if (_sinceStartAtClock < 0)
            {
                using var self = Process.GetCurrentProcess();
                _sinceStartAtClock = (DateTime.Now - self.StartTime).TotalMilliseconds - Clock.Elapsed.TotalMilliseconds;
            }
            double now = _sinceStartAtClock + Clock.Elapsed.TotalMilliseconds;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
            Console.Error.WriteLine($"[startup] {now,7:F0} ms (+{now - _last,5:F0}) cpu {cpu,6:F0} ms  {phase}");
            _last = now;
        }
    }
}
