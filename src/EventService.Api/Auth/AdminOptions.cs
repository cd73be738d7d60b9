namespace EventService.Api.Auth;

public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// Bearer key for the admin API (<c>Admin__ApiKey</c>). Empty disables the admin API.
    /// <c>./run.sh</c> generates one for development; never commit one.
    /// </summary>
    public string? ApiKey { get; set; }
}
