namespace EventService.Api.Auth;

public sealed class CredentialCacheOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// Longest a looked-up producer token or application token is trusted without asking PostgreSQL again: the
    /// bound on a revocation that sends no notification (made in SQL without <c>pg_notify</c>, or a notification lost).
    /// </summary>
    public TimeSpan CredentialCacheLifetime { get; set; } = TimeSpan.FromSeconds(30);
}
