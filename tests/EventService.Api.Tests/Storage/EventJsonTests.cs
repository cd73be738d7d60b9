using System.Text;
using EventService.Api.Storage.Events;

namespace EventService.Api.Tests.Storage;

/// <summary>Stored JSON is copied into answers without being parsed again: compacted in place, strings untouched.</summary>
public sealed class EventJsonTests
{
    [Theory]
    [InlineData("""{"a": 1, "b": [1, 2, {"c": null}]}""", """{"a":1,"b":[1,2,{"c":null}]}""")]
    [InlineData("""{"text": "two  spaces, \"quoted: yes\", a \\"}""", """{"text":"two  spaces, \"quoted: yes\", a \\"}""")]
    [InlineData("""{"s": "\\\" : \\", "t": " "}""", """{"s":"\\\" : \\","t":" "}""")]
    [InlineData("""{"ü": "ß é", "n": -1.5e3}""", """{"ü":"ß é","n":-1.5e3}""")]
    [InlineData("{\n\t\"a\" :\r\n 1 }", """{"a":1}""")]
    public void Compact_drops_whitespace_between_tokens_only(string stored, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(stored);

        Assert.Equal(expected, Encoding.UTF8.GetString(EventJson.Compact(bytes)));
    }
}
