namespace EventService.Api.Storage;

/// <summary>
/// The retention period every instance keeps to, in the one-row table <c>retention_settings</c>: seeded from
/// <c>Retention:Period</c> on the first start, changed by <c>PUT /api/v1/admin/retention</c> (see RetentionWindow).
/// </summary>
public sealed class RetentionSetting
{
    /// <summary>The only row's key.</summary>
    public const int OnlyId = 1;

    public int Id { get; set; } = OnlyId;

    public TimeSpan Period { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
