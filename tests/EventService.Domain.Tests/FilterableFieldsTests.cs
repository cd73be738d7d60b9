using System.Text.Json.Nodes;
using EventService.Domain.Catalog;
using EventService.Domain.Events;
using static EventService.Domain.Tests.TestData;

namespace EventService.Domain.Tests;

public sealed class FilterableFieldsTests
{
    [Fact]
    public void User_and_endpoint_names_and_tags_are_read_for_filtering()
    {
        var e = AssertValid(Validate(ValidEvent()));

        Assert.Equal("Dana Ops", e.UserName);
        Assert.Equal("truck-017", e.EndpointName);
        Assert.Equal("fleet,eu", e.Tags);
    }

    [Fact]
    public void An_operator_shaped_detail_gives_network_country_and_rat()
    {
        var e = AssertValid(Validate(Event(x => x["detail"]!["pdp_context"] = new JsonObject { ["rat_type"] = 6 })));

        Assert.Equal("Vodafone", e.Network);
        Assert.Equal("Germany", e.Country);
        Assert.Equal((short)6, e.RatType);
    }

    [Fact]
    public void A_detail_name_without_a_country_is_not_taken_for_an_operator()
    {
        var e = AssertValid(Validate(Event(x => x["detail"] = new JsonObject { ["name"] = "not an operator" })));

        Assert.Null(e.Network);
        Assert.Null(e.Country);
        Assert.Null(e.RatType);
    }

    [Fact]
    public void Absent_names_read_as_null()
    {
        var e = AssertValid(Validate(Event(x =>
        {
            x.Remove("user");
            x["endpoint"] = new JsonObject { ["id"] = 1 };
            x.Remove("detail");
        })));

        Assert.Null(e.UserName);
        Assert.Null(e.EndpointName);
        Assert.Null(e.Tags);
        Assert.Null(e.Network);
    }

    [Fact]
    public void A_credential_bound_to_one_organisation_may_leave_the_organisation_out()
    {
        var bound = new ProducerPermissions(new HashSet<EventSource> { EventSource.Api }, 4711);

        var e = AssertValid(Validate(Event(x => { x.Remove("organisation"); x["event_source"] = new JsonObject { ["id"] = 2 }; }), Context(bound)));

        Assert.Equal(4711, e.OrganisationId);
        Assert.Equal(4711, JsonNode.Parse(e.EntitiesJson)!["organisation"]!["id"]!.GetValue<long>());
    }

    [Fact]
    public void An_unbound_credential_must_name_the_organisation() =>
        AssertErrorsAt(Validate(Event(x => x.Remove("organisation"))), "organisation.id");

    [Fact]
    public void A_credential_that_may_post_one_source_may_leave_the_source_out()
    {
        var apiOnly = new ProducerPermissions(new HashSet<EventSource> { EventSource.Api }, null);

        var e = AssertValid(Validate(Event(x => x.Remove("event_source")), Context(apiOnly)));

        Assert.Equal(EventSource.Api, e.Source);
    }

    [Fact]
    public void A_credential_with_several_sources_must_name_the_source() =>
        AssertErrorsAt(Validate(Event(x => x.Remove("event_source"))), "event_source.id");

    [Fact]
    public void A_credential_that_may_post_one_source_still_may_not_name_another()
    {
        var apiOnly = new ProducerPermissions(new HashSet<EventSource> { EventSource.Api }, 4711);

        AssertErrorsAt(Validate(ValidEvent(), Context(apiOnly)), "event_source.id");
    }
}
