using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Api.Auth;

/// <summary>
/// What the request's credential may post, set on the request as a feature by authentication: for a producer
/// credential its id, sources, organisation restriction and the key its posts are signed with (not a claim: only the
/// ingest endpoint should see it); for an organisation's auth token the source API of its own organisation.
/// </summary>
public sealed record Producer(long? Id, ProducerPermissions Permissions, byte[]? SigningKey)
{
    private static readonly IReadOnlySet<EventSource> ApiOnly = new HashSet<EventSource> { EventSource.Api };

    public static Producer Credential(long id, short[] sources, long? organisationId, byte[]? signingKey) =>
        new(id, new ProducerPermissions(sources.Select(s => (EventSource)s).ToHashSet(), organisationId), signingKey);

    public static Producer Organisation(long organisationId) => new(null, new ProducerPermissions(ApiOnly, organisationId), null);
}
