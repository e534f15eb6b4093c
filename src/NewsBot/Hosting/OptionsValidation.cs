using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace NewsBot.Hosting;

/// <summary>
/// Validates an options class with its DataAnnotations and an optional extra rule, reporting each problem
/// as "Section:Key — problem. Fix: …" so the message names the setting and how to change it.
/// </summary>
public sealed class SectionValidator<T>(string section, Func<T, IEnumerable<string>>? extra = null) : IValidateOptions<T> where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = new List<string>();
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var r in results)
        {
            foreach (var member in r.MemberNames.DefaultIfEmpty(""))
                errors.Add(Describe(section, member, r.ErrorMessage ?? "is invalid"));
        }
        if (extra is not null) errors.AddRange(extra(options));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static string Describe(string section, string member, string problem)
    {
        var key = string.IsNullOrEmpty(member) ? section : $"{section}:{member}";
        problem = problem.Replace($"The field {member} ", "").Replace($"The {member} field ", "").TrimEnd('.');
        return $"{key}: {problem}. Fix it in appsettings.json or with the environment variable {key.Replace(":", "__")}.";
    }
}

public static class OptionsRegistration
{
    /// <summary>Binds a section, validates it with a message naming the key, and validates on start.</summary>
    public static OptionsBuilder<T> AddSection<T>(this IServiceCollection services, IConfiguration config, string section, Func<T, IEnumerable<string>>? extra = null) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new SectionValidator<T>(section, extra));
        return services.AddOptions<T>().Bind(config.GetSection(section)).ValidateOnStart();
    }
}

/// <summary>A configuration problem the user must fix; the message says which setting and how.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
