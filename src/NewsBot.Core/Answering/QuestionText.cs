using System.Globalization;
using System.Text;

namespace NewsBot.Core.Answering;

/// <summary>
/// What a question says, as a reader sees it: invisible characters removed before anything reads it. Zero-width
/// spaces and joiners, the BOM, word joiners, soft hyphens and bidirectional controls (Unicode "format" characters)
/// and control characters such as NUL would otherwise split words ("hec\u200Btares") and defeat retrieval, or
/// reach the reply. Line breaks and tabs stay.
/// </summary>
public static class QuestionText
{
    public static string Clean(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        StringBuilder? cleaned = null;
        for (var i = 0; i < question.Length; i++)
        {
            var c = question[i];
            var category = char.GetUnicodeCategory(c);
            var drop = category is UnicodeCategory.Format || (category is UnicodeCategory.Control && c is not ('\n' or '\r' or '\t'));
            if (drop)
            {
                cleaned ??= new StringBuilder(question, 0, i, question.Length);
                continue;
            }
            cleaned?.Append(c);
        }
        return cleaned?.ToString() ?? question;
    }
}
