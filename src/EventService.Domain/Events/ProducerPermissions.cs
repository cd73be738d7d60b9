using EventService.Domain.Catalog;

namespace EventService.Domain.Events;

/// <summary>What the posting credential may post: the sources, and the one organisation it is bound to (null: any).</summary>
public sealed record ProducerPermissions(IReadOnlySet<EventSource> Sources, long? OrganisationId)
{
    public static ProducerPermissions Unrestricted { get; } =
        new(new HashSet<EventSource> { EventSource.Network, EventSource.PolicyControl, EventSource.Api }, null);
}
