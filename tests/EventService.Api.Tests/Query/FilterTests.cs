using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

public sealed class FilterTests(ApiFixture fixture, ITestOutputHelper output) : ListTestBase(fixture, output)
{
    [Theory]
    [InlineData("type:3", new long[] { 2, 3 })]
    [InlineData("type:1|3", new long[] { 1, 2, 3, 7 })]
    [InlineData("type:99", new long[0])]
    [InlineData("source:1", new long[] { 3, 5, 8 })]
    [InlineData("source:2", new long[] { 4 })]
    [InlineData("severity:2", new long[] { 7 })]
    [InlineData("severity:1", new long[] { 3, 4, 5, 8 })]
    [InlineData("alert:true", new long[] { 3, 5, 7, 8 })]
    [InlineData("alert:false", new long[] { 1, 2, 4, 6 })]
    [InlineData("description:QUOTA", new long[] { 3, 5 })]
    [InlineData("description:100%", new long[0])]
    [InlineData("organisation:acme fleet", new long[] { 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData("organisation:Beta Meters", new long[0])]
    [InlineData("user:dana ops", new long[] { 4 })]
    [InlineData("endpoint:truck-018", new long[] { 3 })]
    [InlineData("endpoint:truck-017|Meter-9", new long[] { 1, 2, 5, 6, 7 })]
    [InlineData("tags:eu", new long[] { 1, 2, 5, 7 })]
    [InlineData("tags:meter", new long[] { 6 })]
    [InlineData("ip_address:100.64.12.8", new long[] { 3 })]
    [InlineData("ip_address:2001:db8::1", new long[] { 6 })]
    [InlineData("imei:356938035643809", new long[] { 1, 2, 5, 7 })]
    [InlineData("iccid:8988303", new long[] { 1, 2, 3, 5, 7 })]
    [InlineData("iccid:8988303000000012346", new long[] { 3 })]
    [InlineData("iccid:89440|8988303000000012346", new long[] { 3, 6 })]
    [InlineData("imsi:901430000012346", new long[] { 3 })]
    [InlineData("timestamp:2026-11-20T00:00:00Z", new long[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData("timestamp:2026-11-19T00:00:00Z", new long[] { 7, 8 })]
    [InlineData("from:2026-11-20T15:00:00Z,until:2026-11-20T17:00:00Z", new long[] { 2, 3, 4 })]
    [InlineData("network:vodafone", new long[] { 1, 2 })]
    [InlineData("network:Telekom", new long[] { 6, 7 })]
    [InlineData("rat:6", new long[] { 2 })]
    [InlineData("rat:6|8", new long[] { 2, 6 })]
    [InlineData("country:germany", new long[] { 1, 2, 7 })]
    [InlineData("country:Austria|Germany", new long[] { 1, 2, 6, 7 })]
    [InlineData("type:3,severity:1", new long[] { 3 })]
    [InlineData("alert:true,source:1,description:quota", new long[] { 3, 5 })]
    [InlineData("endpoint:truck-017,from:2026-11-20T00:00:00Z,until:2026-11-20T23:59:59Z,type:1|3", new long[] { 1, 2 })]
    public async Task Each_q_field_alone_and_combined_selects_the_expected_events(string q, long[] expected)
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?q=" + Uri.EscapeDataString(q));

        Assert.Equal(expected, ids);
        Assert.Equal(expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(response, "X-Total-Count"));
        Assert.Equal(q, Header(response, "X-Filter"));
    }

    [Fact]
    public async Task Iccid_with_luhn_matches_the_iccid_without_its_check_digit()
    {
        const string iccid = "8988303000000012345";
        var withLuhn = iccid + Luhn(iccid);

        var (ids, _) = await ListAsync(Acme, "/api/v1/event?q=iccid_with_luhn:" + withLuhn);

        Assert.Equal([1L, 2, 5, 7], ids);
    }

    [Theory]
    [InlineData("colour:red", "colour")]
    [InlineData("type:abc", "type")]
    [InlineData("from:2026-11-20T15:00:00Z", "until")]
    [InlineData("type:1|2|3|4|5|6|7", "6")]
    [InlineData("ip_address:not-an-ip", "ip_address")]
    [InlineData("severity", "severity")]
    [InlineData("from:2026-10-01T00:00:00Z,until:2026-11-20T00:00:00Z", "30 days")]
    public async Task A_malformed_q_is_a_422_naming_the_bad_part(string q, string named)
    {
        var response = await Acme.GetAsync("/api/v1/event?q=" + Uri.EscapeDataString(q));

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:invalid-filter");
        Assert.Contains(named, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEmpty(problem["errors"]!["q"]!.AsArray());
    }

    [Fact]
    public async Task Values_reach_sql_only_as_parameters()
    {
        var (ids, _) = await ListAsync(Acme, "/api/v1/event?q=" + Uri.EscapeDataString("description:' OR 1=1 --"));

        Assert.Empty(ids);
        Assert.Equal(10, await CountEventsAsync());
    }

    private static int Luhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 0)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return (10 - (sum % 10)) % 10;
    }
}
