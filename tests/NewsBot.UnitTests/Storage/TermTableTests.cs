using NewsBot.Sqlite;

namespace NewsBot.UnitTests.Storage;

/// <summary>
/// A term table read from a snapshot is frozen (keys grouped by bucket, BENCHMARKS.md §2.1.5) until its first add thaws
/// it into the open-addressing slots: in both forms it must map every term to its number and nothing else.
/// </summary>
public sealed class TermTableTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void A_small_table_read_back_finds_its_terms(int terms)
    {
        var table = new TermTable(0);
        for (uint k = 0; k < terms; k++) Assert.Equal((int)k, table.GetOrAdd(k * 7919 + 3));
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) table.WriteTo(w);
        stream.Position = 0;
        using var r = new BinaryReader(stream);
        var read = TermTable.ReadFrom(r);
        for (uint k = 0; k < terms; k++) Assert.Equal((int)k, read.Find(k * 7919 + 3));
        Assert.Equal(-1, read.Find(1));
        Assert.Equal(terms, read.GetOrAdd(1));
    }

    [Fact]
    public void A_large_table_grown_by_adds_and_read_back_from_its_bytes_finds_every_term_at_its_number()
    {
        const int terms = 400_000; // several growths of the slots on the way
        var rng = new Random(11);
        var keys = new HashSet<uint>();
        while (keys.Count < terms) keys.Add((uint)rng.Next() | 1u);
        var order = keys.ToArray();
        var table = new TermTable(16);
        for (int i = 0; i < order.Length; i++) Assert.Equal(i, table.GetOrAdd(order[i]));
        Assert.Equal(5, table.GetOrAdd(order[5])); // known terms keep their number

        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) table.WriteTo(w);
        stream.Position = 0;
        using var r = new BinaryReader(stream);
        var read = TermTable.ReadFrom(r);

        Assert.True(read.IsFrozen);
        Assert.False(table.IsFrozen);
        Assert.Equal(terms, read.Count);
        Assert.Equal(order, read.Keys.ToArray());
        for (int i = 0; i < order.Length; i++)
        {
            Assert.Equal(i, read.Find(order[i]));
            Assert.Equal(i, table.Find(order[i]));
        }
        for (uint k = 0; k < 20_000; k += 2) Assert.Equal(-1, read.Find(k)); // even ids were never added
        Assert.Equal(7, read.GetOrAdd(order[7])); // thaws: the slots built from the frozen keys
        Assert.False(read.IsFrozen);
        Assert.Equal(terms, read.GetOrAdd(2)); // a table read back still grows
        Assert.Equal(terms, read.Find(2));
        for (int i = 0; i < order.Length; i++) Assert.Equal(i, read.Find(order[i]));
        for (uint k = 4; k < 20_000; k += 2) Assert.Equal(-1, read.Find(k));
    }
}
