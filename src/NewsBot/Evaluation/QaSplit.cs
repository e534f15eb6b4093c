using NewsBot.Core.Text;

namespace NewsBot.Evaluation;

/// <summary>
/// The seeded dev/test split of a QA file: an item goes to "dev" when the FNV-1a hash of
/// <see cref="Seed"/> + its conversation id (or, outside a conversation, its own id) is even, else to "test".
/// The turns of one conversation stay together. Thresholds and heuristics are tuned on dev only;
/// figures are reported on test.
/// </summary>
public static class QaSplit
{
    public const string Dev = "dev", Test = "test";

    /// <summary>Changing it reshuffles the halves: recorded in BENCHMARKS.md.</summary>
    public const string Seed = "newsbot-split-1:";

    public static string Of(QaItem item) => Hashing.Fnv1a32(Seed + (item.Chat ?? item.Id)) % 2 == 0 ? Dev : Test;
}
