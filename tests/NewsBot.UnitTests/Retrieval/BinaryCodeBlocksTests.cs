using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NewsBot.Core.Model;
using NewsBot.Core.Retrieval;
using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Retrieval;

/// <summary>
/// The transposed copy of the 1-bit codes and its table-lookup kernels (AVX-512, AVX2 and the scalar loop that runs on
/// hardware without AVX2) must give, for every code, the same integer sum as scoring the code in place: Σ over its set
/// bits of the query's 4-bit levels; and the candidate buffer's sampled starting threshold must not change what it keeps.
/// </summary>
[Collection(DenseScanSettings.Name)]
public sealed class BinaryCodeBlocksTests : IDisposable
{
    readonly string _path = Path.Combine(Path.GetTempPath(), $"newsbot-blocks-{Guid.NewGuid():N}.snapshot");

    public void Dispose() => File.Delete(_path);

    delegate void Kernel(ReadOnlySpan<byte> data, byte[] tables, int codeBytes, Span<int> weighted);

    /// <summary>Random codes (padding bits past the dimensions clear, as <see cref="BinaryCodes.Encode"/> leaves them) and a query.</summary>
    static (ulong[] Codes, float[] Factors, BinaryCodes.Query Query) Random(int count, int dim, int seed)
    {
        var rng = new Random(seed);
        int words = BinaryCodes.WordsFor(dim);
        var codes = new ulong[count * words];
        var center = new float[dim];
        var factors = new float[count];
        var v = new float[dim];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < dim; j++) v[j] = (float)rng.NextDouble() * 2 - 1;
            factors[i] = BinaryCodes.Encode(v, center, codes.AsSpan(i * words, words));
        }
        var q = Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.3f).ToArray();
        return (codes, factors, BinaryCodes.Prepare(q));
    }

    static int Expected(ReadOnlySpan<ulong> code, BinaryCodes.Query q)
    {
        int sum = 0;
        for (int j = 0; j < q.Dimensions; j++)
            if ((code[j >> 6] >> (j & 63) & 1) != 0) sum += q.Level(j);
        return sum;
    }

    [Theory]
    [InlineData(130, 384)] // two full blocks and a partial one
    [InlineData(64, 384)]
    [InlineData(1, 384)]
    [InlineData(200, 200)] // 4 words, the last partly padding
    [InlineData(77, 100)] // 2 words: 16 code bytes
    public void Every_kernel_sums_the_query_levels_over_each_codes_set_bits(int count, int dim)
    {
        var (codes, factors, q) = Random(count, dim, count * 31 + dim);
        int words = BinaryCodes.WordsFor(dim);
        using var blocks = BinaryCodeBlocks.Build(codes, factors, count, words, dim);
        var tables = blocks.Tables(q);
        var kernels = new List<(string Name, Kernel Run)> { ("scalar", BinaryCodeBlocks.ScoreScalar) };
        if (Avx2.IsSupported) kernels.Add(("avx2", BinaryCodeBlocks.Score256));
        if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated) kernels.Add(("avx512", BinaryCodeBlocks.Score512));
        var weighted = new int[BinaryCodeBlocks.BlockCodes];
        foreach (var (name, run) in kernels)
            for (int block = 0; block < blocks.Blocks; block++)
            {
                Array.Fill(weighted, -1);
                run(blocks.Block(block), tables, blocks.CodeBytes, weighted);
                for (int lane = 0; lane < BinaryCodeBlocks.BlockCodes; lane++)
                {
                    int i = block * BinaryCodeBlocks.BlockCodes + lane;
                    // the padding codes of the last block are all zero bits: they sum to nothing
                    int expected = i < count ? Expected(codes.AsSpan(i * words, words), q) : 0;
                    Assert.True(expected == weighted[lane], $"{name}: code {i} summed {weighted[lane]}, expected {expected}");
                }
            }
        // the per-code terms: the score in place equals the score from the blocks 
        for (int i = 0; i < count; i++)
        {
            var code = codes.AsSpan(i * words, words);
            int ones = 0;
            foreach (var w in code) ones += BitOperations.PopCount(w);
            Assert.Equal(factors[i] * (2 * ones - dim), blocks.OnesTerm[i], 4);
            float fromBlocks = q.Low * blocks.OnesTerm[i] + q.Step * blocks.Factor[i] * (2 * Expected(code, q) - q.LevelSum);
            Assert.Equal(BinaryCodes.Score(code, q) * factors[i], fromBlocks, 3);
        }
        blocks.Dispose();
        Assert.Throws<ObjectDisposedException>(() => blocks.Block(0).Length);
        blocks.Dispose(); // twice: nothing
    }

    [Fact]
    public void A_primed_buffer_keeps_the_same_k_best_and_says_when_its_bound_was_too_high()
    {
        var rng = new Random(5);
        var scores = Enumerable.Range(0, 20_000).Select(_ => (float)rng.NextDouble()).ToArray();
        const int k = 500;
        var kth = scores.OrderDescending().ElementAt(k - 1);
        HashSet<int> Keep(float? prime)
        {
            var buffer = new CandidateBuffer(k);
            if (prime is { } p) buffer.Prime(p);
            for (int i = 0; i < scores.Length; i++)
                if (scores[i] > buffer.Threshold) buffer.Add(i, scores[i]);
            return buffer.Ids().ToArray().ToHashSet();
        }
        var plain = Keep(null);
        Assert.Equal(k, plain.Count);
        Assert.Equal(plain, Keep(kth - 0.05f));

        // what the binary pass hands on without selecting: every item above the bound, in the order added
        var held = new CandidateBuffer(k);
        held.Prime(kth - 0.02f);
        for (int i = 0; i < scores.Length; i++)
            if (scores[i] > held.Threshold) held.Add(i, scores[i]);
        var above = Enumerable.Range(0, scores.Length).Where(i => scores[i] > kth - 0.02f).ToArray();
        Assert.InRange(above.Length, k + 1, 2 * k - 1); // more than k, fewer than the buffer's 2k: no selection ran
        Assert.Equal(above, held.Held().ToArray());
        Assert.Equal(k, held.Ids().Length);
        var tooHigh = Keep(kth + 0.01f);
        Assert.True(tooHigh.Count < k);
        Assert.Subset(plain, tooHigh);
    }

    [Fact]
    public void The_sampled_bound_lets_in_a_little_more_than_the_wanted_candidates_and_never_too_few()
    {
        // a part of 64k codes (1,024 blocks, 16 of them sampled) of which 1 in 16 are wanted, as at 1M chunks
        const int count = 65_536, dim = 128, wanted = count / 16;
        var (codes, factors, _) = Random(count, dim, 3);
        using var blocks = BinaryCodeBlocks.Build(codes, factors, count, BinaryCodes.WordsFor(dim), dim);
        var rng = new Random(9);
        var weighted = new int[BinaryCodeBlocks.BlockCodes];
        var ratios = new List<double>();
        for (int t = 0; t < 40; t++)
        {
            var q = BinaryCodes.Prepare(Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.4f).ToArray());
            var tables = blocks.Tables(q);
            using var buffer = new CandidateBuffer(wanted);
            Assert.True(InMemoryHybridIndex.PrimeFromSample(blocks, 0, blocks.Blocks, tables, q, wanted, buffer));
            int above = 0;
            for (int block = 0; block < blocks.Blocks; block++)
            {
                blocks.Score(block, tables, weighted);
                for (int lane = 0; lane < BinaryCodeBlocks.BlockCodes; lane++)
                {
                    int i = block * BinaryCodeBlocks.BlockCodes + lane;
                    if (q.Low * blocks.OnesTerm[i] + q.Step * blocks.Factor[i] * (2 * weighted[lane] - q.LevelSum) > buffer.Threshold) above++;
                }
            }
            // never fewer than wanted (that would cost a second scan), never as many as the buffer's 2 × wanted
            Assert.InRange(above, wanted, 2 * wanted - 1);
            ratios.Add((double)above / wanted);
        }
        // 64 of the 1,024 sampled codes expected above the wanted-th score, four standard deviations (8) added: ~1.5 times
        Assert.InRange(ratios.Average(), 1.25, 1.75);
    }

    [Fact]
    public void The_block_scan_finds_what_scoring_the_codes_in_place_finds()
    {
        var rng = new Random(11);
        const int dim = 384, n = 40_003; // not a whole number of blocks
        var offset = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
        var vectors = Enumerable.Range(0, n).Select(_ =>
        {
            var v = offset.Select(o => o + (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
            VectorMath.NormalizeInPlace(v);
            return v;
        }).ToArray();
        var heap = new InMemoryHybridIndex(dim);
        for (int i = 0; i < n; i++) heap.Add(i + 1, "a" + i / 3, "Outlet " + i % 2, 1_700_000_000_000L + i, vectors[i], [], []);
        using (var file = File.Create(_path)) heap.WriteTo(file, new SnapshotHeader("db", "m", 1, 1, 0));
        using var mapped = InMemoryHybridIndex.Open(_path).Index;
        Assert.True(mapped.ScansBinaryCodes);
        mapped.WaitForCodeBlocks();
        for (int t = 0; t < 20; t++)
        {
            var q = vectors[rng.Next(n)].Select(x => x + (float)(rng.NextDouble() - 0.5) * 0.05f).ToArray();
            var filter = t % 2 == 0 ? new SearchFilter() : new SearchFilter { Outlets = ["outlet 1"] };
            var query = new HybridQuery { Dense = q, Sparse = SparseVector.Empty, Top = 10, CandidatesPerLeg = 10, Mode = RetrievalMode.Dense, Filter = filter };
            var withBlocks = mapped.Search(query, 60).Select(f => f.RowId).ToList();
            List<long> inPlace;
            try
            {
                InMemoryHybridIndex.UseCodeBlocks = false;
                inPlace = mapped.Search(query, 60).Select(f => f.RowId).ToList();
            }
            finally
            {
                InMemoryHybridIndex.UseCodeBlocks = true;
            }
            Assert.Equal(10, withBlocks.Count);
            Assert.Equal(inPlace, withBlocks);
        }
    }
}
