using Microsoft.Extensions.Logging;
using NodaTime;

namespace NewsBot.Core.Digests;

/// <summary>
/// Sends each subscribed chat its daily digest: once per local day, at the chat's time in its zone, with
/// one catch-up within <see cref="DigestOptions.CatchUpGrace"/> when the worker was down at the time.
/// The digest is composed first, then the day is claimed in the store, then the digest is sent: a crash
/// (kill -9) while composing leaves nothing claimed, so the restarted worker sends that day's digest; a crash
/// after the claim never repeats the send, and loses it only when it strikes between the claim's commit and
/// Telegram receiving the request. A send that certainly failed gives the claim back for a later try.
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
            if (!await subscriptions.TryClaimAsync(sub.ChatId, date, now, ct).ConfigureAwait(false)) continue;
            if (await SendAsync(sub, date, digest, ct).ConfigureAwait(false)) sent++;
        }
        return sent;
    }

    async Task<bool> SendAsync(DigestSubscription sub, DateOnly day, Digest digest, CancellationToken ct)
    {
        bool sending = false;
        try
        {
            ct.ThrowIfCancellationRequested();
            string outcome;
            sending = true;
            if (digest.Stories.Count > 0)
            {
                await notifier.NotifyAsync(sub.ChatId, new DigestNotification(digest, Scheduled: true), ct).ConfigureAwait(false);
                outcome = "digest";
            }
            else if (options.QuietDayMessage)
            {
                await notifier.NotifyAsync(sub.ChatId, new QuietDayNotification(digest.Since, digest.Until), ct).ConfigureAwait(false);
                outcome = "quiet";
            }
            else
            {
                outcome = "empty";
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
        catch (OperationCanceledException) when (!sending)
        {
            // Stopped before anything was sent: the day is given back for the next start to send.
            await subscriptions.ReleaseAsync(sub.ChatId, day, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Nothing reached the chat: give the day back so the next check (within the grace period) tries again.
            await subscriptions.ReleaseAsync(sub.ChatId, day, CancellationToken.None).ConfigureAwait(false);
            logger.LogError(ex, "Daily digest of {Day} for chat {Chat} failed; it will be tried again", day, sub.ChatId);
            return false;
        }
    }
}
