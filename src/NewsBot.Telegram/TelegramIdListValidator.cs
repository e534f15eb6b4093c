using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace NewsBot.Telegram;

/// <summary>
/// Checks the raw <c>Telegram:AllowedUserIds</c>, <c>AllowedChatIds</c> and <c>AdminUserIds</c> entries. The configuration
/// binder silently drops a list entry that is not a number (<c>@alice</c>, <c>12345x</c>) and ignores a list given as one
/// value, so a typo would leave the allowlist empty, and an empty allowlist means everyone may use the bot. Every entry must
/// therefore bind, or the host does not start.
/// </summary>
public sealed class TelegramIdListValidator(IConfiguration configuration) : IValidateOptions<TelegramOptions>
{
    public static readonly string[] Lists = [nameof(TelegramOptions.AllowedUserIds), nameof(TelegramOptions.AllowedChatIds), nameof(TelegramOptions.AdminUserIds)];

    public ValidateOptionsResult Validate(string? name, TelegramOptions options)
    {
        var errors = new List<string>();
        var section = configuration.GetSection(TelegramOptions.SectionName);
        foreach (var list in Lists)
        {
            var key = $"{TelegramOptions.SectionName}:{list}";
            var listSection = section.GetSection(list);
            var children = listSection.GetChildren().ToList();
            if (children.Count == 0 && !string.IsNullOrWhiteSpace(listSection.Value))
                errors.Add($"{key} must be a list of numeric Telegram ids, not a single value; write it as [12345] in appsettings.json or as the environment variable {key.Replace(":", "__")}__0=12345.");
            foreach (var child in children)
            {
                if (child.Value is { } v && long.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) continue;
                var shown = child.Value is null ? "(not a number)" : $"'{child.Value}'";
                errors.Add($"{key}:{child.Key} = {shown} is not a numeric Telegram id; ids are numbers such as 123456789 (a @username does not work: ask @userinfobot for the id). "
                    + $"Fix it in appsettings.json or the environment variable {key.Replace(":", "__")}__{child.Key}. The bot does not start, because a list without this entry could let everyone in.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
