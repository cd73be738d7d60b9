using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EventService.Api.Auth;

/// <summary>Issues the JWTs that <c>/api/v1/authenticate</c> hands out, and holds the key that checks them.</summary>
public sealed partial class AuthTokens
{
    public const string OrganisationClaim = "org";
    public const string ApplicationTokenClaim = "tid";

    private readonly JwtOptions options;
    private readonly TimeProvider time;
    private readonly JsonWebTokenHandler handler = new();

    public AuthTokens(IOptions<JwtOptions> options, TimeProvider time, ILogger<AuthTokens> logger)
    {
        this.options = options.Value;
        this.time = time;
        if (string.IsNullOrEmpty(this.options.SigningKey))
        {
            LogEphemeralKey(logger);
            Key = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        }
        else
        {
            Key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(this.options.SigningKey));
        }
    }

    public SymmetricSecurityKey Key { get; }

    public string Issuer => options.Issuer;

    public string Issue(long applicationTokenId, long organisationId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.Lifetime,
            Claims = new Dictionary<string, object>
            {
                [OrganisationClaim] = organisationId.ToString(CultureInfo.InvariantCulture),
                [ApplicationTokenClaim] = applicationTokenId.ToString(CultureInfo.InvariantCulture),
            },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Checks lifetimes against the injected clock (the library's own check reads the system clock).</summary>
    public bool IsLive(DateTime? notBefore, DateTime? expires)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } exp && exp > now && (notBefore is not { } nbf || nbf <= now);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Jwt:SigningKey is not set: auth tokens are signed with a random key and die with this process")]
    private static partial void LogEphemeralKey(ILogger logger);

    internal static ClaimsIdentity Identity(long organisationId, long applicationTokenId, string scheme) => new(
    [
        new Claim(CredentialClaims.Kind, CredentialKinds.Organisation),
        new Claim(CredentialClaims.OrganisationId, organisationId.ToString(CultureInfo.InvariantCulture)),
        new Claim(CredentialClaims.ApplicationTokenId, applicationTokenId.ToString(CultureInfo.InvariantCulture)),
    ], scheme);
}
