namespace NewsBot.Sources;

/// <summary>What identifies an article read from a file.</summary>
public enum FileIdentity
{
    /// <summary>
    /// The default: a file that names its web address (a <c>url:</c> line, <c>&lt;link rel="canonical"&gt;</c>) is that web
    /// article, identified and linked by the address; a file that names none is identified by its content.
    /// </summary>
    NamedUrl,

    /// <summary>
    /// Identity by file, named url kept as the link: every file is its own article (its file:// URI is the source key,
    /// its content the id), and a named web address is only the link shown in citations. For corpora whose
    /// <c>url:</c> lines are not article addresses, e.g. the QA eval documents, where many documents carry the
    /// address of the quiz page they came from and must not replace each other.
    /// </summary>
    File,
}

/// <summary>
/// Options of the file source that only code sets (no configuration key): <c>newsbot eval</c> sets
/// <see cref="FileIdentity.File"/> for its documents; everything else keeps the default.
/// </summary>
public sealed class FileSourceOptions
{
    public FileIdentity Identity { get; set; } = FileIdentity.NamedUrl;
}
