using Microsoft.Extensions.Logging;
using NodaTime;

namespace NewsBot.Core.Digests;

/// <summary>
/// Sends each subscribed chat its daily digest: once per local day, at the chat's time in its zone, with
/// one catch-up within <see cref="DigestOptions.CatchUpGrace"/> when the worker was down at the time.
/// The digest is composed first; the day is claimed in the store only at the last moment, by the channel, right
/// before the first request's body leaves (<see cref="IChatNotifier.NotifyOnceAsync"/>: after waiting for the flood
/// limits, serialising the request and readying the connection). A crash (kill -9) before the claim leaves nothing
/// claimed, so the restarted worker sends that day's digest; a crash after it never repeats the send. The one residual
/// window, between the claim's commit and Telegram receiving the request (the socket write: microseconds, longer only
/// when the worker is descheduled there), cannot be closed: the Bot
/// API has no idempotency key, so a send cannot be both recorded and made atomically, and a send repeated after a
/// crash could not be told apart from a new one. There, the digest is lost rather than sent twice (the kill -9 tests
/// measure it: see RELIABILITY.md). A send that certainly failed gives the claim back for a later try. A digest of
/// several messages is claimed once, before its first part: a crash between parts leaves the chat the parts sent so
/// far, and the rest is not sent (never a part twice).
/// </summary>
public sealed class DigestScheduler(
    IDigestSubscriptionStore subscriptions,
    DigestComposer composer,
    IChatNotifier notifier,
    DigestOptions options,
    TimeProvider time,
    ILogger<DigestScheduler> logger)
{
    /// <summary>Sends every digest due now; returns how many chats were sent something.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct = default)
    {
        int sent = 0;
        foreach (var sub in await subscriptions.ListAsync(ct).ConfigureAwait(false))
        {
            ct.ThrowIfCancellationRequested();
            var schedule = DailySchedule.TryParse(sub.Time, sub.TimeZone, out var error);
            if (schedule is null)
            {
                logger.LogWarning("Digest subscription of chat {Chat} is unusable: {Error}", sub.ChatId, error);
                continue;
            }
            var now = time.GetUtcNow();
            var last = await subscriptions.LastClaimedAsync(sub.ChatId, ct).ConfigureAwait(false);
            var day = schedule.DueDate(Instant.FromDateTimeOffset(now), last is { } l ? LocalDate.FromDateOnly(l) : null,
                Instant.FromDateTimeOffset(sub.SubscribedAt), Duration.FromTimeSpan(options.CatchUpGrace));
            if (day is null) continue;
            var date = day.Value.ToDateOnly();
            // Composed before the claim (found by the kill -9 crash tests: claiming first lost the day's digest
            // of a worker killed while composing, which takes far longer than the send).
            Digest digest;
            try
            {
                digest = await composer.ComposeAsync(new DigestRequest
                {
                    Since = now - options.Window,
                    Until = now,
                    Top = options.Top,
                    Filter = sub.Filter,
                }, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Daily digest of {Day} for chat {Chat} failed; it will be tried again", date, sub.ChatId);
                continue;
            }
            if (await SendAsync(sub, date, now, digest, ct).ConfigureAwait(false)) sent++;
        }
        return sent;
    }

    async Task<bool> SendAsync(DigestSubscription sub, DateOnly day, DateTimeOffset now, Digest digest, CancellationToken ct)
    {
        bool claimed = false;
        // Not cancellable once begun: the claim either commits or not, and the channel sends right after it.
        async Task<bool> ClaimAsync(CancellationToken _) =>
            claimed = await subscriptions.TryClaimAsync(sub.ChatId, day, now, CancellationToken.None).ConfigureAwait(false);
        try
        {
            ct.ThrowIfCancellationRequested();
            ChatNotification? notification = digest.Stories.Count > 0 ? new DigestNotification(digest, Scheduled: true)
                : options.QuietDayMessage ? new QuietDayNotification(digest.Since, digest.Until)
                : null;
            string outcome;
            if (notification is null)
            {
                if (!await ClaimAsync(ct).ConfigureAwait(false)) return false;
                outcome = "empty";
            }
            else
            {
                // false: another worker claimed the day first, and nothing was sent
                if (!await notifier.NotifyOnceAsync(sub.ChatId, notification, ClaimAsync, ct).ConfigureAwait(false)) return false;
                outcome = notification is DigestNotification ? "digest" : "quiet";
            }
            await subscriptions.CompleteAsync(sub.ChatId, day, outcome, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            logger.LogInformation("Daily digest of {Day} for chat {Chat}: {Outcome}", day, sub.ChatId, outcome);
            return outcome != "empty";
        }
        catch (ChatUnreachableException ex)
        {
            logger.LogWarning("Chat {Chat} cannot be reached ({Reason}); its digest subscription is removed", sub.ChatId, ex.Message);
            await subscriptions.RemoveAsync(sub.ChatId, CancellationToken.None).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException) when (!claimed)
        {
            throw; // stopped before the claim: nothing was sent nor claimed, the next start sends it
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Nothing reached the chat: give the day back so the next check (within the grace period) tries again.
            if (claimed) await subscriptions.ReleaseAsync(sub.ChatId, day, CancellationToken.None).ConfigureAwait(false);
            logger.LogError(ex, "Daily digest of {Day} for chat {Chat} failed; it will be tried again", day, sub.ChatId);
            return false;
        }
    }
}
