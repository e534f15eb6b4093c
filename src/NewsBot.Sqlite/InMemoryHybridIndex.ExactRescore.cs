namespace NewsBot.Sqlite;

internal sealed partial class InMemoryHybridIndex
{
    /// <summary>
    /// On: the exact re-scoring reads a candidate's half-precision row only where its int8 bound says it can still enter
    /// the exact top k (<see cref="ExactRescore"/>); off: every candidate is read, as before (for A/B runs of the bench,
    /// <c>NEWSBOT_RESCORE_BOUND=0</c>, and the tests that compare the two).
    /// </summary>
    internal static bool UseRescoreBound = Environment.GetEnvironmentVariable("NEWSBOT_RESCORE_BOUND") != "0";

    /// <summary>Half-precision rows read by the exact re-scoring since the process started (the bench reports it per search).</summary>
    internal static long RescoreReads;

    long _rescoreReads;

    /// <summary>Half-precision rows this index's exact re-scoring has read (tests).</summary>
    internal long RescoreReadsOfIndex => Interlocked.Read(ref _rescoreReads);

    /// <summary>The exact score of a slot against the query, as the re-scoring computes it (tests of the bound).</summary>
    internal float ExactScore(int slot, float[] query)
    {
        Span<float> buf = _dim <= 4096 ? stackalloc float[_dim] : new float[_dim];
        return Exact(slot, query, buf);
    }

    /// <summary>
    /// The factor c of the re-scoring bound |E − R| ≤ c·s·‖q‖₁ + 2⁻²⁴·‖q‖₁, where E is the exact score that
    /// <see cref="Exact"/> computes (the half-precision row h against the float query q, in float), R = s·Σ xᵢqᵢ the int8
    /// row x with its scale s against the same float query (<see cref="Int8Kernels.DotFloat"/>, no 7-bit query rounding),
    /// and n the dimensions. Both h and x come from the same float vector v (Add and the streamed build), m = max|vᵢ|:
    /// <list type="bullet">
    /// <item>int8 rounding: xᵢ = round(vᵢ·127/m) and s = m/127, each product and quotient rounded once in float, so
    /// |vᵢ − s·xᵢ| ≤ s·(0.5 + 3·127·2⁻²⁴) (no clamping: |vᵢ·127/m| ≤ 127 up to those roundings);</item>
    /// <item>half rounding: |hᵢ − vᵢ| ≤ 2⁻¹¹·|vᵢ| ≤ 2⁻¹¹·127·s·(1 + 2⁻²⁴) = 0.06202·s in half's normal range, ≤ 2⁻²⁵
    /// below it (the absolute term);</item>
    /// <item>so |Σ hᵢqᵢ − s·Σ xᵢqᵢ| ≤ Σ |hᵢ − s·xᵢ|·|qᵢ| ≤ (0.5623·s + 2⁻²⁵)·‖q‖₁;</item>
    /// <item>float sums: a dot product of n terms rounded once a product and once an addition, in any order, is within
    /// n·2⁻²⁴/(1 − n·2⁻²⁴)·Σ|termᵢ| of the real one: Σ|hᵢqᵢ| ≤ 127.01·s·‖q‖₁ for E, Σ|xᵢqᵢ| ≤ 127·‖q‖₁ for R (then
    /// scaled by s, one more rounding), together ≤ 2.02·n·128·2⁻²⁴·s·‖q‖₁.</item>
    /// </list>
    /// c = 0.5625 + 0.001 (slack for the small products of roundings above) + 2.02·n·128·2⁻²⁴: 0.5694 at 384 dimensions.
    /// A slot whose scale is 0 or not finite (a zero or broken vector) or too large for half precision gets no bound.
    /// </summary>
    internal static double RescoreErrorFactor(int dimensions) => 0.5625 + 0.001 + 2.02 * dimensions * 128 * Math.ScaleB(1.0, -24);

    /// <summary>
    /// The int8 estimate R of a candidate's exact score and the bound on |E − R| (<see cref="RescoreErrorFactor"/>), from
    /// its int8 row (in place: the int8 pass read it moments ago) and scale; the bound is +∞ where it cannot be given.
    /// </summary>
    internal (double Estimate, double Bound) RescoreEstimate(int slot, ReadOnlySpan<float> query, double queryL1, double factor)
    {
        float scale = _scale[slot];
        if (!(scale > 0) || !float.IsFinite(scale) || 127.0 * scale > (double)Half.MaxValue) return (0, double.PositiveInfinity);
        double r = (double)scale * Int8Kernels.DotFloat(Q8(slot, 1), query);
        double b = factor * scale * queryL1 + queryL1 * Math.ScaleB(1.0, -24);
        return double.IsFinite(r) && double.IsFinite(b) ? (r, b) : (0, double.PositiveInfinity);
    }

    /// <summary>
    /// The exact re-scoring of the int8 candidates from half precision (<see cref="IPartsTail"/>), in chunks that any core
    /// may take, each a few dozen positional reads of the file (one system call a row, 1.8–2.2 µs each at 100k).
    /// <para>
    /// With <see cref="UseRescoreBound"/> it reads only the rows that can still enter the exact top k. Every candidate's
    /// exact score E lies within a bound B of an estimate R computed from its int8 row against the float query
    /// (<see cref="RescoreErrorFactor"/>: derived from the scales, not measured), so L = R − B ≤ E ≤ U = R + B. The k-th
    /// largest L is a floor under the k-th best exact score: candidates whose U is below it are not read at all. The rest
    /// are read in descending U, and once k rows are scored, the k-th best exact score so far is a higher floor; a
    /// candidate whose U is below the floor cannot enter the top k (k candidates score at least the floor, it scores less),
    /// nor can any after it. A tie with the floor is read (U ≥ floor).
    /// </para>
    /// <para>
    /// The top k of what was read is then chosen by score, then slot: a function of the scores alone, so it is the top k of
    /// all the candidates whether or not the bound skipped some (the skipped ones all score below k read ones). Before,
    /// a bounded heap chose among candidates tied at the k-th score by the order it met them in; the order of the result
    /// is unchanged (score, then slot).
    /// </para>
    /// </summary>
    sealed class ExactRescore(InMemoryHybridIndex index, float[] query, int k, Func<TopK> candidates) : IPartsTail
    {
        const int Chunk = 25;
        List<(int Id, float Score)> _sorted = [];
        float[] _exact = [];
        bool[] _read = [];
        // indices into _sorted in the order they are read (descending U), only those not excluded before any read
        int[] _order = [];
        double[] _upper = [];
        double _floor = double.NegativeInfinity;
        TopK? _best;
        readonly Lock _gate = new();

        public List<(int Slot, float Score)> Result { get; private set; } = [];

        public int Prepare()
        {
            _sorted = candidates().ToSortedList();
            int n = _sorted.Count;
            _exact = new float[n];
            _read = new bool[n];
            double queryL1 = 0;
            foreach (var x in query) queryL1 += Math.Abs(x);
            if (UseRescoreBound && k > 0 && n > k && double.IsFinite(queryL1) && query.Length == index._dim)
            {
                double factor = RescoreErrorFactor(index._dim);
                _upper = new double[n];
                var lower = new double[n];
                for (int j = 0; j < n; j++)
                {
                    var (r, b) = index.RescoreEstimate(_sorted[j].Id, query, queryL1, factor);
                    _upper[j] = r + b;
                    lower[j] = r - b;
                }
                // the k-th largest lower bound: k candidates score at least this
                var lowest = (double[])lower.Clone();
                Array.Sort(lowest);
                _floor = lowest[n - k];
                int m = 0;
                var order = new int[n];
                for (int j = 0; j < n; j++)
                    if (_upper[j] >= _floor) order[m++] = j;
                _order = order[..m];
                var upper = _upper;
                Array.Sort(_order, (a, b) => upper[b].CompareTo(upper[a]) is var c && c != 0 ? c : a.CompareTo(b));
                _best = new TopK(k);
            }
            else
            {
                _order = new int[n];
                for (int j = 0; j < n; j++) _order[j] = j;
                _upper = [];
                _best = null;
            }
            var slots = new int[_order.Length];
            for (int i = 0; i < slots.Length; i++) slots[i] = _sorted[_order[i]].Id;
            index.ReadAheadF16(slots); // from a cold page cache: the rows' reads side by side (§2.2.7)
            return (_order.Length + Chunk - 1) / Chunk;
        }

        public void Item(int chunk)
        {
            Span<float> buf = index._dim <= 4096 ? stackalloc float[index._dim] : new float[index._dim];
            int read = 0;
            for (int i = chunk * Chunk, end = Math.Min(_order.Length, i + Chunk); i < end; i++)
            {
                int j = _order[i];
                // in descending U: once one is below the floor, so is the rest of the chunk
                if (_best is not null && _upper[j] < Volatile.Read(ref _floor)) break;
                float e = index.Exact(_sorted[j].Id, query, buf);
                _exact[j] = e;
                _read[j] = true;
                read++;
                if (_best is null || float.IsNaN(e)) continue; // a NaN score (a broken row) raises no floor
                lock (_gate)
                {
                    _best.Add(j, e);
                    if (_best.Count == k && _best.Threshold > _floor) Volatile.Write(ref _floor, _best.Threshold);
                }
            }
            Interlocked.Add(ref RescoreReads, read);
            Interlocked.Add(ref index._rescoreReads, read);
        }

        public void Finish()
        {
            var kept = new List<(int Slot, float Score)>(_sorted.Count);
            for (int j = 0; j < _sorted.Count; j++)
                if (_read[j]) kept.Add((_sorted[j].Id, _exact[j]));
            kept.Sort(static (a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Slot.CompareTo(b.Slot));
            int keep = Math.Max(1, k); // as the bounded heap kept (TopK holds at least one)
            if (kept.Count > keep) kept.RemoveRange(keep, kept.Count - keep);
            Result = kept;
        }

        /// <summary>All of it on the calling thread.</summary>
        public List<(int Slot, float Score)> Run()
        {
            for (int i = 0, n = Prepare(); i < n; i++) Item(i);
            Finish();
            return Result;
        }
    }
}
