using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Domain.Catalog;
using Json.Schema;
using Xunit.Abstractions;

namespace EventService.Domain.Tests;

/// <summary>
/// The compiled detail check (DetailShape) may only call a detail valid when JsonSchema.Net does: held to the library's
/// verdict on the catalog's schemas, the samples, the benchmark's shapes and many seeded random mutations of them.
/// </summary>
public sealed class DetailFastCheckTests(ITestOutputHelper output)
{
    private const int MutationsPerBase = 100;
    private const int GeneratedBasesPerSchema = 12;

    private static readonly string[] RawNumbers =
    [
        "0", "-0", "1", "2", "3", "-1", "1.0", "2.0", "0.5", "-2.5", "1e2", "1E2", "2e0", "20e-1", "1E400", "-1e-400",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "0.0000001", "32767", "6",
    ];

    private static readonly string[] RawStrings =
    [
        "\"\"", "\"x\"", "\"1\"", "\"2\"", "\"a\\u0062c\"", "\"\\u0031\"", "\"\\ud800\"", "\"\\udc00x\"", "\"tab\\tline\\n\"",
        "\"Vodafone\"", "\"\\\"quoted\\\"\"", "\"ü€😀\"",
    ];

    // Schemas beyond the catalog's that the check also compiles: enums of every scalar, boolean subschemas, bare arrays.
    private static readonly string[] ExtraSchemas =
    [
        """{"type":"object","properties":{"mode":{"enum":["a","b",null,true,1,2.5]},"flag":{"type":"boolean"},"any":true,"never":false}}""",
        """{"type":"object","properties":{"list":{"type":"array","items":{"type":["integer","null"],"enum":[1,2,3,null]}},"free":{"type":"array"},"all":{"items":true}}}""",
        """{"title":"t","description":"d","$comment":"c","properties":{"n":{"type":"number","default":1,"examples":[1]},"s":{"type":["string","boolean"],"deprecated":true,"readOnly":false,"writeOnly":false}}}""",
        """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"array","items":{"type":"object","properties":{"d":{"type":"integer","enum":[0,-1]}}}}}}}}}}""",
    ];

    public static TheoryData<string> SchemasToCheck()
    {
        var data = new TheoryData<string>();
        foreach (var type in TestData.Catalog.Types.Where(t => t.DetailSchema is not null))
        {
            data.Add($"catalog:{type.Id}");
        }

        for (var i = 0; i < ExtraSchemas.Length; i++)
        {
            data.Add($"extra:{i}");
        }

        return data;
    }

    [Fact]
    public void Every_detail_schema_of_the_catalog_has_a_fast_check()
    {
        using var empty = JsonDocument.Parse("{}");
        var withSchema = TestData.Catalog.Types.Where(t => t.DetailSchema is not null).ToList();

        Assert.Equal(26, withSchema.Count);
        Assert.All(withSchema, t => Assert.True(TestData.Catalog.FastVerdict(t.Id, empty.RootElement)));
        Assert.Null(TestData.Catalog.FastVerdict(0, empty.RootElement));
    }

    [Theory]
    [MemberData(nameof(SchemasToCheck))]
    public void The_fast_check_calls_valid_only_what_JsonSchema_Net_calls_valid(string schemaName)
    {
        var (typeId, catalog) = CatalogFor(schemaName);
        catalog.TryGet(typeId, out var definition);
        var library = LibrarySchema(definition.DetailSchema!);
        var schemaElement = JsonDocument.Parse(definition.DetailSchema!).RootElement;
        var random = new Random(typeId * 7919 + schemaName.Length);
        var names = SchemaPropertyNames(schemaElement);

        var bases = BaseDetails(typeId, schemaName.StartsWith("catalog:", StringComparison.Ordinal))
            .Concat(Enumerable.Range(0, GeneratedBasesPerSchema).Select(_ => Generate(schemaElement, random, 0)!.ToJsonString()))
            .ToList();

        int cases = 0, fastValid = 0, libraryValid = 0, libraryInvalid = 0;
        void Check(string json, bool expectFastAnswer)
        {
            using var document = JsonDocument.Parse(json);
            var detail = document.RootElement;
            var fast = catalog.FastVerdict(typeId, detail);
            var expected = LibraryVerdict(library, detail);
            cases++;
            libraryValid += expected ? 1 : 0;
            libraryInvalid += expected ? 0 : 1;
            Assert.NotNull(fast);
            if (fast == true)
            {
                fastValid++;
                Assert.True(expected, $"type {schemaName}: the fast check calls valid what JsonSchema.Net rejects: {json}");
            }
            else if (expectFastAnswer)
            {
                Assert.Fail($"type {schemaName}: the fast check left a plain valid detail to the library: {json}");
            }

            // The catalog's whole answer agrees with the library's verdict, whichever path gave it.
            if (detail.ValueKind == JsonValueKind.Object)
            {
                Assert.Equal(expected, catalog.ValidateDetail(typeId, detail).Count == 0);
            }
        }

        foreach (var json in bases)
        {
            Check(json, expectFastAnswer: true);
            for (var i = 0; i < MutationsPerBase; i++)
            {
                Check(Mutate(json, names, random), expectFastAnswer: false);
            }
        }

        output.WriteLine($"{schemaName}: {cases} cases, JsonSchema.Net valid {libraryValid}, invalid {libraryInvalid}; fast check valid {fastValid}");

        // The mutations must reach both verdicts, or the comparison proves little.
        Assert.True(libraryInvalid >= cases / 10, $"only {libraryInvalid} of {cases} cases were invalid");
        Assert.True(fastValid >= bases.Count, $"only {fastValid} of {cases} cases were answered by the fast check");
        Assert.True(libraryValid >= fastValid);
    }

    [Theory]
    [InlineData("""{"gtp_version":1}""", true)]
    [InlineData("""{"gtp_version":2}""", true)]
    [InlineData("""{"gtp_version":3}""", false)]
    [InlineData("""{"gtp_version":2.0}""", false)]
    [InlineData("""{"gtp_version":"2"}""", false)]
    [InlineData("""{"rat_type":6}""", true)]
    [InlineData("""{"rat_type":-0}""", true)]
    [InlineData("""{"rat_type":6.0}""", false)]
    [InlineData("""{"rat_type":6e0}""", false)]
    [InlineData("""{"rat_type":9223372036854775808}""", false)]
    [InlineData("""{"rat_type":null}""", false)]
    [InlineData("""{"apn":null,"mcc":262,"mnc":"02"}""", true)]
    [InlineData("""{"apn":1.5}""", false)]
    [InlineData("""{"apn":true}""", false)]
    [InlineData("""{"r\u0061t_type":"x"}""", false)]
    [InlineData("""{"rat_type":1,"rat_type":"x"}""", false)]
    public void Numbers_enums_and_escaped_names_inside_a_PDP_context_match_the_library(string pdpContext, bool fastValid)
    {
        using var document = JsonDocument.Parse($$"""{"pdp_context":{{pdpContext}}}""");
        var detail = document.RootElement;
        TestData.Catalog.TryGet(3, out var definition);

        Assert.Equal(fastValid, TestData.Catalog.FastVerdict(3, detail));
        if (fastValid)
        {
            Assert.True(LibraryVerdict(LibrarySchema(definition.DetailSchema!), detail));
        }
    }

    [Theory]
    [InlineData("""{"type":"object","required":["id"]}""")]
    [InlineData("""{"type":"object","additionalProperties":false}""")]
    [InlineData("""{"properties":{"n":{"type":"integer","minimum":0}}}""")]
    [InlineData("""{"properties":{"s":{"type":"string","maxLength":3}}}""")]
    [InlineData("""{"properties":{"s":{"type":"string","pattern":"^a"}}}""")]
    [InlineData("""{"properties":{"s":{"type":"string","format":"date-time"}}}""")]
    [InlineData("""{"properties":{"s":{"const":"a"}}}""")]
    [InlineData("""{"properties":{"e":{"enum":[{"a":1}]}}}""")]
    [InlineData("""{"properties":{"a":{"$ref":"#/$defs/a"}},"$defs":{"a":{"type":"integer"}}}""")]
    [InlineData("""{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}""")]
    [InlineData("""{"$id":"urn:x","type":"object"}""")]
    [InlineData("""{"properties":{"t":{"type":"array","minItems":1}}}""")]
    [InlineData("""{"properties":{"e":{"enum":[1,1e300]}}}""")]
    [InlineData("""{"properties":{"e":{"enum":["a","\u0062"]}}}""")]
    [InlineData("""{"allOf":[{"type":"object"}]}""")]
    [InlineData("""{"type":"object","type":"string"}""")]
    public void A_schema_with_a_keyword_the_check_does_not_know_is_left_to_the_library(string schema)
    {
        var catalog = new EventCatalog([new EventTypeDefinition(100, "Custom", null, schema, BuiltIn: false)]);
        using var document = JsonDocument.Parse("{}");

        Assert.Null(catalog.FastVerdict(100, document.RootElement));
    }

    [Fact]
    public void An_invalid_detail_keeps_the_library_s_field_errors()
    {
        using var document = JsonDocument.Parse("""{"id":"x","country":{"id":1.5},"pdp_context":{"gtp_version":3}}""");

        var errors = TestData.Catalog.ValidateDetail(3, document.RootElement);

        Assert.Equal(["must be of type integer"], errors["detail.id"]);
        Assert.Equal(["must be of type integer"], errors["detail.country.id"]);
        Assert.Equal(["must be one of the allowed values"], errors["detail.pdp_context.gtp_version"]);
    }

    private static (int TypeId, EventCatalog Catalog) CatalogFor(string schemaName)
    {
        var (kind, number) = (schemaName.Split(':')[0], int.Parse(schemaName.Split(':')[1], CultureInfo.InvariantCulture));
        return kind == "catalog"
            ? (number, TestData.Catalog)
            : (200 + number, new EventCatalog([new EventTypeDefinition(200 + number, "Extra", null, ExtraSchemas[number], BuiltIn: false)]));
    }

    private static JsonSchema LibrarySchema(string text) =>
        JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri($"urn:test:{Guid.NewGuid():N}"));

    private static bool LibraryVerdict(JsonSchema schema, JsonElement detail)
    {
        try
        {
            return schema.Evaluate(detail, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            return false; // it cannot answer: an unpaired surrogate, or a number too large to compare
        }
    }

    /// <summary>The samples' details of this type and the benchmark generator's shapes.</summary>
    private static IEnumerable<string> BaseDetails(int typeId, bool fromCatalog)
    {
        if (!fromCatalog)
        {
            yield return "{}";
            yield break;
        }

        using (var batch = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data-streamer-batch.json"))))
        {
            foreach (var item in batch.RootElement.EnumerateArray())
            {
                if (item.GetProperty("event_type").GetProperty("id").GetInt32() == typeId
                    && item.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object)
                {
                    yield return detail.GetRawText();
                }
            }
        }

        // The shapes of bench/EventService.Bench/EventGenerator.cs, with ' for " to stay readable.
        const string operatorJson = "{'id':217,'name':'Vodafone','country':{'id':74,'name':'Germany','country_code':'49','mcc':'262','iso_code':'de'}";
        const string session = "'session_id':'1b0d6c4e-0000-0000-7a1c-2f0e6b9d3c11'";
        const string pdpContext = "'pdp_context':{'pdp_context_id':53611712,'apn':'em','rat_type':6,'gtp_version':2,'ue_ip_address':'100.77.3.18',"
            + "'region':'eu-west-1','mcc':'262','mnc':'02','tariff_profile_id':'395978','ratezone_id':'8178','tariff_id':'555'}";
        var shape = typeId switch
        {
            1 => operatorJson + ",'tapcode':[{'id':1,'tapcode':'DEUD2'}],'mnc':[{'id':2,'mnc':'02'}]}",
            3 => $"{operatorJson},{session},{pdpContext}}}",
            5 => $"{operatorJson},{session},{pdpContext},'volume':{{'total':12.345678,'rx':5.000001,'tx':7.345677}}}}",
            8 => "{'transition':{'sim':{'status':{'from':{'id':4,'description':'FACTORY TEST'},'to':{'id':1,'description':'ACTIVATED'}}},'reason':'SIM reached factory test volume.'}}",
            18 => "{'quota':{'threshold_percentage':80,'threshold_volume':'80.000000','volume':'63.123456'}}",
            _ => null,
        };
        if (shape is not null)
        {
            yield return shape.Replace('\'', '"');
        }
    }

    /// <summary>A random detail the schema allows, with an unknown property now and then.</summary>
    private static JsonNode? Generate(JsonElement schema, Random random, int depth)
    {
        if (schema.ValueKind == JsonValueKind.True || schema.ValueKind == JsonValueKind.False)
        {
            return ScalarNode(random);
        }

        if (schema.TryGetProperty("enum", out var enumValues))
        {
            var values = enumValues.EnumerateArray().ToArray();
            var pick = values[random.Next(values.Length)];
            return JsonNode.Parse(pick.GetRawText());
        }

        var types = !schema.TryGetProperty("type", out var type) ? ["object"]
            : type.ValueKind == JsonValueKind.String ? [type.GetString()!]
            : type.EnumerateArray().Select(t => t.GetString()!).ToArray();
        switch (types[random.Next(types.Length)])
        {
            case "object":
                var result = new JsonObject();
                if (schema.TryGetProperty("properties", out var properties))
                {
                    foreach (var property in properties.EnumerateObject())
                    {
                        if (property.Value.ValueKind != JsonValueKind.False && random.Next(10) < 8)
                        {
                            result[property.Name] = Generate(property.Value, random, depth + 1);
                        }
                    }
                }

                if (random.Next(5) == 0)
                {
                    result["unknown_" + random.Next(100)] = depth < 3 ? ScalarNode(random) : null;
                }

                return result;
            case "array":
                var array = new JsonArray();
                var count = random.Next(4);
                for (var i = 0; i < count; i++)
                {
                    array.Add(schema.TryGetProperty("items", out var items) ? Generate(items, random, depth + 1) : ScalarNode(random));
                }

                return array;
            case "string":
                return JsonValue.Create("s" + random.Next(1000));
            case "integer":
                return JsonValue.Create(random.NextInt64(-1000, 100_000_000_000));
            case "number":
                return random.Next(2) == 0 ? JsonValue.Create(random.NextDouble() * 100) : JsonValue.Create(random.Next(1000));
            case "boolean":
                return JsonValue.Create(random.Next(2) == 0);
            default:
                return null;
        }
    }

    private static JsonNode? ScalarNode(Random random) => random.Next(5) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => JsonValue.Create(random.Next(-5, 5)),
        3 => JsonValue.Create(random.NextDouble()),
        _ => JsonValue.Create("v" + random.Next(100)),
    };

    /// <summary>
    /// One to three random edits: drop, rename or duplicate a property, drop an array element, replace a value with
    /// another kind (raw numbers and escaped strings a JsonNode cannot hold included), add or nest values.
    /// </summary>
    private static string Mutate(string json, string[] names, Random random)
    {
        var root = JsonNode.Parse(json)!;
        var raws = new List<string>();
        string Placeholder(string raw)
        {
            raws.Add(raw);
            return $"@@raw{raws.Count - 1}@@";
        }

        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits; e++)
        {
            var containers = new List<JsonNode>();
            Collect(root, containers);
            var target = containers[random.Next(containers.Count)];
            if (target is JsonObject obj)
            {
                var keys = obj.Select(p => p.Key).ToList();
                var key = keys.Count > 0 ? keys[random.Next(keys.Count)] : null;
                switch (random.Next(8))
                {
                    case 0 when key is not null:
                        obj.Remove(key);
                        break;
                    case 1 when key is not null:
                        var value = obj[key];
                        obj.Remove(key);
                        var newName = names.Length > 0 && random.Next(3) > 0 ? names[random.Next(names.Length)] : key + "_x";
                        obj[newName] = value?.DeepClone();
                        break;
                    case 2 when key is not null:
                        // The same name twice, or a schema name written with an escape.
                        var name = random.Next(2) == 0 ? key : EscapeFirstLetter(key);
                        obj[Placeholder("\"" + name + "\"")] = RandomValue(random, Placeholder);
                        break;
                    case 3:
                        obj[names.Length > 0 ? names[random.Next(names.Length)] : "extra"] = RandomValue(random, Placeholder);
                        break;
                    case 4:
                        obj["extra_" + random.Next(10)] = RandomValue(random, Placeholder);
                        break;
                    default:
                        if (key is not null)
                        {
                            obj[key] = RandomValue(random, Placeholder);
                        }

                        break;
                }
            }
            else if (target is JsonArray array)
            {
                if (array.Count > 0 && random.Next(3) == 0)
                {
                    array.RemoveAt(random.Next(array.Count));
                }
                else if (array.Count > 0 && random.Next(2) == 0)
                {
                    array[random.Next(array.Count)] = RandomValue(random, Placeholder);
                }
                else
                {
                    array.Add(RandomValue(random, Placeholder));
                }
            }
        }

        var text = root.ToJsonString();
        for (var i = 0; i < raws.Count; i++)
        {
            text = text.Replace($"\"@@raw{i}@@\"", raws[i], StringComparison.Ordinal);
        }

        return text;
    }

    private static void Collect(JsonNode node, List<JsonNode> containers)
    {
        containers.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is JsonObject or JsonArray)
                    {
                        Collect(child, containers);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is JsonObject or JsonArray)
                    {
                        Collect(child, containers);
                    }
                }

                break;
        }
    }

    private static JsonNode? RandomValue(Random random, Func<string, string> placeholder) => random.Next(12) switch
    {
        0 => null,
        1 => JsonValue.Create(random.Next(2) == 0),
        2 or 3 => JsonValue.Create(placeholder(RawNumbers[random.Next(RawNumbers.Length)])),
        4 or 5 => JsonValue.Create(placeholder(RawStrings[random.Next(RawStrings.Length)])),
        6 => JsonValue.Create(new string('x', random.Next(2) == 0 ? 4096 : 5000)),
        7 => new JsonObject { ["id"] = JsonValue.Create(random.Next(2) == 0 ? "x" : "1"), ["description"] = 1 },
        8 => new JsonArray(JsonValue.Create(1), JsonValue.Create("a"), new JsonObject { ["id"] = 1.5 }),
        9 => new JsonArray(),
        10 => new JsonObject(),
        _ => JsonValue.Create(random.NextInt64(long.MinValue, long.MaxValue)),
    };

    private static string EscapeFirstLetter(string name) =>
        name.Length == 0 ? name : "\\u" + ((int)name[0]).ToString("x4", CultureInfo.InvariantCulture) + name[1..];

    private static string[] SchemaPropertyNames(JsonElement schema)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonElement s)
        {
            if (s.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            if (s.TryGetProperty("properties", out var properties))
            {
                foreach (var property in properties.EnumerateObject())
                {
                    names.Add(property.Name);
                    Walk(property.Value);
                }
            }

            if (s.TryGetProperty("items", out var items))
            {
                Walk(items);
            }
        }

        Walk(schema);
        return [.. names.Order(StringComparer.Ordinal)];
    }
}
