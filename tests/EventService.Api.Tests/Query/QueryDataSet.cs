using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;

namespace EventService.Api.Tests.Query;

/// <summary>
/// A known set of events: eight of organisation 4711 ("Acme Fleet") and two of 4712 ("Beta Meters"), the latter
/// with the same endpoint, SIM and user ids as the former, so that leaks between organisations would show.
/// All timestamps relative to <see cref="ApiFixture.Start"/> (2026-11-21T00:00Z).
/// </summary>
public static class QueryDataSet
{
    public const long Acme = 4711;
    public const long Beta = 4712;

    public static JsonArray Events()
    {
        var truck17 = Endpoint(90001, "truck-017", "fleet,eu", "100.64.12.7", "356938035643809");
        var truck18 = Endpoint(90002, "truck-018", null, "100.64.12.8", null);
        var meter9 = Endpoint(90003, "meter-9", "meters", "2001:db8::1", null);
        var sim1 = Sim(700001, "8988303000000012345");
        var sim2 = Sim(700002, "8988303000000012346");
        var sim3 = Sim(700003, "8944000000000000001");
        var imsi1 = Imsi(800001, "901430000012345");
        var imsi2 = Imsi(800002, "901430000012346");

        return
        [
            Event(1, Acme, hoursBefore: 10, type: 1, severity: 0, source: 0, alert: false, "New location received", truck17, sim1, imsi1, detail: Operator("Vodafone", "Germany", null)),
            Event(2, Acme, hoursBefore: 9, type: 3, severity: 0, source: 0, alert: false, "PDP context created", truck17, sim1, imsi1, detail: Operator("Vodafone", "Germany", 6)),
            Event(3, Acme, hoursBefore: 8, type: 3, severity: 1, source: 1, alert: true, "PDP rejected: no quota", truck18, sim2, imsi2),
            Event(4, Acme, hoursBefore: 7, type: 6, severity: 1, source: 2, alert: false, "User authentication failed", user: User(123, "Dana Ops")),
            Event(5, Acme, hoursBefore: 6, type: 18, severity: 1, source: 1, alert: true, "Quota threshold reached", truck17, sim1, imsi1),
            Event(6, Acme, hoursBefore: 5, type: 5, severity: 0, source: 0, alert: false, "PDP context deleted", meter9, sim3, detail: Operator("Telekom", "Austria", 8)),
            Event(7, Acme, hoursBefore: 25, type: 1, severity: 2, source: 0, alert: true, "Location in a critical state", truck17, sim1, imsi1, detail: Operator("Telekom", "Germany", null)),
            Event(8, Acme, hoursBefore: 48, type: 12, severity: 1, source: 1, alert: true, "Organisation blocked"),
            Event(9, Beta, hoursBefore: 3, type: 1, severity: 0, source: 0, alert: false, "New location received", truck17, sim1, imsi1, User(123, "Other User"), Operator("Vodafone", "Germany", null)),
            Event(10, Beta, hoursBefore: 2, type: 3, severity: 1, source: 1, alert: true, "PDP rejected: no quota", Endpoint(91001, "meter-1", null, "100.64.40.1", null)),
        ];
    }

    private static JsonObject Event(
        long id, long organisation, int hoursBefore, int type, int severity, int source, bool alert, string description,
        JsonObject? endpoint = null, JsonObject? sim = null, JsonObject? imsi = null, JsonObject? user = null, JsonObject? detail = null) => new()
    {
        ["id"] = id,
        ["timestamp"] = (ApiFixture.Start - TimeSpan.FromHours(hoursBefore)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
        ["alert"] = alert,
        ["description"] = description,
        ["event_type"] = new JsonObject { ["id"] = type },
        ["event_source"] = new JsonObject { ["id"] = source },
        ["event_severity"] = new JsonObject { ["id"] = severity },
        ["organisation"] = new JsonObject { ["id"] = organisation, ["name"] = organisation == Acme ? "Acme Fleet" : "Beta Meters" },
        ["user"] = user,
        ["endpoint"] = endpoint?.DeepClone(),
        ["sim"] = sim?.DeepClone(),
        ["imsi"] = imsi?.DeepClone(),
        ["detail"] = detail,
    };

    private static JsonObject Endpoint(long id, string name, string? tags, string ip, string? imei) =>
        new() { ["id"] = id, ["name"] = name, ["tags"] = tags, ["ip_address"] = ip, ["imei"] = imei };

    private static JsonObject Sim(long id, string iccid) => new() { ["id"] = id, ["iccid"] = iccid };

    private static JsonObject Imsi(long id, string imsi) => new() { ["id"] = id, ["imsi"] = imsi };

    private static JsonObject User(long id, string name) => new() { ["id"] = id, ["name"] = name, ["username"] = name.Replace(' ', '.') };

    private static JsonObject Operator(string network, string country, int? rat)
    {
        var detail = new JsonObject { ["id"] = 3, ["name"] = network, ["country"] = new JsonObject { ["name"] = country } };
        if (rat is { } r)
        {
            detail["pdp_context"] = new JsonObject { ["rat_type"] = r };
        }

        return detail;
    }
}
