namespace EventService.Api.Storage;

/// <summary>A tenant (emnify's workspace): created by the admin API or by the first accepted event that names it.</summary>
public sealed class Organisation
{
    public long Id { get; set; }

    public string? Name { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
