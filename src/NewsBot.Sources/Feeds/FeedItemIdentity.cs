using NewsBot.Core.Text;

namespace NewsBot.Sources.Feeds;

/// <summary>
/// Which article each item of a feed becomes. An article's identity (its source key) is its canonical URL, which drops
/// the #fragment, so that the same story reached from a feed and from its page is one article. Within one feed that
/// is not enough: a blog that links its posts as "page#post-1", "page#post-2", or items that share one link under
/// different guids, would all become one article, each replacing the one before. So items whose canonical links
/// collide get keys of their own: the link with its fragment when the fragments tell them apart, else the link with
/// a fingerprint of the item's guid (or, without a guid, of its title and text). An item whose link no other item of
/// the feed shares keeps the plain canonical URL, so the article ids of existing data directories do not change.
/// </summary>
internal static class FeedItemIdentity
{
    /// <summary>The entries with <see cref="FeedEntry.LinkKey"/> and <see cref="FeedEntry.SharesLink"/> set.</summary>
    public static IReadOnlyList<FeedEntry> Assign(IReadOnlyList<FeedEntry> entries)
    {
        var canonical = entries.Select(e => e.Link is null ? null : UrlCanonicalizer.Canonicalize(e.Link)).ToList();
        var perCanonical = canonical.Where(c => c is not null).GroupBy(c => c!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var withFragment = entries.Select((e, i) => canonical[i] is { } c ? WithFragment(c, e.Link!) : null).ToList();
        var perFragment = withFragment.Where(c => c is not null).GroupBy(c => c!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        var result = new List<FeedEntry>(entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (canonical[i] is not { } c) { result.Add(entry); continue; }
            if (perCanonical[c] == 1) { result.Add(entry with { LinkKey = c }); continue; }
            var key = withFragment[i]!;
            if (perFragment[key] > 1)
                key += (key.Contains('#', StringComparison.Ordinal) ? "-" : "#") + "item-" + Hashing.Sha256Hex(entry.Id ?? Fingerprint(entry))[..16];
            result.Add(entry with { LinkKey = key, SharesLink = true });
        }
        return result;
    }

    /// <summary>A fingerprint of an item's title and text (for items without a guid or a link of their own).</summary>
    public static string Fingerprint(FeedEntry entry) => $"{entry.Title}\n{entry.Content?.Value ?? entry.Summary?.Value}";

    static string WithFragment(string canonical, Uri link)
    {
        var fragment = link.Fragment.TrimStart('#');
        return fragment.Length == 0 ? canonical : $"{canonical}#{fragment}";
    }
}
