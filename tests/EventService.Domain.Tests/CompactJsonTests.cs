using System.Text.Json;
using EventService.Domain.Json;

namespace EventService.Domain.Tests;

/// <summary>Compact takes the posted text as it is only where the writer would have written exactly that text.</summary>
public sealed class CompactJsonTests
{
    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>
        {
            """{"a":1,"b":"x y","c":[1,2.50,-0,1e5,1E-3,true,false,null],"d":{"e":"f"}}""",
            """{"a": 1}""",
            """{ "a":1}""",
            "{\"a\":1,\n\"b\":2}",
            "{\"a\":\"tab\\there\"}",
            """{"a":"\u0041\/\"quoted\""}""",
            """{"i\u0064":1}""",
            """{"a":"ü€😀"}""",
            """{"a":"<script>&'+`"}""",
            """{"a":"spaces  inside","b":" ","c":"","d":" lead and trail "}""",
            """{"a":"x"} """,
        };
        for (var c = 0x20; c <= 0x7E; c++)
        {
            if (c is '"' or '\\')
            {
                continue;
            }

            var ch = ((char)c).ToString();
            data.Add($$"""{"v{{ch}}":"a{{ch}}b","n":[{"k":"{{ch}}"}]}""");
        }

        data.Add(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data-streamer-batch.json")));
        data.Add(TestData.ValidEventJson);
        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Compact_text_is_what_the_writer_writes(string json)
    {
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement;

        var written = CompactJson.Write(element, static (writer, e) => e.WriteTo(writer));

        Assert.Equal(written, CompactJson.Compact(element));
        foreach (var item in element.ValueKind == JsonValueKind.Array ? element.EnumerateArray() : Enumerable.Empty<JsonElement>())
        {
            Assert.Equal(CompactJson.Write(item, static (writer, e) => e.WriteTo(writer)), CompactJson.Compact(item));
        }
    }
}
