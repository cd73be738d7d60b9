using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using EventService.Api.Infrastructure;
using EventService.Api.Storage;
using Microsoft.AspNetCore.Authentication;
using Npgsql;
using Microsoft.Extensions.Options;

namespace EventService.Api.Auth;

/// <summary>
/// Reads <c>Authorization: Bearer ...</c>: the admin key, or a producer token looked up by its hash on every
/// request, so that a revoked token stops working at once.
/// </summary>
public sealed class CredentialAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AdminOptions> admin,
    NpgsqlDataSource dataSource,
    CredentialLookupCache cache,
    IOptions<StorageOptions> storage) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Credential";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (BearerToken(header) is not { } token)
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var adminKey = admin.Value.ApiKey;
        if (!string.IsNullOrEmpty(adminKey) && Tokens.FixedTimeEquals(token, adminKey))
        {
            return Success(new Claim(CredentialClaims.Kind, CredentialKinds.Admin), new Claim(ClaimTypes.Name, "admin"));
        }

        if (!token.StartsWith(Tokens.ProducerPrefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.Fail("The bearer token is not valid.");
        }

        var hash = Tokens.Hash(token);
        if (!cache.TryGetProducer(hash, out var producer))
        {
            var epoch = cache.Epoch;
            // Bounded by the connect timeout, connection and query together, so that a frozen database cannot hold a
            // request here longer than anywhere else. On a connection of its own, not the request's (pooled)
            // DbContext: a lookup given up on may still run after the request has ended.
            var row = await DatabaseTimeout.RunAsync(
                token => LookUpAsync(hash, token), storage.Value.ConnectTimeout, "The producer token's lookup", Context.RequestAborted);
            if (row is null)
            {
                return AuthenticateResult.Fail("The bearer token is not valid or has been revoked.");
            }

            producer = new ProducerIdentity(row.Id, row.Name, Producer.Credential(row.Id, row.Sources, row.OrganisationId, row.SigningSecret));
            cache.AddProducer(hash, producer, epoch);
        }

        Context.Features.Set(producer.Producer);
        return Success(
            new Claim(CredentialClaims.Kind, CredentialKinds.Producer),
            new Claim(ClaimTypes.Name, producer.Name),
            new Claim(CredentialClaims.ProducerId, producer.Id.ToString(CultureInfo.InvariantCulture)));
    }

    private AuthenticateResult Success(params Claim[] claims)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
            failure ?? "This endpoint needs 'Authorization: Bearer <token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden",
            "This credential may not use this endpoint.");

    /// <summary>
    /// Whether the credential of <paramref name="header"/> is one this instance tells without asking PostgreSQL: the
    /// admin key, a producer token it has cached, or a JWT (whose check in the database waits behind a valid
    /// signature). Not: none, an unknown or uncached producer token, anything else.
    /// </summary>
    public static bool IsKnownWithoutLookup(string? header, string? adminKey, CredentialLookupCache cache)
    {
        if (AuthExtensions.LooksLikeJwt(header))
        {
            return true;
        }

        return BearerToken(header) is { } token
            && ((!string.IsNullOrEmpty(adminKey) && Tokens.FixedTimeEquals(token, adminKey))
                || (token.StartsWith(Tokens.ProducerPrefix, StringComparison.Ordinal) && cache.TryGetProducer(Tokens.Hash(token), out _)));
    }

    private static string? BearerToken(string? header) =>
        header is { Length: > 7 and <= 1024 } && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;

    private sealed record ProducerRow(long Id, string Name, short[] Sources, long? OrganisationId, byte[]? SigningSecret);

    private async Task<ProducerRow?> LookUpAsync(byte[] hash, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, name, sources, organisation_id, signing_secret FROM producers WHERE token_hash = @hash AND revoked_at IS NULL");
        command.Parameters.AddWithValue("hash", hash);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new ProducerRow(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<short[]>(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4))
            : null;
    }
}
