using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NewsBot.Cli;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Core.Stories;
using NewsBot.Core.Text;
using NewsBot.Sqlite;

namespace NewsBot.Benchmarking;

public sealed record StoryBenchFigures
{
    public int Articles { get; init; }
    public int Stories { get; init; }
    /// <summary>Candidate stories an article was compared with (those active within the window), on average.</summary>
    public double CandidatesPerArticle { get; init; }
    /// <summary>Assigning one new article (features in hand: the vector comes from ingestion's first chunk).</summary>
    public Percentiles AssignMs { get; init; } = new(0, 0, 0);
    /// <summary>Reading the active stories' profiles around one article's time from the store (the assigner holds them in memory and reads them once per range).</summary>
    public Percentiles ReadCandidatesMs { get; init; } = new(0, 0, 0);
    /// <summary>What <c>stories --since 48h</c> does after start: the catch-up check, then the listing with articles.</summary>
    public Percentiles ListSince48hMs { get; init; } = new(0, 0, 0);
    public int StoriesIn48h { get; init; }
    /// <summary>Process CPU time per assignment and per listing (means): what wall-clock percentiles cannot hide on a shared, overloaded machine.</summary>
    public double AssignCpuMsMean { get; init; }
    public double ListCpuMsMean { get; init; }
    public double LoadSeconds { get; init; }
    /// <summary>The machine's 1-minute load average when the timings started and ended (Linux; null elsewhere): timings on a shared machine need it beside them.</summary>
    public double[]? LoadAverage { get; init; }
}

/// <summary>
/// Story clustering at scale on synthetic data: a year of <c>N</c> articles in stories of one to five (vectors
/// near a random story centre, names drawn from the story's), bulk-loaded into a scratch database; then new
/// articles are assigned one by one, and the 48-hour listing is timed.
/// </summary>
public sealed class StoryBenchmark(IServiceProvider sp, CliOutput output, ProcessMemory? memory = null)
{
    /// <summary>Articles generated and imported at a time (one transaction each).</summary>
    const int ImportBatch = 1_000;

    public async Task<StoryBenchFigures> RunAsync(string directory, int articles, CancellationToken ct)
    {
        var embedder = sp.GetRequiredService<Embedder>();
        int dims = embedder.Profile.Dimensions;
        var rng = new Random(20261206);
        var now = DateTimeOffset.UtcNow;
        var start = now.AddDays(-365);
        var db = new SqliteDatabase(directory, sp.GetRequiredService<SqliteDatabase>().CacheMb); // the configured page cache, as the store's
        var store = new SqliteStoryStore(db, TimeProvider.System);
        var options = new StoryOptions();
        var clusterer = new StoryClusterer(options);

        output.Progress($"stories: generating and loading {articles} articles…");
        // generated and imported in batches: the whole year at once held every article's vector and record in the
        // heap (about 1.9 KB an article, 450 MB at 236k), which the bench process's peak memory then reported; batches of
        // 5,000 still peaked at 520-532 MB in this fixture phase of the 100k bench (the index phases: at most 489 MB),
        // 1,000 at 451 MB (BENCHMARKS.md §2)
        var records = new List<ArticleRecord>(ImportBatch);
        var features = new Dictionary<string, ArticleFeatures>(ImportBatch, StringComparer.Ordinal);
        var states = new List<StoryState>();
        var recent = new List<(float[] Centre, string[] Names, DateTimeOffset Time)>();
        int made = 0, storyCount = 0;
        var sw = new Stopwatch();
        while (made < articles)
        {
            var centre = RandomUnit(rng, dims);
            var names = Enumerable.Range(0, 3).Select(_ => "name" + rng.Next(5000)).ToArray();
            var t0 = start.AddSeconds(rng.NextDouble() * (now.AddDays(-2) - start).TotalSeconds);
            int size = Math.Min(articles - made, 1 + rng.Next(5));
            var members = new List<ArticleFeatures>(size);
            for (int i = 0; i < size; i++, made++)
            {
                var id = "bench" + made.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
                var f = new ArticleFeatures
                {
                    ArticleId = id,
                    Time = t0.AddHours(rng.NextDouble() * 36),
                    Vector = Near(rng, centre, 0.35f),
                    Entities = [.. names.Where(_ => rng.NextDouble() < 0.8), "name" + rng.Next(5000)],
                    Title = "Synthetic story headline " + made,
                    Outlet = "Outlet " + rng.Next(20),
                };
                members.Add(f);
                features[id] = f;
                records.Add(new ArticleRecord
                {
                    Article = new ArticleRef { Id = id, Url = "https://bench.example/" + id, Title = f.Title, Outlet = f.Outlet, Published = f.Time },
                    SourceKey = "https://bench.example/" + id, IngestedAt = f.Time, ContentHash = id, Kind = SourceKind.Page, ChunkCount = 1, Body = "Synthetic body.",
                });
            }
            var profile = StoryProfile.FromMembers(StoryAssigner.NewStoryId(members[0].ArticleId), members);
            states.Add(new StoryState(profile, members[0].Title, members.Select(m => m.Outlet).Distinct().Count(), [.. members.Select(m => m.ArticleId)]));
            if (t0 > now.AddDays(-5)) recent.Add((centre, names, t0));
            if (records.Count >= ImportBatch || made == articles)
            {
                sw.Start();
                await store.ImportAsync(records, states, features, ct).ConfigureAwait(false);
                sw.Stop();
                storyCount += states.Count;
                records.Clear();
                features.Clear();
                states.Clear();
                // the import is the fixture, not what is measured (a serving process never loads a year of stories at
                // once): what it left behind is collected before the next batch adds to it
                CHeap.CollectAndTrim();
                output.Progress($"stories: loaded {made}/{articles} articles…");
            }
        }
        var loadSeconds = sw.Elapsed.TotalSeconds;
        // the bulk load leaves a large WAL behind, which a live database would have checkpointed long ago
        await using (var conn = await db.OpenAsync(ct).ConfigureAwait(false))
        await using (var checkpoint = conn.CreateCommand())
        {
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await checkpoint.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        memory?.EndPhase("stories: generate and import");
        var assigner = new StoryAssigner(store, clusterer, embedder, sp.GetRequiredService<Chunker>(), NullLogger<StoryAssigner>.Instance);
        await assigner.AssignPendingAsync(ct).ConfigureAwait(false); // records the checked mark, as a first start would
        // new articles of the last two days: half continue a recent story, half open one
        var assignMs = new List<double>();
        var readMs = new List<double>();
        var times = new List<DateTimeOffset>();
        long candidates = 0;
        const int Warmup = 30;
        var process = Process.GetCurrentProcess();
        var loadBefore = LoadAverageNow();
        TimeSpan cpuStart = TimeSpan.Zero;
        for (int i = 0; i < 300 + Warmup; i++)
        {
            ct.ThrowIfCancellationRequested();
            var time = now.AddHours(-rng.NextDouble() * 48);
            float[] vector;
            string[] names;
            if (i % 2 == 0 && recent.Count > 0)
            {
                var r = recent[rng.Next(recent.Count)];
                (vector, names, time) = (Near(rng, r.Centre, 0.35f), r.Names, r.Time.AddHours(rng.NextDouble() * 40));
            }
            else (vector, names) = (RandomUnit(rng, dims), ["name" + rng.Next(5000)]);
            var id = "new" + i;
            var article = new ArticleRecord
            {
                Article = new ArticleRef
                {
                    Id = id, Url = "https://bench.example/" + id, Title = string.Join(" ", names.Select(n => "Report on " + n)),
                    Outlet = "Outlet " + rng.Next(20), Published = time,
                },
                SourceKey = "https://bench.example/" + id, IngestedAt = time, ContentHash = id, Kind = SourceKind.Page, ChunkCount = 1, Body = "Synthetic body.",
            };
            if (i == Warmup) { process.Refresh(); cpuStart = process.TotalProcessorTime; }
            sw.Restart();
            await assigner.AssignAsync(article, vector, null, ct).ConfigureAwait(false);
            if (i >= Warmup)
            {
                assignMs.Add(sw.Elapsed.TotalMilliseconds);
                times.Add(time);
            }
            output.Progress($"stories: assigned {i + 1}/{300 + Warmup}");
        }

        process.Refresh();
        var assignCpu = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / 300;
        memory?.EndPhase("stories: assign");
        // what each assignment read from the store before the active stories were held in memory (now once per range)
        foreach (var time in times)
        {
            sw.Restart();
            candidates += (await store.GetActiveProfilesAsync(time.AddDays(-options.ActiveDays), time.AddDays(options.ActiveDays), ct).ConfigureAwait(false)).Count;
            readMs.Add(sw.Elapsed.TotalMilliseconds);
        }
        process.Refresh();
        cpuStart = process.TotalProcessorTime;
        memory?.EndPhase("stories: read candidates");
        var listMs = new List<double>();
        int inWindow = 0;
        for (int i = 0; i < 30; i++)
        {
            sw.Restart();
            await assigner.AssignPendingAsync(ct).ConfigureAwait(false);
            inWindow = (await store.ListStoriesAsync(now.AddHours(-48), null, ct).ConfigureAwait(false)).Count;
            listMs.Add(sw.Elapsed.TotalMilliseconds);
        }
        process.Refresh();
        var listCpu = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / 30;
        output.EndProgress();
        return new StoryBenchFigures
        {
            AssignCpuMsMean = Math.Round(assignCpu, 2),
            ListCpuMsMean = Math.Round(listCpu, 2),
            Articles = articles,
            Stories = storyCount,
            CandidatesPerArticle = Math.Round(candidates / 300.0, 1),
            AssignMs = Percentiles(assignMs),
            ReadCandidatesMs = Percentiles(readMs),
            ListSince48hMs = Percentiles(listMs),
            StoriesIn48h = inWindow,
            LoadSeconds = Math.Round(loadSeconds, 1),
            LoadAverage = loadBefore is { } b && LoadAverageNow() is { } e ? [b, e] : null,
        };
    }

    static double? LoadAverageNow()
    {
        try
        {
            return File.Exists("/proc/loadavg")
                ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    static Percentiles Percentiles(List<double> values)
    {
        var sorted = values.Order().ToList();
        double At(double q) => Math.Round(sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)], 2);
        return new Percentiles(At(0.50), At(0.95), At(0.99));
    }

    static float[] RandomUnit(Random rng, int dims)
    {
        var v = new float[dims];
        for (int i = 0; i < dims; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        VectorMath.NormalizeInPlace(v);
        return v;
    }

    static float[] Near(Random rng, float[] centre, float noise)
    {
        var v = RandomUnit(rng, centre.Length);
        for (int i = 0; i < v.Length; i++) v[i] = centre[i] + noise * v[i];
        VectorMath.NormalizeInPlace(v);
        return v;
    }
}
