namespace NewsBot.Core.Text;

/// <summary>Canonical URLs: the identity of web articles.</summary>
public static class UrlCanonicalizer
{
    static readonly HashSet<string> TrackingParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
        "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "vero_conv", "vero_id",
        "ref", "ref_src", "ref_url", "cmpid", "ncid", "ocid", "sr_share", "smid", "at_medium", "at_campaign",
        "guccounter", "guce_referrer", "guce_referrer_sig", "spm", "share", "xtor", "__twitter_impression",
    };

    public static bool IsHttpUrl(string input, out Uri uri)
    {
        if (Uri.TryCreate(input.Trim(), UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps))
        {
            uri = u;
            return true;
        }
        uri = null!;
        return false;
    }

    /// <summary>
    /// Lower-cases scheme and host, drops the default port, the fragment and tracking parameters
    /// (utm_*, fbclid, gclid, …), sorts the remaining query parameters, and removes a trailing slash
    /// from non-root paths.
    /// </summary>
    public static string Canonicalize(Uri uri)
    {
        var builder = new UriBuilder(uri) { Fragment = "" };
        builder.Scheme = builder.Scheme.ToLowerInvariant();
        builder.Host = builder.Host.ToLowerInvariant();
        if (uri.IsDefaultPort) builder.Port = -1;
        var query = uri.Query.TrimStart('?');
        if (query.Length > 0)
        {
            var kept = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Where(p =>
                {
                    var name = Uri.UnescapeDataString(p.Split('=', 2)[0]);
                    return !name.StartsWith("utm_", StringComparison.OrdinalIgnoreCase) && !TrackingParameters.Contains(name);
                })
                .OrderBy(p => p, StringComparer.Ordinal)
                .ToList();
            builder.Query = kept.Count == 0 ? "" : string.Join("&", kept);
        }
        var path = builder.Path;
        if (path.Length > 1 && path.EndsWith('/')) builder.Path = path.TrimEnd('/');
        var s = builder.Uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped);
        return s;
    }

    public static string Canonicalize(string url) => IsHttpUrl(url, out var u) ? Canonicalize(u) : url.Trim();

    /// <summary>
    /// The identity of an article at a canonical URL: the URL without a leading <c>www.</c> on its host, since news sites
    /// serve the same story under both (anything else is returned as given). Links keep the <c>www.</c>: some hosts
    /// answer only under it.
    /// </summary>
    public static string IdentityKey(string canonicalUrl)
    {
        if (!IsHttpUrl(canonicalUrl, out var u) || !u.Host.StartsWith("www.", StringComparison.OrdinalIgnoreCase) || u.Host.Length <= 4)
            return canonicalUrl;
        int at = canonicalUrl.IndexOf("www.", StringComparison.OrdinalIgnoreCase);
        return canonicalUrl.Remove(at, 4);
    }
}
