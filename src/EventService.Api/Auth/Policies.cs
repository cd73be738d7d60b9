namespace EventService.Api.Auth;

public static class Policies
{
    /// <summary>The admin key from configuration.</summary>
    public const string Admin = "admin";

    /// <summary>A producer credential: may post events.</summary>
    public const string Producer = "producer";

    /// <summary>An organisation's auth token (a JWT from <c>/api/v1/authenticate</c>): reads its own events.</summary>
    public const string Organisation = "organisation";

    /// <summary>May post events: a producer credential, or an organisation's auth token (source API, its own organisation).</summary>
    public const string Ingest = "ingest";
}

/// <summary>The values of <see cref="CredentialClaims.Kind"/>: which kind of credential authenticated the request.</summary>
public static class CredentialKinds
{
    public const string Admin = "admin";
    public const string Producer = "producer";
    public const string Organisation = "organisation";
}

public static class CredentialClaims
{
    public const string Kind = "credential_kind";
    public const string ProducerId = "producer_id";
    public const string OrganisationId = "organisation_id";
    public const string ApplicationTokenId = "application_token_id";
}
