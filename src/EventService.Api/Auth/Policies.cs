namespace EventService.Api.Auth;

public static class Policies
{
    /// <summary>The admin key from configuration.</summary>
    public const string Admin = "admin";

    /// <summary>A producer credential: may post events.</summary>
    public const string Producer = "producer";

    /// <summary>May read events: the admin key for now (organisation credentials come with the read API).</summary>
    public const string Reader = "reader";
}

public static class CredentialClaims
{
    public const string Kind = "credential_kind";
    public const string ProducerId = "producer_id";
    public const string Sources = "producer_sources";
    public const string OrganisationId = "organisation_id";
}
