using System.Text.Json;
using NewsBot.Core.Ports;

namespace NewsBot.Sqlite;

/// <summary>Conversation turns in the embedded database; they survive restarts, and history is bounded.</summary>
public sealed class SqliteConversationStore(SqliteDatabase db) : IConversationStore
{
    public async Task AppendAsync(ConversationTurn turn, int maxTurns, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = (Microsoft.Data.Sqlite.SqliteTransaction)await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var cmd = conn.Command("""
            INSERT INTO conversation_turns(conversation_id, question, standalone, answer, cited, refused, at_ms)
            VALUES($c, $q, $s, $a, $cited, $r, $at)
            """, tx))
        {
            cmd.With("$c", turn.ConversationId).With("$q", turn.Question).With("$s", turn.StandaloneQuery).With("$a", turn.Answer)
               .With("$cited", JsonSerializer.Serialize(turn.CitedArticleIds)).With("$r", turn.Refused ? 1 : 0).With("$at", turn.At.ToUnixTimeMilliseconds());
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var trim = conn.Command("""
            DELETE FROM conversation_turns WHERE conversation_id = $c AND id NOT IN
                (SELECT id FROM conversation_turns WHERE conversation_id = $c ORDER BY id DESC LIMIT $n)
            """, tx).With("$c", turn.ConversationId).With("$n", Math.Max(1, maxTurns)))
            await trim.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ConversationTurn>> GetRecentAsync(string conversationId, int count, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("""
            SELECT question, standalone, answer, cited, refused, at_ms FROM
                (SELECT * FROM conversation_turns WHERE conversation_id = $c ORDER BY id DESC LIMIT $n) ORDER BY id
            """).With("$c", conversationId).With("$n", count);
        var list = new List<ConversationTurn>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new ConversationTurn
            {
                ConversationId = conversationId,
                Question = r.GetString(0),
                StandaloneQuery = r.GetString(1),
                Answer = r.GetString(2),
                CitedArticleIds = JsonSerializer.Deserialize<List<string>>(r.GetString(3)) ?? [],
                Refused = r.GetInt64(4) != 0,
                At = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
            });
        }
        return list;
    }

    public async Task ClearAsync(string conversationId, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = conn.Command("DELETE FROM conversation_turns WHERE conversation_id = $c").With("$c", conversationId);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
