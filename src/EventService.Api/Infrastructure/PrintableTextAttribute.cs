using System.ComponentModel.DataAnnotations;

namespace EventService.Api.Infrastructure;

/// <summary>Refuses control characters (NUL among them, which PostgreSQL cannot store) and unpaired surrogates.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class PrintableTextAttribute() : ValidationAttribute("The {0} field may not hold control characters or invalid Unicode.")
{
    public override bool IsValid(object? value) =>
        value is not string text || (!text.Any(char.IsControl) && TextSanitizer.Clean(text) == text);
}
