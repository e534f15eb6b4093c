using System.Diagnostics;
using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// Where one embedded search's time went (<see cref="SqliteArticleIndex.Phases"/>), in milliseconds. Wall clock:
/// <see cref="SyncMs"/> the generation check before the search (and loading what other writers added), <see cref="DenseMs"/>
/// the dense leg's call (from 32,768 slots it also runs the lexical leg as one of its parallel items, so it includes
/// the wait for it), <see cref="LexicalMs"/> the lexical leg on whichever thread ran it, <see cref="LegsMs"/> both legs
/// together, <see cref="FusionMs"/> fusing them (and the exact dense score of lexical-only hits), <see cref="HydrationMs"/>
/// reading the hits' rows, <see cref="TotalMs"/> the whole call. CPU: the thread CPU time of the lexical leg, and of
/// the calling thread in the sync, fusion and hydration phases (NaN where the platform has no per-thread clock).
/// </summary>
public readonly record struct SearchPhases(
    double SyncMs, double DenseMs, double LexicalMs, double LegsMs, double FusionMs, double HydrationMs, double TotalMs,
    double SyncCpuMs, double LexicalCpuMs, double FusionCpuMs, double HydrationCpuMs);

/// <summary>
/// Collects <see cref="SearchPhases"/> of the searches made while it is attached (the bench attaches one to its timed
/// round; nothing is measured otherwise). Safe to share between concurrent searches.
/// </summary>
public sealed class SearchPhaseRecorder
{
    readonly List<SearchPhases> _searches = [];

    public IReadOnlyList<SearchPhases> Searches
    {
        get
        {
            lock (_searches) return [.. _searches];
        }
    }

    internal void Add(in SearchPhases phases)
    {
        lock (_searches) _searches.Add(phases);
    }
}

/// <summary>
/// The timestamps one search takes while a recorder is attached: Stopwatch ticks for wall clock and the calling
/// thread's CPU clock. The lexical leg may run on a pool thread, so it writes its own pair of times here.
/// </summary>
internal sealed class SearchClock
{
    readonly long _start = Stopwatch.GetTimestamp();
    readonly double _startCpu = ThreadCpu.NowMs();
    long _legsStart, _denseEnd, _lexicalStart, _lexicalEnd, _legsEnd, _fusionEnd, _synced, _searched;
    double _syncedCpu, _legsEndCpu, _fusionEndCpu, _searchedCpu, _lexicalCpuMs;

    public void MarkSynced() => (_synced, _syncedCpu) = (Stopwatch.GetTimestamp(), ThreadCpu.NowMs());

    public void MarkLegsStart() => _legsStart = Stopwatch.GetTimestamp();

    public void MarkDenseEnd() => _denseEnd = Stopwatch.GetTimestamp();

    public void MarkLegsEnd() => (_legsEnd, _legsEndCpu) = (Stopwatch.GetTimestamp(), ThreadCpu.NowMs());

    public void MarkFusionEnd() => (_fusionEnd, _fusionEndCpu) = (Stopwatch.GetTimestamp(), ThreadCpu.NowMs());

    /// <summary>After the in-memory search, when the index's lock is released and hydration starts.</summary>
    public void MarkSearched() => (_searched, _searchedCpu) = (Stopwatch.GetTimestamp(), ThreadCpu.NowMs());

    /// <summary>Runs the lexical leg, timing it on the thread that runs it.</summary>
    public T Lexical<T>(Func<T> leg)
    {
        double cpu = ThreadCpu.NowMs();
        _lexicalStart = Stopwatch.GetTimestamp();
        var result = leg();
        _lexicalEnd = Stopwatch.GetTimestamp();
        _lexicalCpuMs = ThreadCpu.NowMs() - cpu;
        return result;
    }

    /// <summary>The phases of a search that ends now (hydration done).</summary>
    public SearchPhases End()
    {
        long end = Stopwatch.GetTimestamp();
        double endCpu = ThreadCpu.NowMs();
        bool searched = _fusionEnd != 0; // an empty index returns before the legs
        long legsStart = searched ? _legsStart : _synced;
        long legsEnd = searched ? _legsEnd : _synced;
        long fusionEnd = searched ? _fusionEnd : _synced;
        return new SearchPhases(
            SyncMs: Ms(_start, _synced),
            DenseMs: searched ? Ms(legsStart, _denseEnd) : 0,
            LexicalMs: _lexicalEnd != 0 ? Ms(_lexicalStart, _lexicalEnd) : 0,
            LegsMs: Ms(legsStart, legsEnd),
            FusionMs: Ms(legsEnd, fusionEnd),
            HydrationMs: Ms(searched ? _searched : _synced, end),
            TotalMs: Ms(_start, end),
            SyncCpuMs: _syncedCpu - _startCpu,
            LexicalCpuMs: _lexicalEnd != 0 ? _lexicalCpuMs : 0,
            FusionCpuMs: searched ? _fusionEndCpu - _legsEndCpu : 0,
            HydrationCpuMs: endCpu - (searched ? _searchedCpu : _syncedCpu));
    }

    static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// CPU time of the calling thread (Linux: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>), to split a search's CPU by
/// phase. Hand-written because .NET exposes a thread's CPU time only through <c>ProcessThread</c>, which reads
/// <c>/proc</c> for every thread of the process (milliseconds, not the microsecond a phase takes). NaN elsewhere.
/// </summary>
internal static unsafe partial class ThreadCpu
{
    const int ClockThreadCputimeId = 3;
    static bool _unavailable = !OperatingSystem.IsLinux();

    public static double NowMs()
    {
        if (_unavailable) return double.NaN;
        try
        {
            Timespec ts;
            if (ClockGettime(ClockThreadCputimeId, &ts) == 0) return ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // another C library without the symbol: no per-thread figures
        }
        _unavailable = true;
        return double.NaN;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = false)]
    private static partial int ClockGettime(int clock, Timespec* ts);
}
