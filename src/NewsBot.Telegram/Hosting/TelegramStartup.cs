using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NewsBot.Telegram.Commands;
using Polly.Registry;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.Telegram.Hosting;

/// <summary>What both modes do at start: getMe (bot identity), webhook set or deleted, command menus.</summary>
public sealed class TelegramStartup(
    ITelegramBotClient bot,
    BotIdentity identity,
    TelegramCommandRouter commands,
    IOptions<TelegramOptions> options,
    ResiliencePipelineProvider<string> pipelines,
    LogRedaction redaction,
    ILogger<TelegramStartup> logger)
{
    /// <summary>The update types the bot asks for. Edited messages are not requested (and would be ignored).</summary>
    public static readonly UpdateType[] AllowedUpdates = [UpdateType.Message, UpdateType.CallbackQuery];

    public const string UnauthorizedMessage = "Telegram rejected the bot token (401 Unauthorized): check Telegram:BotToken";

    /// <summary>True when the bot may run; false when Telegram rejected the token (logged) or <paramref name="ct"/> fired.</summary>
    public async Task<bool> InitializeAsync(bool webhook, CancellationToken ct)
    {
        // failures other than a rejected token are retried until they pass or ct fires (pipeline ReconnectPipelineKey)
        var reconnect = pipelines.GetPipeline(TelegramRetry.ReconnectPipelineKey);
        try
        {
            await reconnect.ExecuteAsync(async c =>
            {
                var me = await bot.GetMe(c).ConfigureAwait(false);
                identity.Set(me.Id, me.Username ?? "");
                if (webhook)
                {
                    var o = options.Value;
                    await bot.SetWebhook(o.WebhookUrl!, allowedUpdates: AllowedUpdates, secretToken: o.WebhookSecretToken,
                        dropPendingUpdates: false, cancellationToken: c).ConfigureAwait(false);
                    logger.LogInformation("Telegram bot @{Username} receives updates by webhook at {Path}", me.Username, o.WebhookPath);
                }
                else
                {
                    await bot.DeleteWebhook(dropPendingUpdates: false, cancellationToken: c).ConfigureAwait(false);
                    logger.LogInformation("Telegram bot @{Username} receives updates by long polling", me.Username);
                }
                await SetCommandsAsync(c).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (ApiRequestException e) when (IsUnauthorized(e))
        {
            logger.LogCritical(UnauthorizedMessage + " (the Telegram channel is stopped; fix the token and restart)");
            return false;
        }
        catch (Exception ex)
        {
            logger.LogCritical("Starting the Telegram bot failed with an error that retrying cannot fix; the Telegram channel is stopped: {Error}",
                redaction.Full(ex));
            return false;
        }
    }

    /// <summary>Public commands for everyone; admins additionally see the admin commands in their private chat.</summary>
    private async Task SetCommandsAsync(CancellationToken ct)
    {
        await bot.SetMyCommands(commands.Menu(admin: false), cancellationToken: ct).ConfigureAwait(false);
        var all = commands.Menu(admin: true);
        foreach (var admin in options.Value.AdminUserIds.Distinct())
        {
            try
            {
                await bot.SetMyCommands(all, BotCommandScope.Chat(admin), cancellationToken: ct).ConfigureAwait(false);
            }
            catch (ApiRequestException e) when (e.ErrorCode == 400)
            {
                // Telegram refuses chat scopes for users who never started a chat with the bot.
                logger.LogInformation("Admin commands menu not set for user {UserId} ({Error}); they appear once the admin has started a chat with the bot",
                    admin, redaction.Describe(e));
            }
        }
    }

    public static bool IsUnauthorized(ApiRequestException e) => e.ErrorCode == 401;

}
