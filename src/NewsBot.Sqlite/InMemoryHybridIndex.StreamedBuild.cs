using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NewsBot.Sqlite;

/// <summary>
/// Building a format-4 snapshot straight from the rows, without the corpus in the heap: pass 1 over the rows
/// (<see cref="SnapshotBuilder.Count"/>) keeps only what is small (ids, dates, names, int8 scales, the term table and
/// postings counts per term, the sum behind the codes' centre); pass 2 (<see cref="SnapshotBuilder.Write"/>) streams
/// the vectors and codes into their sections and spills the postings to bucket files by term range, which
/// <see cref="SnapshotBuilder.Finish"/> sorts one bucket at a time into the postings sections. The file is then
/// mapped like any snapshot. Byte for byte what <see cref="WriteTo"/> writes for the same rows loaded in bulk.
/// </summary>
internal sealed partial class InMemoryHybridIndex
{
    internal sealed class SnapshotBuilder(int dimensions, int expectedChunks, int bucketEntries = SnapshotBuilder.DefaultBucketEntries) : IDisposable
    {
        /// <summary>
        /// Postings per spill bucket (a contiguous range of term numbers): the heap holds one bucket's slots and weights
        /// (8 bytes a posting, 32 MB) while it is sorted; at ~190 postings a chunk, 100k chunks make 5 buckets, 1M 46.
        /// </summary>
        public const int DefaultBucketEntries = 4 << 20;

        /// <summary>One spilled posting: term number, slot and weight, in slot order within its bucket.</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        struct Spilled
        {
            public int Term;
            public int Slot;
            public float Weight;
        }

        // what pass 1 keeps: an index shell for the per-chunk arrays and names, the term table and counts
        readonly InMemoryHybridIndex _x = new(dimensions);
        readonly int _dim = dimensions;
        int[] _counts = new int[1024];
        readonly double[] _sum = new double[dimensions];
        readonly float[] _acc = new float[dimensions];
        readonly float[] _buf = new float[dimensions];
        readonly Half[] _half = new Half[dimensions];
        readonly byte[] _q8 = new byte[dimensions];
        readonly ulong[] _code = new ulong[BinaryCodes.WordsFor(dimensions)];
        long _summed;
        float[] _center = [];
        int[] _start = [];
        int[] _bucketOf = [];
        int[] _bucketFirstTerm = [];
        FileStream[] _spill = [];
        FileStream? _head;
        FileStream[] _sections = [];
        int _written;

        public int Chunks => _x._count;

        public long MaxRowId { get; private set; }

        /// <summary>Pass 1: one row. Returns false (the row is left out, as the heap load leaves it out) when its vector has another dimension.</summary>
        public bool Count(long rowId, string articleId, string? outlet, long? publishedMs, ReadOnlySpan<float> dense, ReadOnlySpan<uint> termIds)
        {
            if (dense.Length != _dim) return false;
            var x = _x;
            if (x._count == x._rowIds.Length) Grow(Math.Max(Math.Max(1024, expectedChunks), x._count * 3 / 2)); // sized once for the rows counted beforehand
            int slot = x._count++;
            x._scale[slot] = Int8Kernels.QuantizeStored(dense, _q8);
            x._rowIds[slot] = rowId;
            x._published[slot] = publishedMs ?? long.MinValue;
            x._outletOf[slot] = outlet is null ? -1 : Intern(x._outletIndex, x._outlets, outlet);
            x._articleOf[slot] = Intern(x._articleIndex, x._articleIds, articleId);
            MaxRowId = Math.Max(MaxRowId, rowId);
            foreach (var id in termIds)
            {
                int t = x._terms.GetOrAdd(id);
                if (t >= _counts.Length) Array.Resize(ref _counts, _counts.Length * 2);
                _counts[t]++;
            }
            // the codes' centre as CodeCenter takes it: the mean of the half-precision vectors, summed in the same order
            TensorPrimitives.ConvertToHalf(dense, _half);
            TensorPrimitives.ConvertToSingle(_half, _buf);
            TensorPrimitives.Add(_acc, _buf, _acc);
            if (++_summed % 1024 == 0) FlushSum();
            return true;
        }

        /// <summary>Grows the shell's per-chunk arrays only (its EnsureCapacity would also grow the heap vectors this build never fills).</summary>
        void Grow(int capacity)
        {
            Array.Resize(ref _x._scale, capacity);
            Array.Resize(ref _x._rowIds, capacity);
            Array.Resize(ref _x._articleOf, capacity);
            Array.Resize(ref _x._published, capacity);
            Array.Resize(ref _x._outletOf, capacity);
        }

        void FlushSum()
        {
            for (int i = 0; i < _dim; i++) _sum[i] += _acc[i];
            Array.Clear(_acc);
        }

        /// <summary>After pass 1: writes everything but the large sections to <paramref name="path"/> and opens those for pass 2.</summary>
        public void Begin(string path, SnapshotHeader header)
        {
            var x = _x;
            int count = x._count, terms = x._terms.Count;
            FlushSum();
            _center = new float[_dim];
            for (int i = 0; i < _dim; i++) _center[i] = _summed == 0 ? 0 : (float)(_sum[i] / _summed);
            _start = new int[terms + 1];
            for (int t = 0; t < terms; t++) _start[t + 1] = checked(_start[t] + _counts[t]);
            _counts = [];
            PlanBuckets(Path.GetDirectoryName(Path.GetFullPath(path))!);

            _head = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            using var w = new BinaryWriter(_head, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(SnapshotMagic);
            header.WriteTo(w);
            w.Write(_dim);
            w.Write(count);
            w.Write(0);
            WriteArray(w, x._scale.AsSpan(0, count));
            WriteArray(w, x._rowIds.AsSpan(0, count));
            WriteArray(w, x._articleOf.AsSpan(0, count));
            WriteArray(w, x._published.AsSpan(0, count));
            WriteArray(w, x._outletOf.AsSpan(0, count));
            WriteArray(w, new bool[count].AsSpan());
            WriteStrings(w, x._articleIds);
            WriteStrings(w, x._outlets);
            WriteArray(w, _center.AsSpan());
            w.Write(terms);
            w.Write(MemoryMarshal.AsBytes(x._terms.Keys));
            WriteArray(w, _start.AsSpan());
            // each large section: its item count, padding to the alignment, its bytes (written by pass 2 and Finish)
            long entries = _start[terms];
            (long Items, int Size)[] sections = [(count * (long)_dim, 1), (count * (long)_dim, 2), (entries, 4), (entries, 4), (count * (long)_code.Length, 8), (count, 4)];
            _sections = new FileStream[sections.Length];
            w.Flush();
            long pos = _head.Position;
            for (int s = 0; s < sections.Length; s++)
            {
                _head.Position = pos;
                w.Write(sections[s].Items);
                w.Flush();
                pos += 8;
                pos += (SectionAlignment - pos % SectionAlignment) % SectionAlignment;
                _sections[s] = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 20) { Position = pos };
                pos += sections[s].Items * sections[s].Size;
            }
            _head.Position = pos;
            w.Write(SnapshotMagic);
            w.Flush();
        }

        /// <summary>Splits the term numbers into contiguous ranges of at most <c>bucketEntries</c> postings (or one term) and opens a spill file for each.</summary>
        void PlanBuckets(string directory)
        {
            int terms = _x._terms.Count;
            _bucketOf = new int[terms];
            var first = new List<int>();
            for (int t = 0; t < terms; t++)
            {
                if (first.Count == 0 || _start[t + 1] - _start[first[^1]] > bucketEntries) first.Add(t);
                _bucketOf[t] = first.Count - 1;
            }
            first.Add(terms);
            _bucketFirstTerm = [.. first];
            _spill = new FileStream[first.Count - 1];
            for (int b = 0; b < _spill.Length; b++)
                _spill[b] = new FileStream(Path.Combine(directory, $"index.spill.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"),
                    FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        }

        /// <summary>Pass 2: the same rows in the same order (the caller reads both passes in one transaction).</summary>
        public void Write(long rowId, ReadOnlySpan<float> dense, ReadOnlySpan<uint> termIds, ReadOnlySpan<float> termWeights)
        {
            if (dense.Length != _dim) return;
            int slot = _written++;
            if (slot >= _x._count || _x._rowIds[slot] != rowId) throw new InvalidDataException("the rows changed between the two passes of the index build");
            Int8Kernels.QuantizeStored(dense, _q8);
            _sections[0].Write(_q8);
            TensorPrimitives.ConvertToHalf(dense, _half);
            _sections[1].Write(MemoryMarshal.AsBytes(_half.AsSpan()));
            TensorPrimitives.ConvertToSingle(_half, _buf);
            float factor = BinaryCodes.Encode(_buf, _center, _code);
            _sections[4].Write(MemoryMarshal.AsBytes(_code.AsSpan()));
            _sections[5].Write(MemoryMarshal.AsBytes(new ReadOnlySpan<float>(in factor)));
            for (int i = 0; i < termIds.Length; i++)
            {
                int t = _x._terms.Find(termIds[i]);
                var e = new Spilled { Term = t, Slot = slot, Weight = termWeights[i] };
                _spill[_bucketOf[t]].Write(MemoryMarshal.AsBytes(new ReadOnlySpan<Spilled>(in e)));
            }
        }

        /// <summary>Sorts the spilled postings bucket by bucket into the postings sections and completes the file.</summary>
        public void Finish()
        {
            if (_written != _x._count) throw new InvalidDataException("the rows changed between the two passes of the index build");
            int largest = 0;
            for (int b = 0; b < _spill.Length; b++) largest = Math.Max(largest, _start[_bucketFirstTerm[b + 1]] - _start[_bucketFirstTerm[b]]);
            var slots = new int[largest];
            var weights = new float[largest];
            var read = new Spilled[8192];
            for (int b = 0; b < _spill.Length; b++)
            {
                int t0 = _bucketFirstTerm[b], t1 = _bucketFirstTerm[b + 1], origin = _start[t0];
                var cursor = new int[t1 - t0];
                for (int t = t0; t < t1; t++) cursor[t - t0] = _start[t] - origin;
                var spill = _spill[b];
                spill.Flush();
                spill.Position = 0;
                int n;
                while ((n = spill.ReadAtLeast(MemoryMarshal.AsBytes(read.AsSpan()), 1, throwOnEndOfStream: false)) > 0)
                {
                    if (n % 12 != 0) spill.ReadExactly(MemoryMarshal.AsBytes(read.AsSpan()).Slice(n, 12 - n % 12));
                    int items = (n + 11) / 12;
                    for (int i = 0; i < items; i++)
                    {
                        int pos = cursor[read[i].Term - t0]++;
                        slots[pos] = read[i].Slot;
                        weights[pos] = read[i].Weight;
                    }
                }
                int size = _start[t1] - origin;
                _sections[2].Write(MemoryMarshal.AsBytes(slots.AsSpan(0, size)));
                _sections[3].Write(MemoryMarshal.AsBytes(weights.AsSpan(0, size)));
                spill.Dispose();
            }
            foreach (var s in _sections) s.Flush(flushToDisk: true);
            _head!.Flush(flushToDisk: true);
            Dispose();
        }

        public void Dispose()
        {
            foreach (var s in _spill) s.Dispose();
            foreach (var s in _sections) s.Dispose();
            _head?.Dispose();
            _spill = [];
            _sections = [];
            _head = null;
        }
    }
}
