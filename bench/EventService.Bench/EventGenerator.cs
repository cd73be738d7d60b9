using System.Globalization;
using System.Text;
using System.Text.Json;
using EventService.Api.Catalog;
using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Bench;

/// <summary>
/// Realistic emnify events as a producer posts them: the catalog's most frequent types (PDP context created and
/// deleted, location updates, quota thresholds, SIM activations) with their detail shapes, spread over 20
/// organisations, 20,000 devices with their SIMs and IMSIs, and the last 20 hours. Deterministic for a seed.
/// With <paramref name="bigOrganisationPercent"/> above 0, organisation 1001 gets that share of the events on top of
/// its even share (a large tenant next to 19 small ones).
/// </summary>
public sealed class EventGenerator(int seed, DateTimeOffset now, int bigOrganisationPercent = 0)
{
    public const long BigOrganisation = 1001;

    private static readonly (string Name, string Country, int CountryId, string Mcc, string Mnc, string Iso)[] Operators =
    [
        ("Vodafone", "Germany", 74, "262", "02", "de"), ("Telefonica", "Spain", 205, "214", "07", "es"),
        ("Orange", "France", 73, "208", "01", "fr"), ("TIM", "Italy", 107, "222", "01", "it"),
        ("KPN", "Netherlands", 152, "204", "08", "nl"), ("AT&T", "United States", 226, "310", "410", "us"),
    ];

    private readonly Random random = new(seed);

    /// <summary>The event with this id as the compact JSON a producer posts.</summary>
    public string Next(long id)
    {
        var organisation = bigOrganisationPercent > 0 && random.Next(100) < bigOrganisationPercent ? BigOrganisation : 1001 + random.Next(20);
        var device = random.Next(1000);
        var endpoint = organisation * 10_000L + device;
        var sim = 700_000_000L + endpoint;
        var imsiId = 800_000_000L + endpoint;
        var digits = (endpoint % 100_000_000).ToString("D8", CultureInfo.InvariantCulture);
        var iccid = "89883030000" + digits;
        var imsi = "9014300" + digits;
        var imei = "3569380" + digits;
        var ip = $"100.{64 + organisation % 32}.{device / 250}.{device % 250}";
        var ts = (now - TimeSpan.FromMilliseconds(random.NextInt64((long)TimeSpan.FromHours(20).TotalMilliseconds)))
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var op = Operators[random.Next(Operators.Length)];
        var session = new Guid(random.Next(), 0, 0, [.. BitConverter.GetBytes(random.NextInt64())]).ToString();
        var pdp = random.Next(10_000_000, 99_999_999);
        var operatorJson =
            $$"""{"id":{{3 + random.Next(400)}},"name":"{{op.Name}}","country":{"id":{{op.CountryId}},"name":"{{op.Country}}","country_code":"49","mcc":"{{op.Mcc}}","iso_code":"{{op.Iso}}"}""";
        var pdpContext =
            $$"""{"pdp_context_id":{{pdp}},"apn":"em","rat_type":{{(random.Next(3) == 0 ? 6 : 1)}},"gtp_version":2,"ue_ip_address":"{{ip}}","region":"eu-west-1","mcc":"{{op.Mcc}}","mnc":"{{op.Mnc}}","tariff_profile_id":"395978","ratezone_id":"8178","tariff_id":"555"}""";

        var roll = random.Next(100);
        var (type, typeName, source, severity, alert, description, detail) = roll switch
        {
            < 40 => (3, "Create PDP Context", 0, 0, false,
                $"New PDP Context successfully activated with SGSN CP=10.20.{device % 250}.40, DP=10.20.{device % 250}.41.",
                $$"""{{operatorJson}},"session_id":"{{session}}","pdp_context":{{pdpContext}}}"""),
            < 75 => (5, "Delete PDP Context", 0, 0, false, "PDP Context deleted.",
                $$$"""{{{operatorJson}}},"session_id":"{{{session}}}","pdp_context":{{{pdpContext}}},"volume":{"total":{{{Volume()}}},"rx":{{{Volume()}}},"tx":{{{Volume()}}}}}"""),
            < 90 => (1, "Update location", 0, 0, false,
                $"New location received from VLR for IMSI='{imsi}', now attached to VLR='49172{digits}'.",
                $$"""{{operatorJson}},"tapcode":[{"id":1,"tapcode":"DEUD2"}],"mnc":[{"id":2,"mnc":"{{op.Mnc}}"}]}"""),
            < 95 => (18, "Quota threshold reached", 1, 1, true, "Quota threshold of 80% reached.",
                $$$"""{"quota":{"threshold_percentage":80,"threshold_volume":"80.000000","volume":"{{{Volume()}}}"}}"""),
            _ => (8, "SIM activation", 1, 0, false, "SIM status changed from FACTORY TEST to ACTIVATED.",
                """{"transition":{"sim":{"status":{"from":{"id":4,"description":"FACTORY TEST"},"to":{"id":1,"description":"ACTIVATED"}}},"reason":"SIM reached factory test volume."}}"""),
        };

        return $$"""{"id":{{id}},"timestamp":"{{ts}}","alert":{{(alert ? "true" : "false")}},"description":"{{description}}","event_type":{"id":{{type}},"description":"{{typeName}}"},"event_source":{"id":{{source}},"description":"{{(source == 0 ? "Network" : "Policy Control")}}"},"event_severity":{"id":{{severity}},"description":"{{(severity == 0 ? "Info" : "Warn")}}"},"organisation":{"id":{{organisation}},"name":"Org {{organisation}}"},"endpoint":{"id":{{endpoint}},"name":"device-{{endpoint}}","ip_address":"{{ip}}","tags":"fleet,eu","imei":"{{imei}}"},"sim":{"id":{{sim}},"iccid":"{{iccid}}","production_date":"2025-03-01T10:00:00.000Z"},"imsi":{"id":{{imsiId}},"imsi":"{{imsi}}","import_date":"2025-03-01T10:00:00.000Z"},"detail":{{detail}}}""";
    }

    private string Volume() => (random.NextDouble() * 100).ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>Events <paramref name="firstId"/>, +1, ... as posted JSON.</summary>
    public static string[] Generate(int seed, DateTimeOffset now, long firstId, int count, int bigOrganisationPercent = 0)
    {
        var generator = new EventGenerator(seed, now, bigOrganisationPercent);
        var events = new string[count];
        for (var i = 0; i < count; i++)
        {
            events[i] = generator.Next(firstId + i);
        }

        return events;
    }

    /// <summary>A JSON array of the events, as one POST body.</summary>
    public static byte[] Array(ReadOnlySpan<string> events)
    {
        var builder = new StringBuilder(events.Length * 1100).Append('[');
        for (var i = 0; i < events.Length; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append(events[i]);
        }

        return Encoding.UTF8.GetBytes(builder.Append(']').ToString());
    }

    /// <summary>
    /// The events validated by the service's own domain code, as the rows the references write; throws when the
    /// generator made one the service would reject.
    /// </summary>
    public static ValidatedEvent[] Validate(IReadOnlyList<string> events, DateTimeOffset now)
    {
        var catalog = new EventCatalog(CatalogStore.ReadBuiltInCatalog());
        var validator = new EventValidator(catalog);
        var context = new IngestContext(now, AcceptanceWindow.Default, ProducerPermissions.Unrestricted, new EventLimits());
        var result = new ValidatedEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            using var document = JsonDocument.Parse(events[i]);
            var outcome = validator.Validate(document.RootElement, context);
            result[i] = outcome.Event ?? throw new InvalidOperationException(
                $"generated event {i} is invalid: {JsonSerializer.Serialize(outcome.Errors)}\n{events[i]}");
        }

        return result;
    }

    public static double AverageDetailBytes(IReadOnlyList<ValidatedEvent> events) =>
        events.Average(e => Encoding.UTF8.GetByteCount(e.DetailJson ?? ""));
}
