namespace EventService.Api.Auth;

public sealed class JwtOptions
{
    public const string Section = "Jwt";

    /// <summary>
    /// HMAC-SHA256 key that signs the auth tokens (<c>Jwt__SigningKey</c>), at least 32 characters; every instance
    /// needs the same one. Empty: a random key per process (tokens die with a restart). <c>./run.sh</c> generates one.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long an auth token from <c>/api/v1/authenticate</c> is valid (emnify: 240 minutes).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(240);

    /// <summary>The <c>iss</c> and <c>aud</c> of the auth tokens.</summary>
    public string Issuer { get; set; } = "eventservice";
}
