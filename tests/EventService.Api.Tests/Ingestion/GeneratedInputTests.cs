using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>
/// A seeded generator of random and mutated inputs for ingest and queries. Whatever comes in: no 5xx, every error
/// is problem+json, and the events table changes by exactly what the answer says (nothing half-written).
/// A failure prints the seed and the input, so it can be replayed.
/// </summary>
public sealed class GeneratedInputTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private readonly ITestOutputHelper log = output;

    private const int Seed = 20261127;
    private const int Posts = 2000;
    private const int Queries = 1000;

    private static readonly string[] OddStrings =
    [
        "", " ", "\u0000", "a\u0000b", "\ud800", "\udc00x", "😀", "\u202eevil", "\r\n\t", "null", "true", "0", "-1",
        "1e999", "9223372036854775808", "2021-10-27T11:59:29.000Z", "2021-02-30T00:00:00Z", "'; DROP TABLE events; --",
        "%00", "\\", "\"", "{}", "[]", "<xml/>", "ÿþ", new string('x', 5000), new string('€', 70_000),
    ];

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = 1000,
    };

    private static readonly JsonNode?[] OddValues =
    [
        null, true, false, 0, -1, 1.5, long.MaxValue, long.MinValue, ulong.MaxValue, 1e300, "", "1", new JsonArray(),
        new JsonObject(), new JsonArray(1, "a", null), new JsonObject { ["id"] = "x" },
    ];

    [Fact]
    public async Task Thousands_of_random_and_mutated_posts_never_5xx_always_answer_problem_json_and_write_exactly_what_they_report()
    {
        var random = new Random(Seed);
        using var producer = await ProducerClientAsync();
        using var organisation = await OrganisationClientAsync(4711); // may post source API events of its own organisation only
        var samples = SampleBatch();
        var count = await CountEventsAsync();
        var statuses = new Dictionary<int, int>();

        for (var i = 0; i < Posts; i++)
        {
            var (body, contentType) = NextBody(random, samples, i);
            using var content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            var response = await (i % 5 == 4 ? organisation : producer).PostAsync("/api/v1/event", content);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var context = $"seed {Seed}, input {i}, {contentType}: {Show(body)} → {status} {Show(text)}";

            Assert.True(status < 500, context);
            var after = await CountEventsAsync();
            if (status >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", context);
                Assert.Equal(status, JsonNode.Parse(text)!["status"]!.GetValue<int>());
                Assert.True(after == count, $"a {status} wrote {after - count} events: {context}");
            }
            else
            {
                var answer = JsonNode.Parse(text)!;
                var expected = status == 201 ? 1 : answer["accepted"]?.GetValue<int>() ?? 0; // a single duplicate: 200 with the event
                Assert.True(after - count == expected, $"expected {expected} new events, got {after - count}: {context}");
            }

            count = after;
        }

        log.WriteLine("statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(statuses.GetValueOrDefault(201) + statuses.GetValueOrDefault(200) > Posts / 20, "the generator hardly produced a valid input");
        Assert.True(statuses.Keys.Count(s => s >= 400) >= 3, "the generator hardly produced different errors");
    }

    [Fact]
    public async Task Random_q_sort_and_paging_values_never_5xx_and_errors_are_problem_json()
    {
        var random = new Random(Seed);
        using var producer = await ProducerClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostJsonAsync(producer, SampleBatch())).StatusCode);
        using var reader = await OrganisationClientAsync(4711);
        string[] fields = ["from", "until", "timestamp", "type", "source", "severity", "alert", "description", "organisation", "user",
            "endpoint", "tags", "ip_address", "imei", "imsi", "iccid", "iccid_with_luhn", "network", "rat", "country", "nope", ""];
        string[] values = ["1", "0|1|2", "true", "2026-11-20T15:00:00Z", "2026-11-20", "8988303", "100.64.12.7", "truck-017", "x|y|z|u|v|w|q",
            "-1", "99999999999999999999", "a:b", "%", "_", "\\", "'", "\"", "", " ", "€", "😀"];

        for (var i = 0; i < Queries; i++)
        {
            var pairs = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(10) == 0
                ? RandomText(random, random.Next(1, 40))
                : $"{Pick(random, fields)}:{(random.Next(8) == 0 ? RandomText(random, random.Next(1, 20)) : Pick(random, values))}");
            var q = string.Join(random.Next(10) == 0 ? ";" : ",", pairs);
            var sort = random.Next(3) switch
            {
                0 => null,
                1 => string.Join(',', Enumerable.Range(0, random.Next(1, 4)).Select(_ => (random.Next(2) == 0 ? "-" : "") + Pick(random, ["id", "timestamp", "type", "iccid", "user", "nope", ""]))),
                _ => RandomText(random, random.Next(0, 10)),
            };
            var page = Pick(random, [null, "1", "2", "0", "-5", "999999999", "99999999999999", "x", "1.5", ""]);
            var perPage = Pick(random, [null, "1", "10", "1000", "1001", "0", "-1", "abc", "99999999999"]);
            var path = Pick(random, ["/api/v1/event", "/api/v1/endpoint/90001/event", "/api/v1/sim/x/event", "/api/v1/user/my/event", "/api/v1/event/" + random.NextInt64()]);
            var url = path + "?" + string.Join('&', new[] { ("q", (string?)q), ("sort", sort), ("page", page), ("per_page", perPage) }
                .Where(p => p.Item2 is not null && random.Next(4) != 0).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));

            var response = await reader.GetAsync(url);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var context = $"seed {Seed}, query {i}: {url} → {status} {Show(text)}";

            Assert.True(status < 500, context);
            if (status >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", context);
            }
            else
            {
                Assert.True(JsonNode.Parse(text) is JsonArray or JsonObject, context);
            }
        }
    }

    private static (byte[] Body, string? ContentType) NextBody(Random random, JsonArray samples, int i)
    {
        var contentType = random.Next(20) switch
        {
            0 => null,
            1 => Pick(random, ["text/plain", "application/xml", "application/json; charset=latin1", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]),
            2 => "application/json; charset=utf-8",
            _ => "application/json",
        };
        var kind = random.Next(100);
        if (kind < 4)
        {
            var bytes = new byte[random.Next(0, 2000)];
            random.NextBytes(bytes);
            return (bytes, contentType);
        }

        JsonNode node;
        if (kind < 30)
        {
            var batch = new JsonArray();
            var size = random.Next(10) == 0 ? 0 : random.Next(1, 12);
            for (var j = 0; j < size; j++)
            {
                batch.Add(Mutate(random, Base(random, samples, i * 100 + j), random.Next(0, 3)));
            }

            node = batch;
        }
        else
        {
            node = Mutate(random, Base(random, samples, i), random.Next(0, 4));
        }

        var text = node.ToJsonString(WriteOptions);
        text = random.Next(25) switch
        {
            0 => text[..random.Next(0, text.Length + 1)], // truncated
            1 => DuplicateAProperty(random, text),
            2 => new string('[', random.Next(10, 200)) + text + new string(']', random.Next(10, 200)),
            3 => "\uFEFF" + text,
            4 => text.Replace("\"", "'"),
            _ => text,
        };
        var body = Encoding.UTF8.GetBytes(text);
        if (random.Next(40) == 0 && body.Length > 0)
        {
            body[random.Next(body.Length)] = (byte)random.Next(0x80, 0x100); // invalid UTF-8 somewhere
        }

        return (body, contentType);
    }

    /// <summary>A valid event, most of the time: a sample or a fresh one, with a new id so that it can be accepted.</summary>
    private static JsonNode Base(Random random, JsonArray samples, int n)
    {
        var e = random.Next(2) == 0
            ? samples[random.Next(samples.Count)]!.DeepClone().AsObject()
            : ValidEvent(id: null, organisationId: random.Next(4700, 4720), age: TimeSpan.FromMinutes(random.Next(1, 60 * 24 * 20)));
        if (random.Next(10) != 0)
        {
            e["id"] = 1_000_000 + n * 7L + random.Next(7);
        }

        return e;
    }

    private static JsonNode Mutate(Random random, JsonNode node, int mutations)
    {
        for (var m = 0; m < mutations; m++)
        {
            var slots = new List<(JsonNode Parent, object Key)>();
            Collect(node, slots);
            if (slots.Count == 0)
            {
                return node;
            }

            var (parent, key) = slots[random.Next(slots.Count)];
            JsonNode? replacement = random.Next(6) switch
            {
                0 => null, // marker: delete
                1 => Pick(random, OddValues)?.DeepClone(),
                2 => JsonValue.Create(Pick(random, OddStrings)),
                3 => Deep(random.Next(5, 80)),
                4 => new JsonObject(Enumerable.Range(0, random.Next(1, 700)).Select(k => KeyValuePair.Create("p" + k, (JsonNode?)k))),
                _ => JsonValue.Create(random.NextInt64() * (random.Next(2) == 0 ? 1 : -1)),
            };
            var delete = replacement is null && random.Next(2) == 0;
            switch (parent, key)
            {
                case (JsonObject o, string name):
                    if (delete)
                    {
                        o.Remove(name);
                    }
                    else
                    {
                        o[name] = replacement;
                    }

                    break;
                case (JsonArray a, int index):
                    a[index] = replacement;
                    break;
            }
        }

        return node;
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> slots)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    slots.Add((o, name));
                    if (child is not null)
                    {
                        Collect(child, slots);
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add((a, i));
                    if (a[i] is { } child)
                    {
                        Collect(child, slots);
                    }
                }

                break;
        }
    }

    private static JsonNode Deep(int depth)
    {
        JsonNode node = JsonValue.Create(1);
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonObject { ["a"] = node } : new JsonArray(node);
        }

        return node;
    }

    private static string DuplicateAProperty(Random random, string text)
    {
        var at = text.IndexOf("\"description\":", StringComparison.Ordinal);
        return at < 0 ? text : text.Insert(at, "\"description\":" + (random.Next(2) == 0 ? "\"again\"," : "1,"));
    }

    private static string RandomText(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => (char)random.Next(random.Next(4) == 0 ? 0x20 : 0x20, random.Next(8) == 0 ? 0x3000 : 0x7F)).ToArray());

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Show(byte[] body) => Show(Encoding.UTF8.GetString(body));

    private static string Show(string text) => text.Length <= 300 ? text : text[..300] + $"... ({text.Length} chars)";
}
