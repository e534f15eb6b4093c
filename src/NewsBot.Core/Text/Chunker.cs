using NewsBot.Core.Ports;

namespace NewsBot.Core.Text;

/// <summary>A chunk of article text before embedding.</summary>
public sealed record TextChunk(int Position, string Text, int TokenCount);

public sealed record ChunkerOptions
{
    /// <summary>Chunks grow to about this many tokens…</summary>
    public int TargetTokens { get; init; } = 220;
    /// <summary>…and never past this many (the embedding window, less room for the title).</summary>
    public int MaxTokens { get; init; } = 250;
    /// <summary>Sentences carried over from the end of one chunk into the next, at most this many tokens.</summary>
    public int OverlapTokens { get; init; } = 40;
    /// <summary>A last chunk smaller than this is merged into the previous one when it fits.</summary>
    public int MinTokens { get; init; } = 40;
}

/// <summary>
/// Splits an article into chunks on paragraph and sentence boundaries: paragraphs are packed
/// together up to the target size, long paragraphs are cut between sentences, a very long sentence
/// is cut between words, and each chunk after the first repeats the previous chunk's last sentence
/// when it is short (a small overlap that keeps context across the cut).
/// </summary>
public sealed class Chunker(ITokenCounter tokens, ChunkerOptions? options = null)
{
    readonly ChunkerOptions _o = options ?? new ChunkerOptions();

    public ChunkerOptions Options => _o;

    public List<TextChunk> Chunk(IReadOnlyList<string> paragraphs)
    {
        // Units: sentences, each tagged with whether it starts a paragraph.
        var units = new List<(string Text, int Tokens, bool ParagraphStart)>();
        foreach (var p in paragraphs)
        {
            if (string.IsNullOrWhiteSpace(p)) continue;
            bool first = true;
            foreach (var s in SentenceSplitter.Split(p))
            {
                foreach (var piece in SplitLong(s))
                {
                    units.Add((piece, Math.Max(1, tokens.CountTokens(piece)), first));
                    first = false;
                }
            }
        }

        var chunks = new List<TextChunk>();
        var current = new List<(string Text, int Tokens, bool ParagraphStart)>();
        int currentTokens = 0;
        int overlapCount = 0; // how many leading units of `current` are overlap from the previous chunk

        foreach (var u in units)
        {
            bool wouldOverflow = currentTokens + u.Tokens > _o.MaxTokens;
            bool paragraphBreakAfterTarget = u.ParagraphStart && currentTokens >= _o.TargetTokens;
            if (current.Count > overlapCount && (wouldOverflow || paragraphBreakAfterTarget))
            {
                Emit();
                // overlap: carry the last sentence if short enough and it still leaves room
                var last = current[^1];
                current.Clear();
                currentTokens = 0;
                overlapCount = 0;
                if (last.Tokens <= _o.OverlapTokens && last.Tokens + u.Tokens <= _o.MaxTokens)
                {
                    current.Add((last.Text, last.Tokens, false));
                    currentTokens = last.Tokens;
                    overlapCount = 1;
                }
            }
            current.Add(u);
            currentTokens += u.Tokens;
        }
        if (current.Count > overlapCount)
        {
            // merge a tiny tail into the previous chunk when it fits
            if (chunks.Count > 0 && currentTokens - (overlapCount > 0 ? current[0].Tokens : 0) < _o.MinTokens)
            {
                var tail = current.Skip(overlapCount).ToList();
                int tailTokens = tail.Sum(t => t.Tokens);
                var prev = chunks[^1];
                if (prev.TokenCount + tailTokens <= _o.MaxTokens)
                {
                    chunks[^1] = prev with { Text = Join(prev.Text, tail), TokenCount = prev.TokenCount + tailTokens };
                    return chunks;
                }
            }
            Emit();
        }
        return chunks;

        void Emit()
        {
            chunks.Add(new TextChunk(chunks.Count, Join("", current), currentTokens));
        }
    }

    static string Join(string prefix, IEnumerable<(string Text, int Tokens, bool ParagraphStart)> parts)
    {
        var sb = new System.Text.StringBuilder(prefix);
        foreach (var p in parts)
        {
            if (sb.Length > 0) sb.Append(p.ParagraphStart ? "\n\n" : " ");
            sb.Append(p.Text);
        }
        return sb.ToString();
    }

    IEnumerable<string> SplitLong(string sentence)
    {
        if (tokens.CountTokens(sentence) <= _o.MaxTokens)
        {
            yield return sentence;
            yield break;
        }
        var words = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var sb = new System.Text.StringBuilder();
        int count = 0;
        foreach (var w in words)
        {
            int t = tokens.CountTokens(w);
            if (count + t > _o.TargetTokens && sb.Length > 0)
            {
                yield return sb.ToString();
                sb.Clear();
                count = 0;
            }
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(w);
            count += t;
        }
        if (sb.Length > 0) yield return sb.ToString();
    }
}

/// <summary>
/// Estimates WordPiece tokens without a vocabulary: one per word plus extra pieces for long words,
/// digits and punctuation. Used when no model tokenizer is at hand.
/// </summary>
public sealed class HeuristicTokenCounter : ITokenCounter
{
    public static HeuristicTokenCounter Instance { get; } = new();

    public int CountTokens(string text)
    {
        int count = 0;
        int wordLen = 0;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                wordLen++;
                continue;
            }
            if (wordLen > 0) { count += WordPieces(wordLen); wordLen = 0; }
            if (!char.IsWhiteSpace(c)) count++; // punctuation is its own token
        }
        if (wordLen > 0) count += WordPieces(wordLen);
        return count;

        static int WordPieces(int len) => len <= 7 ? 1 : 1 + (len - 4) / 5;
    }
}
