namespace EventService.Api.Retention;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>How long events are kept; ingest refuses events older than this.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);
}
